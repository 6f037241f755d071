"""How a history holds its records: a column per field (`Records`), each record read
through a view (`items.Item`). Rules and repairs ask the questions below (which rows are
of a kind, which uuid is on which row, where a byte offset falls) rather than read the
columns themselves, so the layout can change without them."""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from itertools import repeat
from typing import Any, overload

from context_ls.history.items import (
    FLAG_ABANDONED,
    FLAG_RESULTS_ONLY,
    KIND_CODES,
    Item,
    ItemKind,
)
from context_ls.history.stamps import Stamps

_NOT_ABANDONED = bytes(flag & ~FLAG_ABANDONED for flag in range(256))
# Records' byte offsets and line numbers: 4 bytes each while they fit (a source under
# 2 GiB: 0.6 MB less for the 51k records of a 28 MB document), 8 once one does not.
NARROW, WIDE = "i", "q"
_POSITIONS = ("starts", "ends", "lines")


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
        self.starts = array(NARROW)
        self.ends = array(NARROW)
        self.lines = array(NARROW)
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
        try:
            self.starts.append(start)
            self.ends.append(end)
            self.lines.append(line)
        except OverflowError:
            self._widen(index)
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
            column, added = _full(name, mine, size), _full(name, theirs, more)
            if isinstance(column, array) and column.typecode != added.typecode:
                column, added = array(WIDE, column), array(WIDE, added)  # one was widened
            column += added
            setattr(self, name, column)

    def same_rows(self, first: int, other: Records, other_first: int, skip: frozenset[str]) -> bool:
        """Rows `other_first`… of `other` (to its end) hold what as many rows from `first`
        of these hold, in every column but those named in `skip`."""
        count = len(other) - other_first
        for name in self.__slots__:
            if name in skip:
                continue
            mine, theirs = getattr(self, name), getattr(other, name)
            if mine is None and theirs is None:
                continue
            here = _full(name, mine, len(self))[first : first + count]
            if here != _full(name, theirs, len(other))[other_first:]:
                return False
        return True

    def _widen(self, rows: int) -> None:
        """A position past what 4 bytes hold: the position columns take 8 (their first
        `rows` rows; an append that failed half-way left more in some)."""
        for name in _POSITIONS:
            setattr(self, name, array(WIDE, getattr(self, name)[:rows]))

    def move(self, first: int, stop: int, offset: int, lines: int = 0) -> None:
        """Rows [first, stop) are `offset` bytes and `lines` lines further on."""
        for name, by in (("starts", offset), ("ends", offset), ("lines", lines)):
            if by:
                column: array[int] = getattr(self, name)
                moved = [value + by for value in column[first:stop]]
                try:
                    column[first:stop] = array(column.typecode, moved)
                except OverflowError:
                    self._widen(len(self))
                    getattr(self, name)[first:stop] = array(WIDE, moved)

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

    # --- questions rules and repairs ask ---------------------------------------------------

    def rows_of(self, kinds: Iterable[ItemKind]) -> list[int]:
        """The rows whose record is of one of `kinds`, in file order."""
        codes = {KIND_CODES[kind] for kind in kinds}
        return [row for row, kind in enumerate(self.kinds) if kind in codes]

    def last_of(self, kind: ItemKind) -> int:
        """The row of the last record of `kind` (-1: none)."""
        return self.kinds.rfind(KIND_CODES[kind])

    def last_with_role(self, role: str) -> int:
        """The row of the last record with `role` (-1: none)."""
        roles = self.roles
        if role not in roles:
            return -1
        return len(roles) - 1 - roles[::-1].index(role)

    def row_at(self, offset: int) -> int:
        """The row of the last record that starts at or before byte `offset` (-1: none)."""
        return bisect_right(self.starts, offset) - 1

    def uuid_rows(self) -> dict[str, int]:
        """uuid -> row; empty when uuids repeat (a chain of them would be ambiguous)."""
        index: dict[str, int] = {}
        for row, uuid in enumerate(self.uuids or ()):
            if uuid:
                if uuid in index:
                    return {}
                index[uuid] = row
        return index

    def known_uuids(self, skip: Iterable[int] = ()) -> set[str]:
        """The uuids the records carry (but those of the rows in `skip`)."""
        left_out = set(skip)
        return {u for row, u in enumerate(self.uuids or ()) if u and row not in left_out}

    def parent_of_uuid(self) -> dict[str, str | None]:
        """uuid -> the parent its record names."""
        parents = self.parent_uuids or repeat(None)
        return {
            uuid: parent for uuid, parent in zip(self.uuids or (), parents, strict=False) if uuid
        }

    def repeated_uuids(self) -> set[str]:
        """The uuids more than one record carries."""
        seen: set[str] = set()
        repeated: set[str] = set()
        for uuid in self.uuids or ():
            if uuid:
                (repeated if uuid in seen else seen).add(uuid)
        return repeated

    def has_parent_links(self) -> bool:
        """Some record names a parent."""
        return any(self.parent_uuids or ())

    def parent_links(self) -> Iterator[tuple[int, str | None]]:
        """(row, the parent it names) of every record, when records name parents."""
        return enumerate(self.parent_uuids or ())


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
