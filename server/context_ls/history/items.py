"""A history's records: what each one is (`ItemKind`), where it is (`Span`), and the view
each record is read through (`Item`, a row of the columns in `columns.py`). `model.py`
is where the rest of the history model lives, and names these too."""

from __future__ import annotations

import enum
from array import array
from collections.abc import Iterator
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from context_ls.history.columns import Records


class Span(NamedTuple):
    """Half-open byte range [start, end) in the source (a tuple: millions are made)."""

    start: int
    end: int


class ItemKind(enum.Enum):
    """What a top-level record (a JSONL line, an element of the JSON array) is."""

    MESSAGE = "message"  # a conversation message without calls or outputs
    CALLS = "calls"  # holds one or more tool calls
    OUTPUTS = "outputs"  # holds one or more tool outputs
    OTHER = "other"  # metadata, events, unknown record types: kept, never paired
    MALFORMED = "malformed"  # not valid JSON (e.g. the half-written last line)


KINDS: tuple[ItemKind, ...] = tuple(ItemKind)  # a record's kind code is its place here
KIND_CODES: dict[ItemKind, int] = {kind: code for code, kind in enumerate(KINDS)}
CONVERSATION = (ItemKind.MESSAGE, ItemKind.CALLS, ItemKind.OUTPUTS)  # records with a turn
CONVERSATION_CODES = frozenset(KIND_CODES[kind] for kind in CONVERSATION)
FLAG_RESULTS_ONLY, FLAG_ABANDONED = 1, 2  # bits of `Records.flags`


class Item:
    """One top-level record: a view of row `index` of its `Records`. `line`/`col` are
    where `span` starts (0-based, col in bytes). `turn`, `thread` and `abandoned` can be
    set (the reader settles them after the records are in)."""

    __slots__ = ("_records", "index")

    def __init__(self, records: Records, index: int) -> None:
        self._records = records
        self.index = index

    @property
    def records(self) -> Records:
        """The records this item is a row of (its neighbours, by `index`)."""
        return self._records

    @property
    def span(self) -> Span:
        return Span(self._records.starts[self.index], self._records.ends[self.index])

    @property
    def line(self) -> int:
        return self._records.lines[self.index]

    @property
    def col(self) -> int:
        cols = self._records.cols
        return 0 if cols is None else cols[self.index]

    @property
    def kind(self) -> ItemKind:
        return KINDS[self._records.kinds[self.index]]

    @property
    def role(self) -> str | None:
        """ "user", "assistant", "tool", "system", … when the record has one."""
        return self._records.roles[self.index]

    @property
    def turn(self) -> int:
        """Logical message number used for adjacency; -1: not a message."""
        return self._records.turns[self.index]

    @turn.setter
    def turn(self, value: int) -> None:
        self._records.turns[self.index] = value

    @property
    def timestamp(self) -> str | int | float | None:
        """As the record says (ISO-8601 or unix seconds)."""
        return self._records.timestamps[self.index]

    # Claude Code: the record's own uuid, its parent and the API message id it belongs to.
    @property
    def uuid(self) -> str | None:
        return _rare(self._records.uuids, self.index)

    @property
    def parent_uuid(self) -> str | None:
        return _rare(self._records.parent_uuids, self.index)

    @property
    def message_id(self) -> str | None:
        return _rare(self._records.message_ids, self.index)

    @property
    def error(self) -> str | None:
        """Why a MALFORMED item is malformed."""
        return _rare(self._records.errors, self.index)

    @property
    def results_only(self) -> bool:
        """Holds tool results and nothing else (Claude Code writes one result a line)."""
        return bool(self._records.flags[self.index] & FLAG_RESULTS_ONLY)

    @property
    def thread(self) -> int:
        """Conversations interleaved in one file (Claude Code sidechains); adjacency is
        judged within one thread. 0 is the main conversation."""
        threads = self._records.threads
        return 0 if threads is None else threads[self.index]

    @thread.setter
    def thread(self, value: int) -> None:
        records = self._records
        if records.threads is None:
            if not value:
                return
            records.threads = array("q", bytes(8 * len(records)))
        records.threads[self.index] = value

    @property
    def abandoned(self) -> bool:
        """Claude Code: on a branch left by a rewind (never sent to the API again)."""
        return bool(self._records.flags[self.index] & FLAG_ABANDONED)

    @abandoned.setter
    def abandoned(self, value: bool) -> None:
        flags = self._records.flags
        flags[self.index] = (
            flags[self.index] | FLAG_ABANDONED if value else flags[self.index] & ~FLAG_ABANDONED
        )

    def fields(self) -> tuple[object, ...]:
        """Every field, in the order the record's object used to hold them."""
        return (
            self.index,
            self.span,
            self.line,
            self.col,
            self.kind,
            self.role,
            self.turn,
            self.timestamp,
            self.uuid,
            self.parent_uuid,
            self.message_id,
            self.error,
            self.results_only,
            self.thread,
            self.abandoned,
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Item) and self.fields() == other.fields()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Item{self.fields()!r}"


def later(item: Item) -> Iterator[Item]:
    """The records after `item`, in file order."""
    records = item.records
    return records.views(range(item.index + 1, len(records)))


def next_conversation(item: Item) -> Item | None:
    """The first conversation record (message, calls, outputs) after `item`."""
    for after in later(item):
        if after.kind in CONVERSATION:
            return after
    return None


def _rare(column: list[str | None] | None, index: int) -> str | None:
    return None if column is None else column[index]
