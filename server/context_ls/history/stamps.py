"""The timestamps of a history's records, kept in little memory.

A str object per record cost ~75 bytes: 1.7 MB for the 23k records of a 25 MB rollout,
as many objects as records, spread over the heap among short-lived ones. The ISO-8601
times one writer puts on its records all have one length, so they are kept side by side
in one buffer, `width` bytes each; any other value (unix seconds, another length, text
that is not ASCII) is kept as it is, in a list by row made when the first one comes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeGuard, overload

Stamp = str | int | float | None


class Stamps:
    """A column of timestamps: `append`, `stamps[row]`, `copy`, `extend`."""

    __slots__ = ("_count", "_others", "_packed", "_width")

    def __init__(self) -> None:
        self._count = 0
        self._width = 0  # of the packed times; 0 until the first one
        self._packed = bytearray()  # row r at [r * width, (r + 1) * width); zeros: not packed
        # Values not packed, by row, up to the last such row (None: packed or absent).
        self._others: list[Stamp] | None = None

    def append(self, value: Stamp) -> None:
        row = self._count
        self._count += 1
        width = self._width
        if (  # `_packable`, written out: this runs once for every record read
            width
            and type(value) is str
            and len(value) == width
            and value.isascii()
            and value[0] != "\0"
        ):
            self._packed += value.encode()
            return
        self._append_other(row, value)

    def _append_other(self, row: int, value: Stamp) -> None:
        width = self._width
        if not width and _packable(value):
            self._width = len(value)
            self._packed = bytearray(self._width * row) + value.encode()
            return
        if width:
            self._packed += bytes(width)
        if value is not None:
            others = self._others
            if others is None:
                others = self._others = []
            others += [None] * (row - len(others))
            others.append(value)

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, row: int) -> Stamp: ...

    @overload
    def __getitem__(self, row: slice) -> Stamps: ...

    def __getitem__(self, row: int | slice) -> Stamp | Stamps:
        """A row's value; a slice is a copy of those rows, as a column of their own (as
        `Records.copy` slices every column)."""
        if isinstance(row, slice):
            if row.step not in (None, 1):
                raise ValueError("timestamp rows are sliced in order")
            return self.copy(row.start or 0, row.stop)
        if row < 0:
            row += self._count
        if not 0 <= row < self._count:
            raise IndexError("timestamp row out of range")
        width = self._width
        if width and self._packed[row * width]:
            return self._packed[row * width : (row + 1) * width].decode()
        others = self._others
        return others[row] if others is not None and row < len(others) else None

    def __iter__(self) -> Iterator[Stamp]:
        return map(self.__getitem__, range(self._count))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Stamps):
            return NotImplemented
        return self._count == other._count and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]

    def copy(self, first: int = 0, stop: int | None = None) -> Stamps:
        """Rows [first, stop) (row `first` becomes row 0)."""
        first, stop, _ = slice(first, stop).indices(self._count)
        stop = max(stop, first)
        copy = Stamps()
        copy._count = stop - first
        copy._width = self._width
        copy._packed = self._packed[first * self._width : stop * self._width]
        if self._others is not None and first < len(self._others):
            copy._others = self._others[first:stop]
        return copy

    def __iadd__(self, other: Stamps) -> Stamps:
        self.extend(other)
        return self

    def extend(self, other: Stamps) -> None:
        """Append the rows of `other`."""
        if other is self:
            other = self.copy()
        if other._width == self._width or not other._width:
            self._packed += other._packed if other._width else bytes(self._width * other._count)
            if other._others:
                others = self._others if self._others is not None else []
                others += [None] * (self._count - len(others))
                others += other._others
                self._others = others
            self._count += other._count
        else:  # times of another length: row by row (another writer; not a hot path)
            for value in other:
                self.append(value)


def _packable(value: Stamp) -> TypeGuard[str]:
    """Text kept in the buffer: ASCII, and a first byte that is not 0 (zeros mark a row
    whose value is kept apart)."""
    return type(value) is str and value.isascii() and value[:1] not in ("", "\0")
