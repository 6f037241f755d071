"""Trimming a Gemini CLI JSONL log the way the CLI checkpoints: one `$set.messages` line
appended, starting at a prompt the person wrote, every call of a kept response kept."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import msgspec

from context_ls.history.dialects.gemini_cli_json import message_span
from context_ls.history.facts import DECODE_ERRORS
from context_ls.history.model import Span, TextEdit

if TYPE_CHECKING:
    from context_ls.history.model import History

_MESSAGE = 1 << 40  # a block's message: block // _MESSAGE (gemini_cli.block_of)


def trim_edits(history: History, data: bytes, keep: int) -> list[TextEdit]:
    """Keep the last `keep` live messages of a JSONL log, from a user prompt on (the one
    before them when none is among them, or when a later one would keep a response whose
    call goes), the way the CLI checkpoints: one `{"$set": {"messages": [...]}}` line
    appended, each message's live bytes as they are. Lines are never removed: a `$rewindTo`
    naming a message gone from the file would make the CLI drop every message, and what is
    left of a message's versions after a cut would not be the message. (The document form
    is trimmed as the other dialects are.)"""
    from context_ls.history.dialects.gemini_cli import live_messages

    live = list(live_messages(history).values())
    if history.document or not 0 <= keep < len(live):
        return []
    start = len(live) - keep
    if keep:
        prompts = [i for i in range(len(live)) if _is_prompt(history, data, *live[i])]
        whole = _keeps_pairs(history, live)
        later = [i for i in prompts if i >= start and whole(i)]
        earlier = [i for i in reversed(prompts) if i < start and whole(i)]
        if not later and not earlier:
            return []
        start = later[0] if later else earlier[0]
    kept = [_live_bytes(history, data, row, m) for row, m in live[start:]]
    if any(message is None for message in kept):
        return []
    line = b'{"$set":{"messages":[' + b",".join(m for m in kept if m) + b"]}}"
    size = len(data)
    prefix = b"" if not data or data.endswith(b"\n") else history.newline
    return [TextEdit(Span(size, size), prefix + line + history.newline)]


def _keeps_pairs(history: History, live: list[tuple[int, int]]) -> Callable[[int], bool]:
    """Whether keeping the live messages from `start` on keeps the call of each response
    kept (a response message after a prompt answers a call before it when a session was
    resumed mid-turn)."""
    place = {where: i for i, where in enumerate(live)}
    call_at: dict[str, int] = {}
    for call in history.calls:
        at = place.get((call.item, call.block // _MESSAGE))
        if at is not None:
            call_at.setdefault(call.call_id, at)
    needs = []
    for output in history.outputs:
        at, called = place.get((output.item, output.block // _MESSAGE)), call_at.get(output.call_id)
        if at is not None and called is not None and called < at:
            needs.append((at, called))
    return lambda start: all(called >= start for at, called in needs if at >= start)


def _live_bytes(history: History, data: bytes, row: int, m: int) -> bytes | None:
    span = history.items[row].span
    record = data[span.start : span.end]
    where = message_span(record, m)
    return None if where is None else record[where[0] : where[1]]


# What the CLI skips when it resumes a session (`isIgnoredUserContent`): no prompt.
_NOT_PROMPTS = ("/", "?", "<session_context>", "<hook_context>")


def _is_prompt(history: History, data: bytes, row: int, m: int) -> bool:
    """A `user` message the person wrote: not a batch of tool responses the CLI records
    as one, nor a slash command or an injection it skips on resume."""
    role = history.items.roles[row]
    if role is not None and not role.startswith("$") and role != "user":
        return False  # a line of one message: its role is its type
    message = _live_bytes(history, data, row, m)
    try:
        value = msgspec.json.decode(message) if message is not None else None
    except DECODE_ERRORS:
        return False
    if not isinstance(value, dict) or value.get("type") != "user":
        return False
    content = value.get("content")
    parts = content if isinstance(content, list) else [content]
    if any(
        isinstance(p, dict) and ("functionResponse" in p or "function_response" in p) for p in parts
    ):
        return False
    text = "".join(
        p if isinstance(p, str) else p.get("text", "") if isinstance(p, dict) else "" for p in parts
    )
    said = text.strip() or any(isinstance(p, dict) and "text" not in p for p in parts)
    return bool(said) and not text.strip().startswith(_NOT_PROMPTS)  # an image is said too
