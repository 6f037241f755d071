"""The lean read of a big Chat Completions document (`Dialect.document_scan`, see
`docscan.py`).

A typed decode keeps only what the rules read (role, the ids of tool calls, a tool
message's `tool_call_id`); the turns are counted as `chat.turns` counts them. A record
is left out only when it is proven quiet: its calls and outputs pair exactly once, in
order, the output in the turn right after its call's. Anything else is kept: records the
typed decode does not take (read as the full read reads them), ids that are missing,
repeated, unanswered, orphaned, early or not adjacent, roles it does not know, and the
last plain message (where "waiting for output" starts)."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import chain, compress, repeat
from operator import attrgetter, eq, sub
from typing import TYPE_CHECKING, Any, Literal, cast

import msgspec
from msgspec import Struct

from context_ls.history.dialects import chat
from context_ls.history.doc_chunks import nested_decoder
from context_ls.history.docscan import IdPairs, Pick
from context_ls.history.facts import DECODE_ERRORS

if TYPE_CHECKING:
    from context_ls.history.doc_chunks import Elements


# Each field is decoded as the full read decodes it (`Any`: whatever it holds), so that a
# record the full read cannot decode (invalid UTF-8, a number out of range) fails here
# too; a field not listed fails the decode as well. Such a record is then read as the full
# read reads it, and kept.


class _Function(Struct, gc=False, forbid_unknown_fields=True):
    name: Any = None
    arguments: Any = None


class _Call(Struct, gc=False, forbid_unknown_fields=True):
    id: str | None = None
    type: Any = None
    function: _Function | None = None  # a struct: cheaper to make than a dict
    index: Any = None


class _Message(Struct, gc=False, forbid_unknown_fields=True):
    """What the rules read of a message (`role`, `tool_calls`, `tool_call_id`), and its
    content: all most Chat messages hold (each field a message holds is one more to make
    for every record)."""

    # The roles the rules know, as literals: none of them is made again for each record.
    role: Literal["system", "developer", "user", "assistant", "tool", "function"] | None = None
    content: Any = None
    tool_calls: list[_Call] | None = None
    tool_call_id: str | None = None


class _MessageMore(_Message, forbid_unknown_fields=True):
    """The other fields Chat messages may carry: a chunk of records the plain message
    does not take is decoded as these."""

    role: str | None = None  # type: ignore[assignment]  # any role ("Tool")
    name: Any = None
    refusal: Any = None
    function_call: Any = None
    audio: Any = None
    annotations: Any = None
    reasoning_content: Any = None


_SHAPES = (nested_decoder(_Message), nested_decoder(_MessageMore))
_message = msgspec.json.Decoder(_MessageMore).decode

_value = msgspec.json.decode
_ROLES = chat.ROLES
_role = attrgetter("role")
_tool_calls = attrgetter("tool_calls")
_tool_call_id = attrgetter("tool_call_id")
_id = attrgetter("id")


def scan(data: bytes, elements: Elements) -> Pick | None:
    """The records of a Chat document a finding may come from or point at, and the turn
    of every record; None: read it whole."""
    kept: list[int] = []
    roles: list[str | None] = []
    calls: list[list[_Call] | None] = []
    outputs: list[str | None] = []

    def store(messages: list[_Message]) -> None:
        """What the rules read of a chunk's messages (their contents go with the chunk)."""
        roles.extend(map(_role, messages))
        calls.extend(map(_tool_calls, messages))
        outputs.extend(map(_tool_call_id, messages))

    def one_by_one(raws: list[msgspec.Raw], first: int) -> list[_Message]:
        return _one_by_one(raws, first, kept)

    if not elements.decoded(_SHAPES, one_by_one, store):
        return None
    if not _ROLES.issuperset(roles):  # any case is read ("Tool"); unknown roles are kept
        roles = [r.lower() if r is not None else None for r in roles]
        kept.extend(row for row, role in enumerate(roles) if role not in _ROLES)
    turns = _turns(roles)
    pairing = _Pairing(roles, calls, outputs)
    kept.extend(pairing.unpaired(turns, kept))
    last = pairing.last_plain()
    if last >= 0:
        kept.append(last)
    return Pick(sorted(pairing.close(kept)), turns, pairing.close)


def _one_by_one(raws: list[msgspec.Raw], first: int, kept: list[int]) -> list[_Message]:
    """The messages (rows from `first`) decoded one at a time: a record the typed decode
    does not take is read as the full read reads it (`chat.facts`, or not JSON: MALFORMED,
    not a message) and kept."""
    messages: list[_Message] = []
    for row, raw in enumerate(raws, first):
        try:
            messages.append(_message(raw))
            continue
        except DECODE_ERRORS:
            kept.append(row)
        try:
            messages.append(_of_facts(_value(raw)))
        except DECODE_ERRORS:
            messages.append(_Message())
    return messages


def _of_facts(value: Any) -> _Message:
    """What the full read says of a record, as a message the scan reads: its role, and its
    usable call and output ids (a record without one is kept anyway)."""
    facts = chat.facts(value)
    calls = [_Call(call.call_id) for call in facts.calls] or None
    output = facts.outputs[0].call_id if facts.outputs else None
    return _MessageMore(role=facts.role, tool_calls=calls, tool_call_id=output)


def _turns(roles: list[str | None]) -> list[int]:
    """Each record's turn, as `chat.turns` counts them (-1: not a message)."""
    turns: list[int] = []
    append = turns.append
    turn = -1
    previous_was_tool = False
    for role in roles:
        if role is None:
            append(-1)
            continue
        is_tool = role == "tool"
        if not (is_tool and previous_was_tool):
            turn += 1
        previous_was_tool = is_tool
        append(turn)
    return turns


class _Pairing(IdPairs):
    """The calls and outputs of a document's records, by id."""

    def __init__(
        self,
        roles: list[str | None],
        calls: list[list[_Call] | None],
        outputs: list[str | None],
    ) -> None:
        super().__init__()
        self.roles, self.calls, self.outputs = roles, calls, outputs

    def unpaired(self, turns: list[int], kept: list[int]) -> list[int]:
        """The records holding a call or an output whose id does not pair exactly once,
        in order, the output in the turn after its call's; those with an id missing go to
        `kept`. (Loops in C where they can: this runs over every record.)"""
        roles, calls = self.roles, self.calls
        rows = range(len(roles))
        holders = list(compress(rows, calls))
        if not {"assistant"}.issuperset(map(roles.__getitem__, holders)):
            holders = [row for row in holders if roles[row] == "assistant"]
        # Each a list of calls, never empty (`compress` kept those).
        held = cast("list[list[_Call]]", list(map(calls.__getitem__, holders)))
        held_ids = list(map(_id, chain.from_iterable(held)))
        if len(held_ids) != len(holders):  # a message of several calls: a row for each
            holders = list(chain.from_iterable(map(repeat, holders, map(len, held))))
        call_ids, call_rows = _with_ids(held_ids, holders, kept)
        output_rows = list(compress(rows, map(eq, roles, repeat("tool"))))
        output_ids, output_rows = _with_ids(
            list(map(self.outputs.__getitem__, output_rows)), output_rows, kept
        )
        suspect = self.suspect
        first_call = self.first_call = _first_of(call_ids, call_rows, suspect)
        first_output = self.first_output = _first_of(output_ids, output_rows, suspect)
        if first_call.keys() == first_output.keys():
            paired: Iterable[str] = first_output  # (in the outputs' order)
            output_at: Iterable[int] = first_output.values()
        else:
            suspect.update(first_call.keys() ^ first_output.keys())
            paired = list(compress(first_output, map(first_call.__contains__, first_output)))
            output_at = map(first_output.__getitem__, paired)
        turn_of = turns.__getitem__
        # The output's turn right after its call's (turns never go down, so it comes later).
        gaps = list(
            map(sub, map(turn_of, output_at), map(turn_of, map(first_call.__getitem__, paired)))
        )
        if gaps.count(1) != len(gaps):
            suspect.update(compress(paired, map((1).__ne__, gaps)))
        if not suspect:
            return []
        is_suspect = suspect.__contains__
        return [
            *compress(call_rows, map(is_suspect, call_ids)),
            *compress(output_rows, map(is_suspect, output_ids)),
        ]

    def ids_at(self, row: int) -> list[str]:
        role, output = self.roles[row], self.outputs[row]
        if role == "assistant":
            return [call.id for call in self.calls[row] or () if call.id]
        if role == "tool" and output:
            return [output]
        return []

    def last_plain(self) -> int:
        """The last record the full read calls a plain message (no call, no output): the
        calls after it are the live tail "waiting for output" judges (-1: none)."""
        roles, calls, outputs = self.roles, self.calls, self.outputs
        for row in range(len(roles) - 1, -1, -1):
            role = roles[row]
            if role is None:
                continue
            if role == "tool" and outputs[row]:
                continue
            if role == "assistant" and any(call.id for call in calls[row] or ()):
                continue
            return row
        return -1


def _with_ids(
    ids: list[str | None], rows: list[int], kept: list[int]
) -> tuple[list[str], list[int]]:
    """The ids that are usable and their rows; the rows of the others go to `kept` (H007)."""
    if all(ids):
        return ids, rows  # type: ignore[return-value]  # no None, no ""
    kept.extend(row for row, each in zip(rows, ids, strict=True) if not each)
    pairs = [(each, row) for each, row in zip(ids, rows, strict=True) if each]
    return [each for each, _row in pairs], [row for _each, row in pairs]


def _first_of(ids: list[str], rows: list[int], repeated: set[str]) -> dict[str, int]:
    """id -> the row of its first holder; the ids held more than once go to `repeated`."""
    first = dict(zip(ids, rows, strict=True))
    if len(first) != len(ids):  # repeated: the first of each is kept
        first = dict(zip(reversed(ids), reversed(rows), strict=True))
        seen: set[str] = set()
        for each in ids:
            if each in seen:
                repeated.add(each)
            seen.add(each)
    return first
