"""Byte offsets → line/column for people (the CLI counts code points; the server converts
its own documents' positions)."""

from __future__ import annotations

from array import array
from bisect import bisect_right
from dataclasses import dataclass


@dataclass(slots=True, frozen=True)
class Position:
    """0-based line and 0-based column counted in bytes of the UTF-8 source."""

    line: int
    byte_col: int


def line_starts(data: bytes | memoryview, base: int = 0, first: int | None = None) -> array[int]:
    """Offsets (plus `base`) just past every `\\n` in `data`, after `first` when given. An
    array: a big document has a line start per record, and an int object each cost ~1 MB
    of the server's memory for a 25 MB rollout."""
    raw = bytes(data) if isinstance(data, memoryview) else data
    starts = array("q") if first is None else array("q", [first])
    find = raw.find
    pos = find(b"\n")
    while pos != -1:
        starts.append(base + pos + 1)
        pos = find(b"\n", pos + 1)
    return starts


class LineIndex:
    """Start offset of every line of a source held in memory (built once, O(n) in C)."""

    __slots__ = ("_data", "_starts")

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._starts = line_starts(data, first=0)

    def position(self, offset: int) -> Position:
        line = bisect_right(self._starts, offset) - 1
        return Position(line, offset - self._starts[line])

    def line_prefix(self, pos: Position) -> bytes:
        start = self._starts[pos.line]
        return self._data[start : start + pos.byte_col]

    def char_col(self, pos: Position) -> int:
        """Column in code points (what ruff-like CLI output shows, 0-based)."""
        return len(self.line_prefix(pos).decode("utf-8", "replace"))
