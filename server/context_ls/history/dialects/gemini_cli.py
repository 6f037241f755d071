"""Gemini CLI sessions (`~/.gemini/tmp/<hash>/chats/session-*.json` and `.jsonl`): a tool
call carries its own result (`toolCalls[i].result`, a list of `functionResponse` parts).

Two forms. The whole-file JSON `{sessionId, projectHash, …, messages: [...]}`: each message
is a record, all of them live. The JSONL upsert log: line 1 is the metadata, each later line
a whole message that replaces the one with its `id` (the message keeps its place, the last
version wins), `{"$set": {...}}` patches the metadata (`$set.messages` replaces the whole
list) and `{"$rewindTo": id}` drops that message and every one after it (an unknown id drops
them all). Only the live version of a message is judged: the others are marked abandoned
once every record is in (`turns`), and repairs append a new version (`gemini_cli_fix`).

A record's calls and outputs are numbered by a `block` that says where they stand:
message `m` of the record (a `$set` line holds many), tool call `k`, result part `j`.

Calls and responses are also written as parts of a message's `content` (read as the Gemini
API reads a content, `gemini_api.facts`): since 2026-05 the CLI records each batch of tool
responses as a `user` message of `functionResponse` parts, besides the calls' own `result`
(the same response twice: counted once, `count_turns`), and `/compress` (`setHistory`)
rewrites the messages with their calls and responses in `content` alone. A content call
whose id the message's `toolCalls` also hold is that call; a response in a call's `result`
answering another call of the message is the CLI's copy of the turn. Content parts are
tool call `CONTENT` of their message, their index the part."""

from __future__ import annotations

from array import array
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from context_ls.history.dialects import gemini_api, lazy_repairs
from context_ls.history.dialects import gemini_api_fix as api_fix
from context_ls.history.dialects.base import ApiErrors, Dialect
from context_ls.history.facts import (
    OTHER,
    CallFact,
    OutputFact,
    RecordFacts,
    get_path,
    stamp,
    str_or_none,
    usable_id,
)
from context_ls.history.items import CONVERSATION_CODES, FLAG_ABANDONED, KIND_CODES, ItemKind

if TYPE_CHECKING:
    from context_ls.history.model import Call, History
    from context_ls.history.normalize import Plan

NAME = "gemini-cli"
DEFAULT_SYNTHETIC_TEXT = "[Operation Cancelled] Reason: the session ended before the tool returned."
_COUNT_ERROR = (
    "Please ensure that the number of function response parts is equal to the number of "
    "function call parts of the function call turn."
)
MESSAGE_TYPES = frozenset({"user", "gemini", "info", "error", "warning"})
# Roles of the records that are no single message (the role column says what a line does).
REWIND, SET_MESSAGES, META_MESSAGES = "$rewindTo", "$set", "$meta"
_ID_SEPARATOR = "\x00"  # message ids of a line holding many, in the message_id column
CALL_KIND, OUTPUT_KIND = "tool_call", "function_response"
_M, _K = 1 << 40, 1 << 20  # block = m * _M + k * _K + (j + 1 for a result part, 0: the call)
CONTENT = (1 << 20) - 1  # the "tool call" number of the parts of `content`


def block_of(m: int, k: int, part: int = -1) -> int:
    return m * _M + k * _K + part + 1


def block_parts(block: int) -> tuple[int, int, int]:
    """(message, tool call, result part or -1 for the call itself) of a block."""
    m, rest = divmod(block, _M)
    k, part = divmod(rest, _K)
    return m, k, part - 1


# --- recognising -----------------------------------------------------------------------------


def is_message(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("id"), str) and "$rewindTo" not in value


def sniff(value: Any) -> int:
    """A message `{id, timestamp, type, content}` (a `gemini` one, or one with `toolCalls`, is
    the mark), the metadata line `{sessionId, projectHash}`, or a `$set`/`$rewindTo` line."""
    if not isinstance(value, dict):
        return 0
    if isinstance(value.get("$rewindTo"), str) or isinstance(value.get("$set"), dict):
        return 2
    if isinstance(value.get("sessionId"), str) and isinstance(value.get("projectHash"), str):
        return 3
    if not is_message(value) or "content" not in value or "timestamp" not in value:
        return 0
    kind = value.get("type")
    if kind not in MESSAGE_TYPES or "role" in value or "message" in value:
        return 0
    return 3 if kind == "gemini" or isinstance(value.get("toolCalls"), list) else 2


# --- reading -------------------------------------------------------------------------------


def facts(value: Any) -> RecordFacts:
    if not isinstance(value, dict):
        return OTHER
    target = value.get("$rewindTo")
    if isinstance(target, str):
        return RecordFacts(ItemKind.OTHER, role=REWIND, message_id=target)
    if is_message(value):
        return _messages_facts([value], value.get("type"), value["id"], value.get("timestamp"))
    patch = value.get("$set")
    if isinstance(patch, dict):
        listed = patch.get("messages")
        return _listed(listed, SET_MESSAGES) if isinstance(listed, list) else OTHER
    listed = value.get("messages")
    if isinstance(value.get("sessionId"), str) and isinstance(listed, list):
        return _listed(listed, META_MESSAGES)  # a whole legacy session on one line
    return OTHER


def _listed(messages: list[Any], role: str) -> RecordFacts:
    """A line holding many messages (`$set.messages`, a one-line legacy session)."""
    ids = [m["id"] if is_message(m) else "" for m in messages]
    return _messages_facts(messages, role, _ID_SEPARATOR.join(ids), None)


def _messages_facts(messages: list[Any], role: Any, message_id: str, when: Any) -> RecordFacts:
    calls: list[CallFact] = []
    outputs: list[OutputFact] = []
    missing: list[tuple[int, str]] = []
    talk = False
    for m, message in enumerate(messages):
        if not is_message(message):
            continue
        kind = message.get("type")
        talk = talk or kind in ("user", "gemini")
        own: set[str] = set()
        if kind == "gemini":
            own = _tool_calls(message.get("toolCalls"), m, calls, outputs, missing)
        if kind in ("user", "gemini") and isinstance(message.get("content"), list):
            _content_parts(message, m, own, calls, outputs, missing)
    if calls:
        kind_of = ItemKind.CALLS
    elif outputs:
        kind_of = ItemKind.OUTPUTS
    else:
        # info/error/warning messages are shown, never sent to the model.
        kind_of = ItemKind.MESSAGE if talk else ItemKind.OTHER
    return RecordFacts(
        kind_of,
        role=str_or_none(role),
        calls=tuple(calls),
        outputs=tuple(outputs),
        missing_ids=tuple(missing),
        timestamp=stamp(when),
        message_id=message_id,
    )


def _tool_calls(
    entries: Any,
    m: int,
    calls: list[CallFact],
    outputs: list[OutputFact],
    missing: list[tuple[int, str]],
) -> set[str]:
    """The message's tool calls and their results; returns the ids of its calls."""
    if not isinstance(entries, list):
        return set()
    own = {e["id"] for e in entries if isinstance(e, dict) and usable_id(e.get("id"))}
    for k, entry in enumerate(entries):
        if not isinstance(entry, dict):
            continue
        call_id = usable_id(entry.get("id"))
        if call_id is None:
            missing.append((block_of(m, k), "toolCall without an id"))
            continue
        calls.append(CallFact(call_id, block_of(m, k), CALL_KIND, str_or_none(entry.get("name"))))
        status = str_or_none(entry.get("status"))
        for j, answered in _responses(entry.get("result"), call_id):
            if answered == call_id or answered not in own:  # not a sibling's copy
                outputs.append(OutputFact(answered, block_of(m, k, j), OUTPUT_KIND, status))
    return own


def _content_parts(
    message: dict[str, Any],
    m: int,
    own: set[str],
    calls: list[CallFact],
    outputs: list[OutputFact],
    missing: list[tuple[int, str]],
) -> None:
    """The `functionCall`/`functionResponse` parts of the message's `content`, read as a
    Gemini API content (id-less ones are paired by name in `count_turns`)."""
    role = "model" if message.get("type") == "gemini" else "user"
    found = gemini_api.facts({"role": role, "parts": message["content"]})
    calls.extend(
        CallFact(c.call_id, block_of(m, CONTENT, c.block), c.kind, c.tool)
        for c in found.calls
        if c.call_id not in own or c.kind != api_fix.CALL  # a toolCalls entry's own part
    )
    outputs.extend(
        OutputFact(o.call_id, block_of(m, CONTENT, o.block), o.kind, o.status)
        for o in found.outputs
    )
    missing.extend((block_of(m, CONTENT, b), why) for b, why in found.missing_ids)


def _responses(result: Any, call_id: str) -> list[tuple[int, str]]:
    """(part, the call id it answers) of each function response a result holds: a string
    is the call's own response (the CLI wraps it; an empty one it leaves out), a part or a
    list of parts is sent as it is, and a `functionResponse` without an id answers its own
    call (paired by order)."""
    if isinstance(result, str):
        return [(0, call_id)] if result else []
    parts = result if isinstance(result, list) else [result] if isinstance(result, dict) else []
    found = []
    for j, part in enumerate(parts):
        response = part.get("functionResponse") if isinstance(part, dict) else None
        if isinstance(response, dict):
            found.append((j, usable_id(response.get("id")) or call_id))
    return found


def message_of(value: Any, m: int) -> Any:
    """Message `m` of a decoded record (a message line is its own message 0)."""
    if is_message(value):
        return value if m == 0 else None
    listed = get_path(value, "$set", "messages")
    if not isinstance(listed, list):
        listed = get_path(value, "messages")
    return get_path(listed, m) if isinstance(listed, list) else None


def subject(value: Any, block: int) -> Any:
    """The tool call, or for a result part what a hover shows of it (the response's output
    or error text)."""
    m, k, part = block_parts(block)
    if k == CONTENT:
        return gemini_api.subject({"parts": get_path(message_of(value, m), "content")}, part)
    entry = get_path(message_of(value, m), "toolCalls", k)
    if part < 0 or not isinstance(entry, dict):
        return entry
    result = entry.get("result")
    if isinstance(result, str):
        return {"output": result}
    piece = get_path(result, part) if isinstance(result, list) else result
    response = get_path(piece, "functionResponse", "response")
    if isinstance(response, dict):
        text = response.get("output", response.get("error", response))
        return {"output": text, "is_error": "error" in response and "output" not in response}
    return {"output": piece}


# --- which version of each message is live --------------------------------------------------


def live_messages(history: History) -> dict[str, tuple[int, int]]:
    """Message id -> (row, message in the row) of its live version, in the CLI's order."""
    records = history.items
    ids, kinds, malformed = records.message_ids, records.kinds, KIND_CODES[ItemKind.MALFORMED]
    order: dict[str, tuple[int, int]] = {}
    if ids is None:
        return order
    for row, role in enumerate(records.roles):
        message_id = ids[row]
        if message_id is None or kinds[row] == malformed:
            continue
        if role == REWIND:
            if message_id in order:
                keys = list(order)
                for gone in keys[keys.index(message_id) :]:
                    del order[gone]
            else:
                order.clear()
        elif role in (SET_MESSAGES, META_MESSAGES):
            if role == SET_MESSAGES:
                order.clear()
            for m, listed in enumerate(message_id.split(_ID_SEPARATOR)):
                if listed:
                    order[listed] = (row, m)
        else:
            order[message_id] = (row, 0)
    return order


def live_version(history: History) -> Callable[[int, int], int | None]:
    """A lookup: (row, block) -> the row of the live version of the message block `block`
    of `row` stands in, when another row holds it (a later version, or a `$set` list);
    None when that message was rewound (or `row` is its live version)."""
    live = live_messages(history)
    ids, roles = history.items.message_ids, history.items.roles

    def version(row: int, block: int) -> int | None:
        held = ids[row] if ids is not None and 0 <= row < len(ids) else None
        if held is None or roles[row] == REWIND:
            return None
        listed = held.split(_ID_SEPARATOR)
        m = block_parts(block)[0]
        found = live.get(listed[m]) if m < len(listed) and listed[m] else None
        return None if found is None or found[0] == row else found[0]

    return version


def count_turns(history: History) -> None:
    """Mark the versions no longer live (rewritten, rewound) abandoned, then give every
    live conversation record a turn of its own. Links of a message left behind (and the
    CLI's copy of a response) are dropped, and kept aside for a re-read (`read_links`)."""
    records = history.items
    records.clear_abandoned()
    read = history.links_as_read()
    kinds, flags = records.kinds, records.flags
    if not history.document and records.message_ids is not None:
        live = live_messages(history)
        rows = {row for row, _m in live.values()}
        for row, message_id in enumerate(records.message_ids):
            if message_id is not None and records.roles[row] != REWIND and row not in rows:
                flags[row] |= FLAG_ABANDONED
        _drop_left_behind(history, set(live.values()), rows)
    turns = array("q", [-1]) * len(records)
    turn = 0
    for row, kind in enumerate(kinds):
        if kind in CONVERSATION_CODES and not flags[row] & FLAG_ABANDONED:
            turns[row] = turn
            turn += 1
    records.turns = turns
    if any(o.kind != OUTPUT_KIND for o in history.outputs):
        _once_each(history)
    if any(c.kind == api_fix.CALL_BY_NAME for c in history.calls) or any(
        o.kind.startswith(api_fix.RESPONSE_BY_NAME) for o in history.outputs
    ):
        gemini_api.pair_by_name(history)  # its made-up ids, as the API dialect gives them
    history.keep_read_links(read)


def _once_each(history: History) -> None:
    """A response recorded twice (a `result`, and the `user` message after it) is one."""
    flags = history.items.flags
    answered = {
        o.call_id
        for o in history.outputs
        if o.kind == OUTPUT_KIND and not flags[o.item] & FLAG_ABANDONED
    }
    history.outputs = [
        o for o in history.outputs if o.kind == OUTPUT_KIND or o.call_id not in answered
    ]


def _drop_left_behind(history: History, live: set[tuple[int, int]], rows: set[int]) -> None:
    records = history.items
    many = {
        row
        for row in rows
        if records.roles[row] in (SET_MESSAGES, META_MESSAGES)
        and any((row, m) not in live for m in range(_count(records.message_ids, row)))
    }
    abandoned = {row for row, flag in enumerate(records.flags) if flag & FLAG_ABANDONED}
    history.missing_ids = [e for e in history.missing_ids if e[0] not in abandoned]
    if not many:
        return

    def kept(item: int, block: int) -> bool:
        return item not in many or (item, block // _M) in live

    history.calls = [c for c in history.calls if kept(c.item, c.block)]
    history.outputs = [o for o in history.outputs if kept(o.item, o.block)]


def _count(ids: list[str | None] | None, row: int) -> int:
    return 0 if ids is None or (held := ids[row]) is None else held.count(_ID_SEPARATOR) + 1


def synthesize(plan: Plan, call: Call) -> None:
    """A cancelled result for the call (made with the record's other repairs)."""
    lazy_repairs.gemini_cli_note_missing(plan, call)


DIALECT = Dialect(
    name=NAME,
    what="Gemini CLI sessions",
    shape="JSON session file, or JSONL upsert log",
    sniff=sniff,
    facts=facts,
    subject=subject,
    turns=count_turns,
    live_version=live_version,
    api=ApiErrors(
        missing_output=lambda call: _COUNT_ERROR,
        orphan=lambda output: _COUNT_ERROR,
        duplicate_call=_COUNT_ERROR,
    ),
    default_text=DEFAULT_SYNTHETIC_TEXT,
    synthesize=synthesize,
    fix_in_record=lazy_repairs.gemini_cli_fix_in_record,
    record_edits=lazy_repairs.gemini_cli_record_edits,
    first_role="user",
    trim=lazy_repairs.gemini_cli_trim,
)
