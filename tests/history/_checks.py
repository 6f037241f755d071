"""Checks the history tests share: codes of an analysis, a normalized copy, which records a
repair may touch, and a Claude Code result delayed behind the next assistant line."""

from __future__ import annotations

import json
import re
from typing import Any

from context_ls.history.api import Analysis, analyze, normalize_edits
from context_ls.history.dialects import dialect_of
from context_ls.history.model import apply_edits

# --- checks shared by the tests ----------------------------------------------------------------


def codes(analysis: Analysis) -> list[tuple[str, str | None]]:
    return [(f.code, f.call_id) for f in analysis.findings]


def normalized(data: bytes, dialect: str | None = None) -> tuple[Analysis, bytes]:
    analysis = analyze(data, dialect)  # type: ignore[arg-type]
    return analysis, apply_edits(data, normalize_edits(analysis))


def record_bytes(analysis: Analysis) -> list[bytes]:
    return [analysis.data[i.span.start : i.span.end] for i in analysis.history.items]


_PARENT = re.compile(rb'"parentUuid"\s*:\s*(null|"[^"]*")')


def without_parent(line: bytes) -> bytes:
    return _PARENT.sub(b'"parentUuid":_', line)


def allowed_to_change(analysis: Analysis) -> set[int]:
    """Records normalize may rewrite or drop: those a fixable finding points at, and in the
    block dialects the message right after a call that gets a synthetic or moved result."""
    history = analysis.history
    touched: set[int] = set()
    for f in analysis.findings:
        if f.code in ("H002", "H004", "H005", "H006", "H007", "H011", "H012") and f.item >= 0:
            touched.add(f.item)
    dialect = dialect_of(history.dialect)
    if dialect.blocks and dialect.chain is None:  # Anthropic, Bedrock, Gemini contents
        fixed_calls = {f.call_id for f in analysis.findings if f.code in ("H001", "H005", "H006")}
        for call in history.calls:
            if call.call_id in fixed_calls:
                # the message after the call's turn (Anthropic: a run of assistant messages)
                turn = history.items[call.item].turn
                for later in history.items[call.item + 1 :]:
                    if later.kind.value in ("message", "calls", "outputs") and later.turn != turn:
                        touched.add(later.index)
                        break
    return touched


def assert_untouched_records_kept(analysis: Analysis, out: bytes) -> None:
    """Every record normalize had no reason to touch still occurs byte for byte in `out`
    (Claude Code: apart from its parentUuid value, which a re-link may change)."""
    touched = allowed_to_change(analysis)
    claude = analysis.history.dialect == "claude-code"
    out_relaxed = without_parent(out) if claude else out
    for item, raw in zip(analysis.history.items, record_bytes(analysis), strict=False):
        if item.index in touched:
            continue
        if raw in out:
            continue
        assert claude and without_parent(raw) in out_relaxed, (
            f"record {item.index} changed: {raw[:200]!r}"
        )


# --- Claude Code: a result delayed behind the next assistant line (H006) -----------------------

_PARENT_VALUE = re.compile(rb'("parentUuid"\s*:\s*)(null|"(?:[^"\\]|\\.)*")')


def _json_line(line: bytes) -> Any:
    try:
        return json.loads(line)
    except ValueError:
        return None


def with_parent(line: bytes, parent: str | None) -> bytes:
    """`line` with the value of its first `parentUuid` replaced, nothing else touched."""
    return _PARENT_VALUE.sub(lambda m: m.group(1) + json.dumps(parent).encode(), line, count=1)


def _results_only(value: Any) -> bool:
    if not isinstance(value, dict) or value.get("type") != "user":
        return False
    message = value.get("message")
    content = message.get("content") if isinstance(message, dict) else None
    return (
        isinstance(content, list)
        and bool(content)
        and all(isinstance(b, dict) and b.get("type") == "tool_result" for b in content)
    )


def delayable_results(data: bytes) -> list[int]:
    """Lines (0-based) holding only tool results whose very next line is an assistant line
    that hangs off them: the results that `delay_result` can put behind it."""
    lines = data.splitlines(keepends=True)
    values = [_json_line(line) for line in lines]
    rows = []
    for row in range(1, len(lines) - 1):
        result, after = values[row], values[row + 1]
        if not (
            _results_only(result)
            and isinstance(after, dict)
            and after.get("type") == "assistant"
            and isinstance(after.get("message"), dict)
            and result.get("uuid")
            and after.get("uuid")
            and after.get("parentUuid") == result["uuid"]
            and after.get("isSidechain") == result.get("isSidechain")
            and lines[row + 1].endswith(b"\n")
        ):
            continue
        ids = [u.get("uuid") for u in values if isinstance(u, dict) and u.get("uuid")]
        if ids.count(result["uuid"]) == 1 and ids.count(after["uuid"]) == 1:
            rows.append(row)
    return rows


def delay_result(data: bytes, row: int) -> bytes:
    """The fault of issue 13: the result line at `row` written after the assistant line
    that followed it, and chained there (that line takes the result's place in the chain,
    the result hangs off it, and what went on from that line now goes on from the result;
    a 2.1 result or hook line of that line's own calls stays on it). Every line keeps its
    bytes but for its parentUuid value."""
    lines = data.splitlines(keepends=True)
    values = [_json_line(line) for line in lines]
    result, after = values[row], values[row + 1]
    before = next(
        (
            v["uuid"]
            for v in reversed(values[:row])
            if isinstance(v, dict)
            and v.get("uuid")
            and v.get("isSidechain") == result.get("isSidechain")
        ),
        None,
    )
    out = list(lines)
    for n, value in enumerate(values):
        if (
            isinstance(value, dict)
            and value.get("parentUuid") == after["uuid"]
            # 2.1: its own results and hook progress hang off the line they belong to
            and value.get("sourceToolAssistantUUID") != after["uuid"]
            and value.get("type") != "progress"
        ):
            out[n] = with_parent(lines[n], result["uuid"])
    out[row] = with_parent(lines[row + 1], before)
    out[row + 1] = with_parent(lines[row], after["uuid"])
    return b"".join(out)


def result_call_ids(line: bytes) -> list[str]:
    value = _json_line(line)
    return [b.get("tool_use_id") for b in value["message"]["content"]] if value else []


def delay_is_undone_exactly(data: bytes, row: int) -> bool:
    """Whether the repair can give back the very bytes: between the result's call line and
    the result stand only lines of the call's message, results of its batch, and lines that
    are no messages and hang off those (hook progress) or off nothing (queue operations),
    so the repair puts it back where it was."""
    values = [_json_line(line) for line in data.splitlines(keepends=True)]
    ids = set(result_call_ids(data.splitlines()[row]))
    for start in range(row - 1, -1, -1):
        value = values[start]
        message = value.get("message") if isinstance(value, dict) else None
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, list) and any(
            isinstance(b, dict) and b.get("type") == "tool_use" and b.get("id") in ids
            for b in content
        ):
            break
    else:
        return False
    assert isinstance(message, dict)
    run = {values[start].get("uuid")}
    for value in values[start + 1 : row]:
        if not isinstance(value, dict):
            return False
        inner = value.get("message")
        if isinstance(inner, dict):
            same = value.get("type") == "assistant" and inner.get("id") == message.get("id")
            if not (same or _results_only(value)):
                return False
        elif value.get("uuid") and value.get("parentUuid") not in run:
            return False
        run.add(value.get("uuid"))
    return True
