"""A `Spliced` source answers every bytes operation the edit path uses exactly as the
bytes it stands for, before and after they are copied."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from context_ls.history.spliced import Spliced, as_bytes, edited_range

SOURCES = st.binary(max_size=60) | st.lists(st.sampled_from([b"\n", b"ab", b"\r\n", b"x"])).map(
    b"".join
)
BOUNDS = st.none() | st.integers(-70, 70)
NEEDLES = st.sampled_from([b"\n", b"x", b"\r\n", b"ab", b"b\nx", b"", 10, ord("a")])
AFFIXES = st.sampled_from([b"\n", b"x", b"ab", b"", (b"zz", b"a"), (b"\n",), ()])


@st.composite
def spliced(draw: st.DrawFn) -> tuple[Spliced, bytes]:
    """A chain of one to three edits over a source, and the bytes it stands for."""
    base: bytes | Spliced = draw(SOURCES)
    expected = as_bytes(base)
    for _ in range(draw(st.integers(1, 3))):
        first = draw(st.integers(0, len(expected)))
        last = draw(st.integers(first, len(expected)))
        insert = draw(SOURCES)
        base = Spliced(base, first, last, insert)
        expected = expected[:first] + insert + expected[last:]
    assert isinstance(base, Spliced)
    return base, expected


def check_reads(source: Spliced, expected: bytes, data: st.DataObject) -> None:
    assert len(source) == len(expected)
    for _ in range(6):
        start, stop = data.draw(BOUNDS), data.draw(BOUNDS)
        step = data.draw(st.sampled_from([None, 1, 2, -1]))
        assert source[start:stop:step] == expected[start:stop:step]
        needle = data.draw(NEEDLES)
        assert source.find(needle, start, stop) == expected.find(needle, start, stop)
        assert source.rfind(needle, start, stop) == expected.rfind(needle, start, stop)
        assert source.count(needle, start, stop) == expected.count(needle, start, stop)
        affix = data.draw(AFFIXES)
        assert source.startswith(affix) == expected.startswith(affix)
        assert source.endswith(affix) == expected.endswith(affix)


@given(spliced(), st.data())
def test_reads_equal_those_of_the_bytes(case: tuple[Spliced, bytes], data: st.DataObject) -> None:
    source, expected = case
    check_reads(source, expected, data)


@given(spliced(), st.data())
def test_materialized_reads_and_bytes(case: tuple[Spliced, bytes], data: st.DataObject) -> None:
    source, expected = case
    assert source.depth >= 1
    assert source.materialize() == expected
    assert bytes(source) == expected
    assert source.base is None and source.depth == 0  # the previous version can go
    assert source.materialize() is source.materialize()  # copied once
    check_reads(source, expected, data)


def test_an_edit_outside_its_source_is_refused() -> None:
    with pytest.raises(ValueError, match="outside a source of 3 bytes"):
        Spliced(b"abc", 2, 4, b"")
    with pytest.raises(ValueError):
        Spliced(b"abc", 2, 1, b"")


def test_one_copy_when_threads_ask_at_once() -> None:
    source = Spliced(b"a\n" * 500_000, 10, 12, b"edited\n")
    results: list[bytes] = []
    threads = [
        threading.Thread(target=lambda: results.append(source.materialize())) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(result) for result in results}) == 1
    assert results[0] == b"a\n" * 5 + b"edited\n" + b"a\n" * (500_000 - 6)


def test_only_slices_read_it() -> None:
    with pytest.raises(TypeError, match="read by slices"):
        Spliced(b"abc", 0, 0, b"")[1]  # type: ignore[index]


@given(st.lists(st.tuples(st.integers(0, 99), st.integers(0, 9), SOURCES), min_size=2, max_size=9))
def test_a_chain_is_copied_in_one_go(edits: list[tuple[int, int, bytes]]) -> None:
    """Copying the newest of several versions made one on another copies no version in
    between: each of those still reads as itself, from its pieces."""
    versions: list[tuple[Spliced, bytes]] = []
    source: bytes | Spliced = b"0123456789\n" * 5
    expected = as_bytes(source)
    for at, removed, insert in edits:
        first = at % (len(expected) + 1)
        last = min(first + removed, len(expected))
        source = Spliced(source, first, last, insert)
        expected = expected[:first] + insert + expected[last:]
        versions.append((source, expected))
    newest, newest_bytes = versions[-1]
    assert newest.depth == len(edits)
    assert newest.materialize() == newest_bytes
    for version, version_bytes in versions[:-1]:
        assert version.base is not None  # not copied
        assert version[:] == version_bytes and version.materialize() == version_bytes


@given(spliced(), st.data())
def test_the_edited_range_since_an_earlier_version(
    case: tuple[Spliced, bytes], data: st.DataObject
) -> None:
    """Bytes outside the range told are those of the earlier version, whichever version
    of the chain it is; a version not made from it (or copied since) has no range."""
    source, _ = case
    chain: list[bytes | Spliced] = [source]
    while isinstance(chain[-1], Spliced) and chain[-1].base is not None:
        chain.append(chain[-1].base)
    earlier = data.draw(st.sampled_from(chain[1:]))
    edited = edited_range(source, earlier)
    assert edited is not None
    first, last = edited
    old, new = as_bytes(earlier), bytes(source)
    assert 0 <= first <= last <= len(old)
    assert new[:first] == old[:first]
    assert new[len(new) - (len(old) - last) :] == old[last:]
    assert edited_range(source, source) is None
    copy = bytes(bytearray(old))  # equal bytes, another object
    assert edited_range(source, copy) is None or copy is earlier
    assert edited_range(source, earlier) is None  # copied: its edits are gone
