"""A history's records: what each one is (`ItemKind`), where it is (`Span`), and how
a history holds them: as columns (`Records`), each record read through a view (`Item`).
`model.py` is where the rest of the history model lives, and names these too."""

from __future__ import annotations

import enum
from array import array
from collections.abc import Iterator, Sequence
from itertools import repeat
from typing import Any, NamedTuple, overload

from context_ls.history.stamps import Stamps


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
_NOT_ABANDONED = bytes(flag & ~FLAG_ABANDONED for flag in range(256))


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
            records.threads = _zeros(len(records))
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


class Records(Sequence[Item]):
    """The records of a history, a column per field. An object per record cost ~430 bytes
    (the `Item`, its `Span`, an int object per offset, line and turn): ~10 MB for a 25 MB
    rollout, most of the server's memory beside the document's bytes. A row of these
    columns costs ~65. `items[i]` is a view of row i, a slice a list of views; `copy`
    copies rows (in C)."""

    __slots__ = (
        "cols",
        "ends",
        "errors",
        "flags",
        "kinds",
        "lines",
        "message_ids",
        "parent_uuids",
        "roles",
        "starts",
        "threads",
        "timestamps",
        "turns",
        "uuids",
    )

    def __init__(self) -> None:
        self.starts = array("q")
        self.ends = array("q")
        self.lines = array("q")
        self.kinds = bytearray()  # KIND_CODES
        self.flags = bytearray()  # FLAG_RESULTS_ONLY | FLAG_ABANDONED
        self.turns = array("q")
        self.roles: list[str | None] = []
        self.timestamps = Stamps()
        # Columns most dialects never fill: None until a record has a value (not 0).
        self.cols: array[int] | None = None  # JSON documents
        self.threads: array[int] | None = None  # Claude Code sidechains
        self.uuids: list[str | None] | None = None
        self.parent_uuids: list[str | None] | None = None
        self.message_ids: list[str | None] | None = None
        self.errors: list[str | None] | None = None

    def append(
        self,
        start: int,
        end: int,
        line: int,
        col: int,
        kind: ItemKind,
        role: str | None,
        timestamp: str | int | float | None,
        uuid: str | None,
        parent_uuid: str | None,
        message_id: str | None,
        error: str | None,
        results_only: bool,
        thread: int,
    ) -> None:
        index = len(self.kinds)
        self.starts.append(start)
        self.ends.append(end)
        self.lines.append(line)
        self.kinds.append(KIND_CODES[kind])
        self.flags.append(FLAG_RESULTS_ONLY if results_only else 0)
        self.turns.append(-1)
        self.roles.append(role)
        self.timestamps.append(timestamp)
        if col or self.cols is not None:
            self.cols = _put("cols", self.cols, index, col)
        if thread or self.threads is not None:
            self.threads = _put("threads", self.threads, index, thread)
        if uuid is not None or self.uuids is not None:
            self.uuids = _put("uuids", self.uuids, index, uuid)
        if parent_uuid is not None or self.parent_uuids is not None:
            self.parent_uuids = _put("parent_uuids", self.parent_uuids, index, parent_uuid)
        if message_id is not None or self.message_ids is not None:
            self.message_ids = _put("message_ids", self.message_ids, index, message_id)
        if error is not None or self.errors is not None:
            self.errors = _put("errors", self.errors, index, error)

    def __len__(self) -> int:
        return len(self.kinds)

    @overload
    def __getitem__(self, index: int) -> Item: ...

    @overload
    def __getitem__(self, index: slice) -> list[Item]: ...

    def __getitem__(self, index: int | slice) -> Item | list[Item]:
        if isinstance(index, slice):
            return [Item(self, row) for row in range(*index.indices(len(self.kinds)))]
        size = len(self.kinds)
        if index < 0:
            index += size
        if not 0 <= index < size:
            raise IndexError("record index out of range")
        return Item(self, index)

    def __iter__(self) -> Iterator[Item]:
        return self.views(range(len(self.kinds)))

    def views(self, rows: range) -> Iterator[Item]:
        """Views of `rows` (in range), made as they are reached: a walk that stops early
        makes few (a slice makes them all at once)."""
        return map(Item, repeat(self), rows)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Records):
            return NotImplemented
        return len(self) == len(other) and all(
            _full(name, getattr(self, name), len(self))
            == _full(name, getattr(other, name), len(other))
            for name in self.__slots__
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Records({list(self)!r})"

    def copy(self, first: int = 0, stop: int | None = None) -> Records:
        """Rows [first, stop) as records of their own (row `first` becomes row 0)."""
        copy = Records.__new__(Records)
        for name in self.__slots__:
            column = getattr(self, name)
            setattr(copy, name, None if column is None else column[first:stop])
        return copy

    def __add__(self, other: Records) -> Records:
        joined = self.copy()
        joined.extend(other)
        return joined

    def extend(self, other: Records) -> None:
        """Append the rows of `other`."""
        if other is self:
            other = self.copy()
        size, more = len(self), len(other)
        for name in self.__slots__:
            mine, theirs = getattr(self, name), getattr(other, name)
            if mine is None and theirs is None:
                continue
            column = _full(name, mine, size)
            column += _full(name, theirs, more)
            setattr(self, name, column)

    def move(self, first: int, stop: int, offset: int, lines: int = 0) -> None:
        """Rows [first, stop) are `offset` bytes and `lines` lines further on."""
        if offset:
            self.starts[first:stop] = array("q", [s + offset for s in self.starts[first:stop]])
            self.ends[first:stop] = array("q", [e + offset for e in self.ends[first:stop]])
        if lines:
            self.lines[first:stop] = array("q", [n + lines for n in self.lines[first:stop]])

    def of_kind(self, kind: ItemKind) -> list[int]:
        """The rows of one kind, in file order (found in C: no view per row)."""
        code, kinds, rows = KIND_CODES[kind], self.kinds, []
        row = kinds.find(code)
        while row != -1:
            rows.append(row)
            row = kinds.find(code, row + 1)
        return rows

    def any_abandoned(self) -> bool:
        return any(flag & FLAG_ABANDONED for flag in self.flags)

    def clear_abandoned(self) -> None:
        self.flags = self.flags.translate(_NOT_ABANDONED)


def _put(name: str, column: Any, index: int, value: object) -> Any:
    """Rare column `name` with `value` appended as row `index` (made first if None)."""
    if column is None:
        column = _full(name, None, index)
    column.append(value)
    return column


def _zeros(size: int) -> array[int]:
    return array("q", bytes(8 * size))


_NUMBER_COLUMNS = frozenset({"cols", "threads"})


def _full(name: str, column: Any, size: int) -> Any:
    """A rare column filled in (None stands for `size` zeros or Nones)."""
    if column is not None:
        return column
    return _zeros(size) if name in _NUMBER_COLUMNS else [None] * size
