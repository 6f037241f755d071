"""`LineIndex` placed by blocks: the same lines and columns as the full index it replaced
(kept here as the reference), for a few lookups or many, in any order."""

from __future__ import annotations

from bisect import bisect_right
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from context_ls.history import position
from context_ls.history.position import LineIndex, Position, line_starts


class FullIndex:
    """`LineIndex` as it was: every line start listed up front."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.starts = line_starts(data, first=0)

    def position(self, offset: int) -> Position:
        line = bisect_right(self.starts, offset) - 1
        return Position(line, offset - self.starts[line])

    def char_col(self, pos: Position) -> int:
        start = self.starts[pos.line]
        return len(self.data[start : start + pos.byte_col].decode("utf-8", "replace"))


SOURCES = st.lists(
    st.sampled_from(
        [b"\n", b"\r\n", b"a", b"{ ", b'"\xc3\xa9",', b"\xe2\x82\xac", b"\n\n", b"x" * 40]
    ),
    max_size=200,
).map(b"".join)


@settings(max_examples=200, deadline=None)
@given(data=SOURCES, block=st.integers(1, 64), picks=st.lists(st.integers(0, 10_000), max_size=30))
def test_blocks_place_offsets_as_the_full_index(data: bytes, block: int, picks: list[int]) -> None:
    full = FullIndex(data)
    offsets = [pick % (len(data) + 2) for pick in picks]  # up to one past the end
    with patch.object(position, "BLOCK", block):
        index = LineIndex(data)
        for offset in offsets:
            got = index.position(offset)
            assert got == full.position(offset)
            assert index.char_col(got) == full.char_col(got)
            assert index.line_prefix(got) == data[offset - got.byte_col : offset]


@settings(max_examples=100, deadline=None)
@given(data=SOURCES, block=st.integers(1, 64), lines=st.lists(st.integers(0, 500), max_size=20))
def test_a_line_given_alone_starts_where_the_full_index_says(
    data: bytes, block: int, lines: list[int]
) -> None:
    """A `Position` made elsewhere (not by `position`) finds its line start too."""
    full = FullIndex(data)
    with patch.object(position, "BLOCK", block):
        index = LineIndex(data)
        for line in lines:
            pos = Position(line, 3)
            if line < len(full.starts):
                assert index.char_col(pos) == full.char_col(pos)
            else:
                with pytest.raises(IndexError):
                    index.char_col(pos)


def test_every_offset_of_a_multi_block_source() -> None:
    data = b"".join(b"line %d \xc3\xa9\n" % n * (n % 3) for n in range(3000))
    full = FullIndex(data)
    index = LineIndex(data)
    for offset in range(0, len(data) + 1, 7):
        got = index.position(offset)
        assert got == full.position(offset)
        assert index.char_col(got) == full.char_col(got)
    assert index._full is not None  # many lookups: one list of every line start
    assert list(index._full) == list(full.starts)


def test_few_lookups_list_few_blocks() -> None:
    """Placing two offsets of a big source lists no block's line starts (the newlines
    before each are counted, its line's start found, in C)."""
    data = b"0123456789\n" * 200_000
    index = LineIndex(data)
    assert index.position(len(data) - 5) == Position(199_999, 6)
    assert index.position(5) == Position(0, 5)
    assert len(index._blocks) == 0
    assert index._full is None
