"""What the editor and the CLI read of a data set line beyond its findings: the outline of
a conversation (its messages and tool calls), and whether a one-line file is a data set
or a Chat request body."""

from __future__ import annotations

from typing import NamedTuple

import msgspec

from context_ls.history.dialects.finetune import element_spans, sniff
from context_ls.history.dialects.finetune import tool_call_entries as entries_of
from context_ls.history.facts import DECODE_ERRORS

_decode = msgspec.json.decode


class CallOutline(NamedTuple):
    """A tool call of a line, for the editor's outline: its bytes are relative to the line."""

    tool: str | None
    call_id: str | None
    start: int
    end: int
    target: bool  # in the last assistant message: the training target


def outline_line(raw: bytes) -> tuple[int, list[CallOutline]]:
    """How many messages a line holds and its tool calls (0 and none when it is no
    conversation)."""
    try:
        value = _decode(raw)
    except DECODE_ERRORS:
        return 0, []
    messages = value.get("messages") if isinstance(value, dict) else None
    if not isinstance(messages, list):
        return 0, []
    target = max(
        (i for i, m in enumerate(messages) if isinstance(m, dict) and m.get("role") == "assistant"),
        default=-1,
    )
    spans = element_spans(raw, 0, "messages")
    calls: list[CallOutline] = []
    for m, message in enumerate(messages):
        entries = entries_of(message) if isinstance(message, dict) else []
        if not entries or m >= len(spans):
            continue
        start, end = spans[m]
        call_spans = element_spans(raw[start:end], start, "tool_calls")
        for k, entry in enumerate(entries):
            at = call_spans[k] if k < len(call_spans) else (start, end)
            function = entry.get("function") if isinstance(entry, dict) else None
            name = function.get("name") if isinstance(function, dict) else None
            call_id = entry.get("id") if isinstance(entry, dict) else None
            calls.append(
                CallOutline(
                    name if isinstance(name, str) else None,
                    call_id if isinstance(call_id, str) else None,
                    *at,
                    m == target,
                )
            )
    return len(messages), calls


def one_line_data_set(name: str, data: bytes) -> bool:
    """Whether a source that is one line holding a `messages` object (which reads as a Chat
    request body) is a one-line data set: its name says JSON Lines (`.jsonl`), and the line
    names no `model`, which every Chat Completions request carries and a data set line
    never does. A `.json` file stays a request body."""
    lowered = name.lower()
    if not (lowered.endswith(".jsonl") or lowered.endswith(".jsonl.zst")):
        return False
    body = data.strip()
    if b"\n" in body or b"\r" in body:
        return False  # two non-blank lines at least (a listing asks this of every file)
    lines = [line for line in data.splitlines() if line.strip()]
    if len(lines) != 1:
        return False
    line = lines[0][3:] if lines[0].startswith(b"\xef\xbb\xbf") else lines[0]
    try:
        value = _decode(line)
    except DECODE_ERRORS:
        return False
    return bool(sniff(value)) and "model" not in value
