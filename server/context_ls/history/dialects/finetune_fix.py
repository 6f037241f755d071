"""Repairs of a fine-tuning data set, line by line, as minimal byte edits inside the line:
a synthetic tool message after the tool messages of a dangling call (not the target's),
orphan tool messages removed, `arguments` that are a JSON object written as the string
that holds them. Lines with nothing to repair are never touched; H015 is never guessed at.

The findings of a line are gathered first (`fix`), then each line's edits are made at once
(`edits`), so removals and inserts in one array never overlap."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import msgspec

from context_ls.history.blocks import removal_ranges
from context_ls.history.dialects import chat
from context_ls.history.facts import DECODE_ERRORS
from context_ls.history.model import Span, TextEdit

if TYPE_CHECKING:
    from context_ls.history.findings import Finding
    from context_ls.history.normalize import Plan

_KEY = "finetune"
FIXED = frozenset({"H001", "H002", "H014"})


def fix(plan: Plan, finding: Finding) -> None:
    """Note what a finding asks of its line (made in `edits`)."""
    if finding.code in FIXED:
        lines: dict[int, list[Finding]] = plan.state.setdefault(_KEY, {})
        lines.setdefault(finding.item, []).append(finding)


def edits(plan: Plan) -> list[TextEdit]:
    out: list[TextEdit] = []
    for index, findings in sorted(plan.state.get(_KEY, {}).items()):
        out.extend(_line_edits(plan, index, findings))
    return out


def _line_edits(plan: Plan, index: int, findings: list[Finding]) -> list[TextEdit]:
    from context_ls.history.dialects.finetune import element_spans

    item = plan.history.items[index]
    raw, base = plan.bytes_of(item), item.span.start
    spans = element_spans(raw, 0, "messages")
    value = plan.value(index)
    messages = value.get("messages") if isinstance(value, dict) else None
    if not spans or not isinstance(messages, list) or len(messages) != len(spans):
        return []
    at = {base + start: m for m, (start, _end) in enumerate(spans)}
    removed = {at[f.span.start] for f in findings if f.code == "H002" and f.span.start in at}
    out = [
        TextEdit(Span(base + start, base + end), b"")
        for start, end in removal_ranges(spans, removed)
    ]
    compact = b'": ' not in raw
    separator = _separator(raw, spans)
    for finding in findings:
        if finding.code == "H014":
            out.extend(_arguments_as_string(plan, finding))
        elif finding.code == "H001" and finding.call_id is not None:
            m = _message_at(spans, finding.span.start - base)
            if m < 0:
                continue
            anchor = m
            for k in range(m + 1, len(messages)):
                if not (isinstance(messages[k], dict) and messages[k].get("role") == "tool"):
                    break
                if k not in removed:
                    anchor = k
            new = chat.synthetic_output(finding.call_id, plan.text)
            text = json.dumps(new, ensure_ascii=False, separators=(",", ":") if compact else None)
            end = base + spans[anchor][1]
            out.append(TextEdit(Span(end, end), separator + text.encode()))
    return out


def _separator(raw: bytes, spans: list[tuple[int, int]]) -> bytes:
    """What stands between two messages in this line (a comma, and the spaces it uses)."""
    if len(spans) >= 2:
        between = raw[spans[0][1] : spans[1][0]]
        if between.strip() == b",":
            return between
    return b", " if b'", "' in raw else b","


def _message_at(spans: list[tuple[int, int]], offset: int) -> int:
    return next((m for m, (s, e) in enumerate(spans) if s <= offset < e), -1)


def _arguments_as_string(plan: Plan, finding: Finding) -> list[TextEdit]:
    """`arguments` that are a JSON object become the string holding their exact text."""
    start, end = finding.span
    call = plan.data[start:end]
    try:
        function = bytes(msgspec.json.decode(call, type=dict[str, msgspec.Raw])["function"])
        arguments = bytes(msgspec.json.decode(function, type=dict[str, msgspec.Raw])["arguments"])
    except (*DECODE_ERRORS, msgspec.ValidationError, KeyError):
        return []
    if not arguments.startswith(b"{"):
        return []
    in_call = call.find(arguments, call.find(b'"arguments"', call.find(function)))
    if in_call < 0:
        return []
    text: Any = arguments.decode("utf-8", "replace")
    new = json.dumps(text, ensure_ascii=False).encode()
    return [TextEdit(Span(start + in_call, start + in_call + len(arguments)), new)]
