"""The lean read of a big Anthropic Messages document (`Dialect.document_scan`, see
`docscan.py`).

A typed decode keeps what the rules read of each message: its role, and of each content
block its type, ids and whether it is a blank text; the turns are counted as
`anthropic.count_turns` counts them. A record is left out only when it is proven quiet:
its `tool_use` and `tool_result` blocks pair exactly once, in order, the result first in
the user turn right after its call's, and it has no blank text. Anything else is kept, and
with a call that is not answered as it should be (a repair would put a result after its
turn), the rest of its turn and the message after it; so is the latest assistant turn
(whose blank texts stay as they are) and the last plain message."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import msgspec
from msgspec import Struct

from context_ls.history.dialects import anthropic
from context_ls.history.doc_chunks import nested_decoder
from context_ls.history.docscan import IdPairs, Pick
from context_ls.history.facts import DECODE_ERRORS

if TYPE_CHECKING:
    from context_ls.history.doc_chunks import Elements

# Each field is decoded as the full read decodes it (`Any`), so that a record the full read
# cannot decode fails here too; a field not listed fails the decode as well. Such a record
# is then read as the full read reads it, and kept.


class _Block(Struct, gc=False, forbid_unknown_fields=True):
    type: str | None = None
    id: str | None = None
    tool_use_id: str | None = None
    text: Any = None
    name: Any = None
    input: Any = None
    content: Any = None
    is_error: Any = None
    cache_control: Any = None


class _Message(Struct, gc=False, forbid_unknown_fields=True):
    role: str | None = None
    content: str | list[_Block] | None = None


class _BlockMore(_Block, forbid_unknown_fields=True):
    """The other fields blocks may carry (each field is one more to make for every block:
    a chunk the plain blocks do not take is decoded as these)."""

    citations: Any = None
    source: Any = None
    thinking: Any = None
    signature: Any = None
    data: Any = None
    title: Any = None
    context: Any = None


class _MessageMore(_Message, forbid_unknown_fields=True):
    """A message with other blocks, or saved with an API response's fields."""

    content: str | list[_BlockMore] | None = None  # type: ignore[assignment]
    id: Any = None
    type: Any = None
    model: Any = None
    stop_reason: Any = None
    stop_sequence: Any = None
    usage: Any = None


_SHAPES = (nested_decoder(_Message), nested_decoder(_MessageMore))
_message = msgspec.json.Decoder(_MessageMore).decode

_value = msgspec.json.decode

# What is kept of a record: its role (None: not a message), its call ids, its results as
# (id, block), whether it holds results only, and whether it must be kept for itself.
Lean = tuple[str | None, tuple[str, ...], tuple[tuple[str, int], ...], bool, bool]
_OTHER: Lean = (None, (), (), False, False)
_MALFORMED: Lean = (None, (), (), False, True)


def _lean(message: _Message) -> Lean:
    """What the rules read of a decoded message (as `anthropic.facts` reads it)."""
    role, content = message.role, message.content
    if role is None:
        return _OTHER
    if not isinstance(content, list):
        blank = isinstance(content, str) and role == "user" and content != ""
        return role, (), (), False, blank and not content.strip()  # type: ignore[union-attr]
    calls: list[str] = []
    results: list[tuple[str, int]] = []
    keep = False
    only_results = bool(content)
    for index, block in enumerate(content):
        kind = block.type
        if kind != "tool_result":
            only_results = False
        if kind == "tool_use":
            if block.id:
                calls.append(block.id)
            else:
                keep = True  # H007
        elif kind == "tool_result":
            if block.tool_use_id:
                results.append((block.tool_use_id, index))
                # H011 may fire: another block comes before this result
                keep = keep or (not only_results and index > 0)
            else:
                keep = True  # H007
        elif kind == "text":
            text = block.text
            keep = keep or (isinstance(text, str) and not text.strip())  # H012
    return role, tuple(calls), tuple(results), only_results, keep


def _lean_of_value(value: Any) -> Lean:
    """What the full read says of a record the typed decode does not take."""
    facts = anthropic.facts(value)
    if facts.role is None:
        return _OTHER
    calls = tuple(call.call_id for call in facts.calls)
    results = tuple((output.call_id, output.block) for output in facts.outputs)
    return facts.role, calls, results, facts.only_results, True


def _leaned(decode: Callable[[bytes], list[_Message]]) -> Callable[[bytes], list[Lean]]:
    """A chunk's messages decoded by `decode`, as what the rules read of them."""
    return lambda body: list(map(_lean, decode(body)))


def scan(data: bytes, elements: Elements) -> Pick | None:
    """The records of an Anthropic document a finding may come from or point at, and the
    turn of every record; None: read it whole."""
    leans: list[Lean] = []

    shapes = [_leaned(decode) for decode in _SHAPES]

    def one_by_one(raws: list[msgspec.Raw], _first: int) -> list[Lean]:
        found: list[Lean] = []
        for raw in raws:
            try:
                found.append(_lean(_message(raw)))
                continue
            except DECODE_ERRORS:
                pass
            try:
                found.append(_lean_of_value(_value(raw)))
            except DECODE_ERRORS:
                found.append(_MALFORMED)
        return found

    if not elements.decoded(shapes, one_by_one, leans.extend):
        return None
    turns = _turns(leans)
    pairing = _Pairing(leans, turns)
    kept = [row for row, lean in enumerate(leans) if lean[4]]
    kept.extend(pairing.unpaired())
    kept.extend(_latest_assistant(leans, turns))
    last = _last_plain(leans)
    if last >= 0:
        kept.append(last)
    return Pick(sorted(pairing.close(kept)), turns, pairing.close)


def _kind(lean: Lean) -> int:
    """0: not a message, 1: a plain message, 2: calls, 3: results (as `message_kind`)."""
    if lean[0] is None:
        return 0
    return 2 if lean[1] else 3 if lean[2] else 1


def _turns(leans: list[Lean]) -> list[int]:
    """Each record's turn, as `anthropic.count_turns` counts them (-1: not a message)."""
    turns: list[int] = []
    turn, role, results_run = -1, None, False
    for lean in leans:
        kind = _kind(lean)
        if not kind:
            turns.append(-1)
            continue
        this = lean[0]
        joins = this == role and this in ("user", "assistant")
        if joins and this == "user" and kind == 3 and not results_run:
            joins = False
        if not joins:
            turn += 1
            results_run = True
        results_run = results_run and lean[3]
        role = this
        turns.append(turn)
    return turns


def _latest_assistant(leans: list[Lean], turns: list[int]) -> list[int]:
    """The records of the latest assistant turn (`message_rules.latest_assistant`)."""
    last = next(
        (r for r in range(len(leans) - 1, -1, -1) if leans[r][0] == "assistant" and turns[r] >= 0),
        None,
    )
    if last is None:
        return []
    rows = [last]
    for row in range(last - 1, -1, -1):
        if turns[row] < 0:
            continue
        if turns[row] != turns[last]:
            break
        if leans[row][0] == "assistant":
            rows.append(row)
    return rows


def _last_plain(leans: list[Lean]) -> int:
    """The last plain message (where "waiting for output" starts; -1: none)."""
    return next((r for r in range(len(leans) - 1, -1, -1) if _kind(leans[r]) == 1), -1)


class _Pairing(IdPairs):
    """The calls and results of a document's records, by id."""

    def __init__(self, leans: list[Lean], turns: list[int]) -> None:
        super().__init__()
        self.leans, self.turns = leans, turns

    def ids_at(self, row: int) -> Iterable[str]:
        lean = self.leans[row]
        return (*lean[1], *(call_id for call_id, _block in lean[2]))

    def unpaired(self) -> list[int]:
        """The records holding a call or a result whose id does not pair exactly once, in
        order, the result in a user message of the turn right after its call's; with a
        call among them, the rest of its turn and the message after it (where a repair
        puts its result)."""
        leans, turns, suspect = self.leans, self.turns, self.suspect
        first_call, first_result = self.first_call, self.first_output
        holders: list[tuple[str, int]] = []
        for row, lean in enumerate(leans):
            for call_id in lean[1]:
                if call_id in first_call:
                    suspect.add(call_id)
                else:
                    first_call[call_id] = row
                holders.append((call_id, row))
            for call_id, _block in lean[2]:
                if call_id in first_result:
                    suspect.add(call_id)
                else:
                    first_result[call_id] = row
                holders.append((call_id, row))
        suspect.update(first_call.keys() ^ first_result.keys())
        for call_id, row in first_result.items():
            call = first_call.get(call_id)
            if call is None:
                continue
            if leans[row][0] != "user" or turns[row] != turns[call] + 1 or row < call:
                suspect.add(call_id)
        kept = [row for call_id, row in holders if call_id in suspect]
        for row in {first_call[c] for c in suspect if c in first_call}:
            kept.extend(self._turn_after(row))
        return kept

    def _turn_after(self, row: int) -> list[int]:
        """The records of `row`'s turn after it, and the first message after that turn."""
        leans, turns = self.leans, self.turns
        after: list[int] = []
        for later in range(row + 1, len(leans)):
            if turns[later] < 0:
                continue
            after.append(later)
            if turns[later] != turns[row]:
                break
        return after
