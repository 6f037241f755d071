"""Codex CLI rollout JSONL: `{"timestamp", "ordinal"?, "type", "payload"}` per line.

`response_item` payloads (Responses API items) take part in pairing, and so do the items a
`compacted` line carries in `replacement_history`: when Codex resumes a session, each
compacted line replaces the conversation read so far with its replacement history (or, for
a line without one, with a summary and the user's messages). The conversation Codex sends
again therefore starts at the last compacted line (`resume_start`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import msgspec

from context_ls.history.dialects import responses
from context_ls.history.dialects.base import Dialect
from context_ls.history.facts import (
    DECODE_ERRORS,
    OTHER,
    CallFact,
    RecordFacts,
    get_path,
    stamp,
    str_or_none,
)
from context_ls.history.model import History, ItemKind

if TYPE_CHECKING:
    from context_ls.history.model import Call
    from context_ls.history.normalize import Plan

NAME = "codex"
DEFAULT_SYNTHETIC_TEXT = responses.DEFAULT_SYNTHETIC_TEXT
LINE_TYPES = frozenset(
    {
        "session_meta",
        "response_item",
        "event_msg",
        "turn_context",
        "compacted",
        # 2026: kept, never paired.
        "inter_agent_communication",
        "inter_agent_communication_metadata",
        "token_usage_record",
        "world_state",
        "retained_context",
        "rollout_reference",
    }
)
# The role a compacted line is read with: it is where a resumed conversation starts, said
# by neither the user nor the model.
COMPACTION_ROLE = "compaction"


def sniff(value: Any) -> int:
    if not isinstance(value, dict) or not isinstance(value.get("payload"), dict):
        return 0
    kind = str_or_none(value.get("type"))
    if kind in ("session_meta", "response_item"):
        return 3
    return 2 if kind in LINE_TYPES else 1


def facts(value: Any) -> RecordFacts:
    if not isinstance(value, dict):
        return OTHER
    timestamp = stamp(value.get("timestamp"))
    payload = value.get("payload")
    kind = value.get("type")
    if kind == "response_item" and isinstance(payload, dict):
        return responses.facts(payload, timestamp)
    if kind == "compacted" and isinstance(payload, dict):
        return compacted_facts(payload.get("replacement_history"), timestamp)
    return RecordFacts(ItemKind.OTHER, timestamp=timestamp)


def compacted_facts(replacement: Any, timestamp: str | int | float | None) -> RecordFacts:
    """A compacted line: a conversation record that starts what Codex resumes. Calls and
    outputs of its replacement history that answer each other are settled inside it (Codex
    pairs by presence, as here); a call left open is a call of this line, answered by an
    output after it or by nothing (H001, whose synthetic output then goes right after this
    line, where a resumed Codex reads it). An output inside it whose call is not there is an
    orphan Codex drops in memory; it is not reported, since removing it means editing inside
    the line (see the helper's report)."""
    items = replacement if isinstance(replacement, list) else []
    calls: list[CallFact] = []
    answered: set[str] = set()
    missing: list[tuple[int, str]] = []
    for block, item in enumerate(items):
        found = responses.facts(item)
        for call in found.calls:
            calls.append(CallFact(call.call_id, block, call.kind, call.tool))
        for output in found.outputs:
            answered.add(output.call_id)
        for _, what in found.missing_ids:
            missing.append((block, f"{what} (replacement_history[{block}])"))
    open_calls = tuple(call for call in calls if call.call_id not in answered)
    return RecordFacts(
        ItemKind.CALLS if open_calls else ItemKind.MESSAGE,
        role=COMPACTION_ROLE,
        calls=open_calls,
        missing_ids=tuple(missing),
        timestamp=timestamp,
    )


def resume_start(history: History) -> int:
    """The row where the conversation Codex would resume starts: its last compacted line
    (0 when there is none). Calls and outputs on earlier rows are never sent again."""
    return max(history.items.last_with_role(COMPACTION_ROLE), 0)


# --- the fast path: a typed decoder that skips every field but the pairing keys ----------


class _Item(msgspec.Struct):
    type: str | None = None
    call_id: str | None = None
    name: str | None = None
    namespace: str | None = None
    role: str | None = None
    status: str | None = None
    execution: str | None = None


class _Payload(_Item):
    # Only on `compacted` lines.
    replacement_history: list[_Item] | None = None


class _Line(msgspec.Struct):
    timestamp: str | None = None
    type: str | None = None
    payload: _Payload | None = None


_decode_line = msgspec.json.Decoder(_Line).decode
_decode_any = msgspec.json.decode


def _as_item(item: _Item) -> dict[str, Any]:
    return {
        "type": item.type,
        "call_id": item.call_id,
        "name": item.name,
        "namespace": item.namespace,
        "role": item.role,
        "status": item.status,
        "execution": item.execution,
    }


def facts_from_line(line: bytes) -> RecordFacts:
    """Facts of one rollout line, decoding only what pairing needs (the hot loop of `check`)."""
    try:
        record = _decode_line(line)
    except msgspec.ValidationError:
        # Valid JSON of an unexpected shape (payload not an object, ids not strings…).
        try:
            return facts(_decode_any(line))
        except DECODE_ERRORS as error:
            return RecordFacts(ItemKind.MALFORMED, error=str(error))
    except DECODE_ERRORS as error:
        return RecordFacts(ItemKind.MALFORMED, error=str(error))
    payload = record.payload
    if payload is None:
        return RecordFacts(ItemKind.OTHER, timestamp=record.timestamp)
    if record.type == "compacted":
        replacement = payload.replacement_history
        items = None if replacement is None else [_as_item(item) for item in replacement]
        return compacted_facts(items, record.timestamp)
    if record.type != "response_item":
        return RecordFacts(ItemKind.OTHER, timestamp=record.timestamp)
    kind = payload.type
    if kind in responses.CALL_TYPES or kind in responses.OUTPUT_TYPES or kind is None:
        # Rare or id-bearing items: the generic reader knows every case.
        return responses.facts(_as_item(payload), record.timestamp)
    return responses.facts({"type": kind, "role": payload.role}, record.timestamp)


def synthetic_line(
    call_id: str, call_kind: str, text: str, timestamp: Any, ordinal: int | None = None
) -> dict[str, Any]:
    """The line of the output Codex itself would insert for a call with none. A paginated
    rollout numbers every line (`ordinal`): pass the number the line gets there."""
    line: dict[str, Any] = {}
    if timestamp is not None:
        line["timestamp"] = timestamp
    if ordinal is not None:
        line["ordinal"] = ordinal
    line["type"] = "response_item"
    line["payload"] = responses.synthetic_output(call_id, call_kind, text)
    return line


# --- paginated rollouts: every line numbered -------------------------------------------


class _Numbered(msgspec.Struct):
    ordinal: Any = None


class SessionMeta(msgspec.Struct):
    """What a rollout's first line (`session_meta`) says, as far as context-ls asks: the
    thread id, the project folder and whether every line is numbered."""

    id: Any = None
    cwd: Any = None
    history_mode: Any = None


class _MetaLine(msgspec.Struct):
    type: Any = None
    payload: SessionMeta | None = None


_decode_numbered = msgspec.json.Decoder(_Numbered).decode
_decode_meta = msgspec.json.Decoder(_MetaLine).decode


def session_meta(line: bytes) -> SessionMeta | None:
    """The payload of a `session_meta` line; None for any other line, or one that does not
    decode."""
    try:
        meta = _decode_meta(line)
    except (msgspec.ValidationError, *DECODE_ERRORS):
        return None
    return meta.payload if meta.type == "session_meta" else None


def _is_paginated(raw: bytes) -> bool:
    """Whether a first line is a session_meta saying `history_mode: paginated`."""
    meta = session_meta(raw)
    return meta is not None and meta.history_mode == "paginated"


@dataclass(frozen=True, slots=True)
class Ordinals:
    """What the `ordinal`s of a rollout say. `paginated`: its session_meta says
    `history_mode: paginated`. `last`: the ordinal of its last line (Codex numbers the
    next line it appends `last + 1`). `faults`: (0-based line, what is wrong) for lines
    that break resume: a line without an ordinal (Codex refuses to resume when the final
    one has none) or an ordinal not above the one before it (a reused number)."""

    paginated: bool
    last: int | None
    faults: tuple[tuple[int, str], ...]


def read_ordinals(lines: Iterable[bytes]) -> Ordinals:
    """Read the `ordinal` of every line (blank and undecodable lines are skipped: they are
    H007's). Faults are only gathered for a paginated rollout."""
    paginated = False
    previous: int | None = None
    last_line = -1
    last_missing = False
    faults: list[tuple[int, str]] = []
    first = True
    for number, raw in enumerate(lines):
        if not raw.strip():
            continue
        try:
            ordinal = _decode_numbered(raw).ordinal
        except (msgspec.ValidationError, *DECODE_ERRORS):
            continue
        if first:
            first = False
            paginated = _is_paginated(raw)
        last_line = number
        usable = isinstance(ordinal, int) and not isinstance(ordinal, bool) and ordinal >= 0
        last_missing = not usable
        if not paginated:
            previous = ordinal if usable else previous
            continue
        if not usable:
            faults.append((number, "the line has no ordinal (a paginated rollout numbers each)"))
            continue
        if previous is not None and ordinal <= previous:
            faults.append((number, f"ordinal {ordinal} does not follow {previous}: it is reused"))
        previous = ordinal
    if paginated and last_missing and last_line >= 0:
        faults = [f for f in faults if f[0] != last_line]
        faults.append(
            (last_line, "the last line has no ordinal: Codex refuses to resume this rollout")
        )
    return Ordinals(paginated, previous if not last_missing else None, tuple(faults))


# --- repairs -------------------------------------------------------------------------


def synthesize(plan: Plan, call: Call) -> None:
    """The output Codex itself inserts, right after the call. A paginated rollout numbers
    its lines: no number is free between two of them, so the output goes at the end with
    the next one (the Responses API does not ask for adjacency)."""
    # Repairs only: reading and `check` need no new record.
    from context_ls.history.new_records import NewRecord

    ordinal = _next_ordinal(plan)
    value = synthetic_line(
        call.call_id, call.kind, plan.text, plan.history.items[call.item].timestamp, ordinal
    )
    anchor = call.item if ordinal is None else len(plan.history.items) - 1
    plan.insert(anchor, NewRecord(value))


def _next_ordinal(plan: Plan) -> int | None:
    """The ordinal the next appended line of a paginated rollout gets (None when the
    rollout is not paginated)."""
    given: list[int | None] | None = plan.state.get("ordinals")
    if given is None:
        ordinals = read_ordinals(bytes(plan.data).splitlines() if plan.data else [])
        given = plan.state["ordinals"] = [ordinals.last] if ordinals.paginated else [None]
    last = given[-1]
    if last is None:
        return None
    given.append(last + 1)
    return last + 1


def _subject(value: Any, block: int) -> Any:
    if block >= 0:  # a call inside a compacted line's replacement history
        return get_path(value, "payload", "replacement_history", block)
    return get_path(value, "payload")


def sparse_scan(
    lines: Iterable[bytes | memoryview], history: History, fetch: Callable[[int, int], bytes]
) -> History:
    """`check`'s lean pass over a big rollout (`fastscan.py`, which reads this module)."""
    from context_ls.history.fastscan import scan_codex

    return scan_codex(lines, history, fetch)


DIALECT = Dialect(
    name=NAME,
    what="Codex CLI rollout (`~/.codex/sessions/…/rollout-*.jsonl`)",
    shape='JSONL, `{"timestamp","type","payload"}`',
    sniff=sniff,
    facts=facts,
    read_line=facts_from_line,
    sparse_scan=sparse_scan,
    subject=_subject,
    resume_start=resume_start,
    api=responses.API_ERRORS,
    default_text=DEFAULT_SYNTHETIC_TEXT,
    synthesize=synthesize,
    home_folder=".codex",
    session_globs=("~/.codex/sessions/**/*.jsonl",),
)
