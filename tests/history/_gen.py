"""Small builders for histories of every dialect, and hypothesis strategies over them.

A history is first described dialect-free as a list of events:

* ``("user", text)`` / ``("assistant", text)``: a plain message;
* ``("calls", [call ids])``: one assistant turn asking for these tools (a parallel batch);
* ``("outputs", [call ids])``: the results of these calls (one record or block each).

`render(dialect, events, ...)` writes it the way the dialect's own tools write it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from context_ls.history.api import Analysis, analyze, normalize_edits
from context_ls.history.model import apply_edits

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
ALL_DIALECTS = ("codex", "openai-responses", "openai-chat", "anthropic", "claude-code", "native")
JSONL_DIALECTS = ("codex", "claude-code", "native")
DOCUMENT_DIALECTS = ("openai-responses", "openai-chat", "anthropic")
BLOCK_DIALECTS = ("anthropic", "claude-code")
# Whole conversations a line: one history is many conversations, written by `render_dataset`
# (the event renderers above write one conversation a file).
DATASET_DIALECTS = ("openai-finetune",)
UNFIXABLE = {"H003", "H008", "H010"}
SYNTHETIC_TEXT = "Tool execution was interrupted. Output was not received."

Event = tuple[str, Any]


def dumps(value: Any, pretty: bool = False) -> bytes:
    if pretty:
        return json.dumps(value, indent=2, ensure_ascii=False).encode()
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def call_prefix(dialect: str) -> str:
    return "toolu_" if dialect in BLOCK_DIALECTS else "call_"


# --- one renderer per dialect -------------------------------------------------------------


def _codex(events: Sequence[Event], kinds: dict[str, str]) -> list[Any]:
    records: list[Any] = [
        {
            "timestamp": "2025-10-01T10:00:00.000Z",
            "type": "session_meta",
            "payload": {
                "id": "0199c7e1-0000-7000-8000-000000000001",
                "cwd": "/w",
                "originator": "codex_cli_rs",
            },
        },
        {
            "timestamp": "2025-10-01T10:00:00.001Z",
            "type": "turn_context",
            "payload": {"cwd": "/w", "model": "gpt-5"},
        },
    ]
    for n, item in enumerate(_responses_items(events, kinds)):
        records.append(
            {
                "timestamp": f"2025-10-01T10:00:{n % 60:02d}.{n:03d}Z",
                "type": "response_item",
                "payload": item,
            }
        )
        if item.get("type") == "message" and item.get("role") == "user":
            records.append(
                {
                    "timestamp": f"2025-10-01T10:00:{n % 60:02d}.{n:03d}Z",
                    "type": "event_msg",
                    "payload": {"type": "user_message", "message": "(echo)"},
                }
            )
    return records


def _responses_items(events: Sequence[Event], kinds: dict[str, str]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for kind, body in events:
        if kind in ("user", "assistant"):
            part = "input_text" if kind == "user" else "output_text"
            items.append(
                {"type": "message", "role": kind, "content": [{"type": part, "text": body}]}
            )
        elif kind == "calls":
            for call_id in body:
                call_kind = kinds.get(call_id, "function_call")
                if call_kind == "custom_tool_call":
                    items.append(
                        {
                            "type": "custom_tool_call",
                            "call_id": call_id,
                            "name": "apply_patch",
                            "input": "*** x",
                        }
                    )
                elif call_kind == "local_shell_call":
                    items.append(
                        {
                            "type": "local_shell_call",
                            "call_id": call_id,
                            "status": "completed",
                            "action": {"type": "exec", "command": ["ls"]},
                        }
                    )
                else:
                    items.append(
                        {
                            "type": "function_call",
                            "name": "shell",
                            "arguments": '{"cmd":"ls"}',
                            "call_id": call_id,
                        }
                    )
        elif kind == "outputs":
            for call_id in body:
                out_kind = (
                    "custom_tool_call_output"
                    if kinds.get(call_id) == "custom_tool_call"
                    else "function_call_output"
                )
                items.append(
                    {"type": out_kind, "call_id": call_id, "output": f"result of {call_id}"}
                )
    return items


def _chat(events: Sequence[Event]) -> list[Any]:
    messages: list[Any] = [{"role": "system", "content": "You are helpful."}]
    for kind, body in events:
        if kind in ("user", "assistant"):
            messages.append({"role": kind, "content": body})
        elif kind == "calls":
            messages.append(
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": c,
                            "type": "function",
                            "function": {"name": "shell", "arguments": "{}"},
                        }
                        for c in body
                    ],
                }
            )
        elif kind == "outputs":
            messages.extend(
                {"role": "tool", "tool_call_id": c, "content": f"result of {c}"} for c in body
            )
    return messages


def _anthropic(events: Sequence[Event]) -> list[Any]:
    messages: list[Any] = []
    for kind, body in events:
        if kind in ("user", "assistant"):
            messages.append({"role": kind, "content": body})
        elif kind == "calls":
            blocks: list[Any] = [{"type": "text", "text": "Let me look."}]
            blocks += [
                {"type": "tool_use", "id": c, "name": "bash", "input": {"command": "ls"}}
                for c in body
            ]
            messages.append({"role": "assistant", "content": blocks})
        elif kind == "outputs":
            messages.append(
                {
                    "role": "user",
                    "content": [
                        {"type": "tool_result", "tool_use_id": c, "content": f"result of {c}"}
                        for c in body
                    ],
                }
            )
    return messages


CC_BASE = {
    "isSidechain": False,
    "userType": "external",
    "cwd": "/Users/dev/proj",
    "sessionId": "5f2b8c1e-9a47-4d3b-8e61-0c7d2a9f4b15",
    "version": "2.0.14",
    "gitBranch": "main",
}


def cc_line(
    uuid: str, parent: str | None, kind: str, content: object, mid: str | None = None, **extra: Any
) -> dict[str, Any]:
    """One hand-written Claude Code line, for cases the event renderer cannot express."""
    message: dict[str, Any] = {"role": kind, "content": content}
    if mid:
        message["id"] = mid
    return {
        "parentUuid": parent,
        **CC_BASE,
        "type": kind,
        "message": message,
        "uuid": uuid,
        **extra,
    }


def _claude_code(events: Sequence[Event], style: str = "2.0") -> list[Any]:
    """Claude Code lines chained by parentUuid. `style` "2.0": one linear chain, each line
    the child of the one before. "2.1" (FORMATS.md 5b): each result line hangs off its own
    call's line and names it (`sourceToolAssistantUUID`), carries a `toolUseResult`, and the
    next line hangs off the last result written; hook lines are `progress` lines."""
    modern = style == "2.1"
    lines: list[Any] = [{"type": "summary", "summary": "a session", "leafUuid": "x"}]
    parent: str | None = None
    counter = 0
    call_lines: dict[str, str] = {}  # call id -> uuid of the line that holds its tool_use

    def line(kind: str, message: dict[str, Any], **extra: Any) -> str:
        nonlocal parent, counter
        counter += 1
        uuid = f"00000000-0000-4000-8000-{counter:012d}"
        lines.append(
            {
                "parentUuid": extra.pop("parent", parent),
                **CC_BASE,
                "type": kind,
                "message": message,
                "uuid": uuid,
                "timestamp": f"2025-10-08T09:14:{counter % 60:02d}.000Z",
                **extra,
            }
        )
        parent = uuid
        return uuid

    for n, (kind, body) in enumerate(events):
        if kind == "system":  # a hook/system line chained into the conversation
            counter += 1
            uuid = f"00000000-0000-4000-8000-{counter:012d}"
            if modern:
                lines.append(
                    {
                        "parentUuid": parent,
                        **CC_BASE,
                        "type": "progress",
                        "data": {"type": "hook_progress", "hookEvent": "PostToolUse"},
                        "uuid": uuid,
                        "timestamp": f"2025-10-08T09:14:{counter % 60:02d}.000Z",
                    }
                )
            else:
                lines.append(
                    {
                        "parentUuid": parent,
                        **CC_BASE,
                        "type": "system",
                        "subtype": "informational",
                        "content": body,
                        "isMeta": False,
                        "uuid": uuid,
                        "level": "info",
                    }
                )
            parent = uuid
        elif kind == "user":
            line("user", {"role": "user", "content": body})
        elif kind == "assistant":
            line(
                "assistant",
                {
                    "id": f"msg_{n:04d}",
                    "role": "assistant",
                    "content": [{"type": "text", "text": body}],
                },
            )
        elif kind == "calls":
            # One API reply split over several lines with one message.id: text, then a tool_use a line.
            line(
                "assistant",
                {
                    "id": f"msg_{n:04d}",
                    "role": "assistant",
                    "content": [{"type": "text", "text": "Looking."}],
                },
            )
            for c in body:
                block = {"type": "tool_use", "id": c, "name": "Bash", "input": {"command": "ls"}}
                call_lines[c] = line(
                    "assistant", {"id": f"msg_{n:04d}", "role": "assistant", "content": [block]}
                )
        elif kind == "outputs":
            for c in body:  # consecutive result lines, one tool_result each
                message = {
                    "role": "user",
                    "content": [{"tool_use_id": c, "type": "tool_result", "content": "ok"}],
                }
                if modern and c in call_lines:
                    line(
                        "user",
                        message,
                        parent=call_lines[c],
                        toolUseResult={"stdout": "ok", "stderr": "", "interrupted": False},
                        sourceToolAssistantUUID=call_lines[c],
                    )
                else:
                    line("user", message)
    return lines


def _native(events: Sequence[Event]) -> list[Any]:
    records: list[Any] = [
        {"type": "session", "session_id": "sess_1", "agent": "demo", "timestamp": 1759917600}
    ]
    t = 1759917600
    for kind, body in events:
        t += 1
        if kind in ("user", "assistant"):
            records.append({"type": "message", "role": kind, "content": body, "timestamp": t})
        elif kind == "calls":
            records.extend(
                {
                    "type": "tool_call",
                    "call_id": c,
                    "tool_name": "shell",
                    "args": {"command": "ls"},
                    "timestamp": t,
                }
                for c in body
            )
        elif kind == "outputs":
            records.extend(
                {
                    "type": "tool_output",
                    "call_id": c,
                    "status": "success",
                    "content": "ok",
                    "timestamp": t,
                }
                for c in body
            )
    return records


def records_of(
    dialect: str,
    events: Sequence[Event],
    kinds: dict[str, str] | None = None,
    claude_style: str = "2.0",
) -> list[Any]:
    kinds = kinds or {}
    if dialect == "codex":
        return _codex(events, kinds)
    if dialect == "openai-responses":
        return _responses_items(events, kinds)
    if dialect == "openai-chat":
        return _chat(events)
    if dialect == "anthropic":
        return _anthropic(events)
    if dialect == "claude-code":
        return _claude_code(events, claude_style)
    if dialect == "native":
        return _native(events)
    raise ValueError(dialect)


def render_records(
    records: Sequence[Any],
    layout: str = "jsonl",
    pretty: bool = False,
    crlf: bool = False,
    bom: bool = False,
    final_newline: bool = True,
) -> bytes:
    """layout: jsonl | array | messages | input."""
    if layout == "jsonl":
        data = b"\n".join(dumps(r) for r in records) + (b"\n" if final_newline else b"")
    else:
        value: Any = list(records) if layout == "array" else {layout: list(records)}
        data = dumps(value, pretty) + (b"\n" if final_newline else b"")
    if crlf:
        data = data.replace(b"\n", b"\r\n")
    if bom:
        data = b"\xef\xbb\xbf" + data
    return data


def default_layout(dialect: str) -> str:
    return {"openai-responses": "input", "openai-chat": "messages", "anthropic": "messages"}.get(
        dialect, "jsonl"
    )


def render(
    dialect: str, events: Sequence[Event], kinds: dict[str, str] | None = None, **kw: Any
) -> bytes:
    layout = kw.pop("layout", None) or default_layout(dialect)
    return render_records(records_of(dialect, events, kinds), layout, **kw)


# --- a clean history to break by hand -----------------------------------------------------


def render_dataset(
    conversations: Sequence[Sequence[Event]], tools: Sequence[str] | None = None
) -> bytes:
    """A fine-tuning data set: each conversation on a line of its own, as Chat messages (every
    call names `shell`), with `tools` listed on each line when given."""
    lines = []
    for events in conversations:
        line: dict[str, Any] = {"messages": _chat(events)}
        if tools is not None:
            line["tools"] = [
                {"type": "function", "function": {"name": name, "parameters": {}}} for name in tools
            ]
        lines.append(dumps(line))
    return b"\n".join(lines) + b"\n"


def clean_events(prefix: str = "call_", batches: Sequence[int] = (1, 2)) -> list[Event]:
    events: list[Event] = [("user", "please look")]
    n = 0
    for size in batches:
        ids = [f"{prefix}{chr(65 + n + i)}" for i in range(size)]
        n += size
        events += [("calls", ids), ("outputs", ids), ("assistant", "done that")]
    return events


# --- hypothesis: generated broken histories --------------------------------------------------


@st.composite
def broken_events(
    draw: st.DrawFn, prefix: str = "call_", allow_duplicate_calls: bool = False
) -> list[Event]:
    """A history of several turns with dangling calls, orphans, duplicate and misplaced outputs."""
    events: list[Event] = [("user", "start")]
    counter = 0
    for _ in range(draw(st.integers(1, 4))):
        size = draw(st.integers(1, 3))
        ids = [f"{prefix}{counter + i:03d}x" for i in range(size)]
        counter += size
        answered = [
            c for c in ids if not draw(st.booleans()) or not draw(st.booleans())
        ]  # ~25% dangling
        fault = draw(
            st.sampled_from(["none", "none", "orphan", "duplicate", "early", "late", "split"])
        )
        if allow_duplicate_calls and counter > size and draw(st.integers(0, 9)) == 0:
            ids = [*ids, f"{prefix}{0:03d}x"]  # reuses the very first id: H003
        if draw(st.integers(0, 4)) == 0:
            events.append(("system", "PreToolUse hook ran"))  # Claude Code only; others skip it
        if fault == "early" and answered:
            events += [("outputs", answered[:1]), ("calls", ids), ("outputs", answered[1:])]
        elif fault == "late" and answered:
            events += [("calls", ids), ("user", "meanwhile"), ("outputs", answered)]
        elif fault == "split" and len(answered) > 1:
            events += [
                ("calls", ids),
                ("outputs", answered[:1]),
                ("assistant", "hm"),
                ("outputs", answered[1:]),
            ]
        else:
            outputs = list(answered)
            if fault == "orphan":
                outputs.append(f"{prefix}{900 + counter}gone")
            if fault == "duplicate" and answered:
                outputs.append(answered[0])
            hook = [("system", "PostToolUse hook ran")] if draw(st.integers(0, 4)) == 0 else []
            events += [("calls", ids), *hook, ("outputs", outputs)]
        if draw(st.booleans()):
            events.append(("assistant", "ok"))
    return [e for e in events if e[0] not in ("calls", "outputs") or e[1]]


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
        if f.code in ("H002", "H004", "H005", "H006", "H007") and f.item >= 0:
            touched.add(f.item)
    if history.dialect == "anthropic":
        fixed_calls = {f.call_id for f in analysis.findings if f.code in ("H001", "H005", "H006")}
        for call in history.calls:
            if call.call_id in fixed_calls:
                for later in history.items[call.item + 1 :]:
                    if later.kind.value in ("message", "calls", "outputs"):
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
