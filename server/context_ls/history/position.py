"""Byte offsets → line/column for people (the CLI counts code points; the server converts
its own documents' positions)."""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from typing import NamedTuple


class Position(NamedTuple):
    """0-based line and 0-based column counted in bytes of the UTF-8 source. (A named
    tuple: `check` imports this module before it forks its secrets scan, and a dataclass
    would bring the dataclasses module, ~8 ms, into the child's start.)"""

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
    """Line and column of offsets in a source held in memory. A big source is placed a few
    times (`check` places its findings): so it is cut into blocks, whose newlines are
    counted (one C pass) up to the furthest block asked for. An offset is placed by
    counting the newlines before it in its block; a block's line starts are listed when a
    line's start is asked for (`line_prefix`), and then serve the offsets in it. Once half
    the blocks are listed, the rest are too and lookups go to one list of every line start
    (what many lookups need)."""

    __slots__ = ("_blocks", "_counts", "_data", "_full", "_known")

    def __init__(self, data: bytes, known: dict[int, int] | None = None) -> None:
        """`known`: newlines in some blocks (block number -> count), counted elsewhere."""
        self._data = data
        self._known = known or {}
        # _counts[k]: the newlines before block k (so far as counted).
        self._counts = array("q", [0])
        self._blocks: dict[int, array[int]] = {}
        self._full: array[int] | None = None  # every line start, once made

    def position(self, offset: int) -> Position:
        full = self._full
        if full is not None:
            line = bisect_right(full, offset) - 1
            return Position(line, offset - full[line])
        data = self._data
        k = min(max(offset, 0) // BLOCK, max(len(data) - 1, 0) // BLOCK)
        starts = self._blocks.get(k)
        if starts is None:  # counted and found in C: listing the block costs more
            begin = k * BLOCK
            end = min(max(offset, begin), begin + BLOCK)
            before = data.count(b"\n", begin, end)
            line = self._counted(k) + before
            start = data.rfind(b"\n", begin, end) + 1 if before else self._start(line)
            return Position(line, offset - start)
        before = bisect_right(starts, offset)
        line = self._counted(k) + before
        start = starts[before - 1] if before else self._start(line)
        return Position(line, offset - start)

    def line_prefix(self, pos: Position) -> bytes:
        start = self._start(pos.line)
        return self._data[start : start + pos.byte_col]

    def char_col(self, pos: Position) -> int:
        """Column in code points (what ruff-like CLI output shows, 0-based)."""
        return len(self.line_prefix(pos).decode("utf-8", "replace"))

    def _start(self, line: int) -> int:
        """Where `line` starts: just past the newline that ends the line before it."""
        if line <= 0:
            if line < 0:
                raise IndexError("line out of range")
            return 0
        if self._full is not None:
            return self._full[line]
        counts = self._counts
        blocks = self._block_count()
        while counts[-1] < line and len(counts) <= blocks:
            self._counted(len(counts))
        k = bisect_left(counts, line) - 1  # the block holding newline number `line`
        if k >= blocks or counts[-1] < line:
            raise IndexError("line out of range")
        return self._block(k)[line - counts[k] - 1]

    def _block_count(self) -> int:
        return -(-len(self._data) // BLOCK)

    def _counted(self, k: int) -> int:
        """The newlines before block `k` (blocks counted up to it when not yet)."""
        counts, data, known = self._counts, self._data, self._known
        while len(counts) <= k:
            n = len(counts) - 1
            here = known.get(n)
            if here is None:
                here = data.count(b"\n", n * BLOCK, (n + 1) * BLOCK)
            counts.append(counts[-1] + here)
        return counts[k]

    def _block(self, k: int) -> array[int]:
        starts = self._blocks.get(k)
        if starts is None:
            starts = self._blocks[k] = self._list(k)
            blocks = self._block_count()
            if 2 * len(self._blocks) > blocks:
                full = array("q", [0])
                for n in range(blocks):
                    full += self._blocks.get(n) or self._list(n)
                self._full = full
        return starts

    def _list(self, k: int) -> array[int]:
        start = k * BLOCK
        block = self._data[start : start + BLOCK]
        return line_starts(block, start) if b"\n" in block else array("q")


BLOCK = 16 * 1024  # bytes a block: its line starts are listed in ~0.1 ms
