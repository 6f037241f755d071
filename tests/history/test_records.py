"""Records keep a history's items as columns; every view must read what was appended,
and copies, joins and moves must act as they would on a list of rows."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from context_ls.history.model import Item, ItemKind, Records, Span

TEXT = st.one_of(st.none(), st.sampled_from(["u1", "u2", "m1"]), st.text(max_size=8))
ROWS = st.lists(
    st.tuples(
        # start (past 2 GiB sometimes: the position columns then take 8 bytes)
        st.one_of(st.integers(0, 10**9), st.integers(0, 10**9), st.integers(2**31 - 9, 2**40)),
        st.integers(0, 5000),  # length
        st.one_of(st.integers(0, 10**6), st.integers(0, 10**6), st.integers(2**31 - 2, 2**33)),
        st.sampled_from([0, 0, 0, 7]),  # col
        st.sampled_from(list(ItemKind)),
        st.sampled_from([None, "user", "assistant", "tool"]),
        st.one_of(st.none(), st.just("2026-01-01T00:00:00.000Z"), st.integers(0, 2**40)),
        TEXT,  # uuid
        TEXT,  # parent uuid
        TEXT,  # message id
        TEXT,  # error
        st.booleans(),  # results only
        st.sampled_from([0, 0, 0, 2]),  # thread
    ),
    max_size=30,
)


def records(rows: list[tuple[Any, ...]]) -> Records:
    built = Records()
    for start, length, *rest in rows:
        built.append(start, start + length, *rest)
    return built


def expected(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Item.fields() of each row, as an object per record held them."""
    out = []
    for index, row in enumerate(rows):
        start, length, line, col, kind, role, stamp, uuid, parent, message, error, only, thread = (
            row
        )
        out.append(
            (
                index,
                Span(start, start + length),
                line,
                col,
                kind,
                role,
                -1,
                stamp,
                uuid,
                parent,
                message,
                error,
                only,
                thread,
                False,
            )
        )
    return out


@given(ROWS)
def test_each_view_reads_its_row(rows: list[tuple[Any, ...]]) -> None:
    built = records(rows)
    assert len(built) == len(rows)
    assert [item.fields() for item in built] == expected(rows)
    assert [built[i].fields() for i in range(-len(rows), 0)] == expected(rows)
    assert built[2:5] == [built[i] for i in range(2, min(5, len(rows)))]


@given(ROWS, st.integers(0, 35), st.integers(0, 35))
def test_copies_and_joins_act_as_list_slices(
    rows: list[tuple[Any, ...]], first: int, stop: int
) -> None:
    built = records(rows)
    assert built.copy(first, stop) == records(rows[first:stop])
    assert built.copy(0, first) + built.copy(first) == built
    joined = records(rows[:first])
    joined.extend(records(rows[first:]))
    assert joined == built


@given(
    ROWS, st.integers(0, 35), st.integers(0, 35), st.one_of(st.integers(-100, 100), st.just(2**31))
)
def test_move_shifts_a_run_of_rows(
    rows: list[tuple[Any, ...]], first: int, stop: int, offset: int
) -> None:
    built = records(rows)
    built.move(first, stop, offset, 3)
    for index, (item, row) in enumerate(zip(built, expected(rows), strict=True)):
        moved = first <= index < stop
        assert item.span == (Span(row[1].start + offset, row[1].end + offset) if moved else row[1])
        assert item.line == row[2] + (3 if moved else 0)


@given(ROWS)
def test_what_the_reader_settles_is_set_through_views(rows: list[tuple[Any, ...]]) -> None:
    built = records(rows)
    for item in built:
        item.turn = item.index * 2
        item.thread = item.index % 3
        item.abandoned = item.index % 2 == 1
    assert [(i.turn, i.thread, i.abandoned) for i in built] == [
        (n * 2, n % 3, n % 2 == 1) for n in range(len(rows))
    ]
    assert built.any_abandoned() == (len(rows) > 1)
    built.clear_abandoned()
    assert not any(item.abandoned for item in built)
    assert built.of_kind(ItemKind.CALLS) == [
        n for n, row in enumerate(rows) if row[4] is ItemKind.CALLS
    ]


def test_items_compare_by_value() -> None:
    one = records([(0, 5, 0, 0, ItemKind.MESSAGE, "user", None, None, None, None, None, False, 0)])
    two = records([(0, 5, 0, 0, ItemKind.MESSAGE, "user", None, None, None, None, None, False, 0)])
    assert one[0] == two[0] and isinstance(one[0], Item)
    two[0].turn = 4
    assert one[0] != two[0]


@given(ROWS)
def test_records_extended_with_themselves_hold_their_rows_twice(
    rows: list[tuple[Any, ...]],
) -> None:
    built = records(rows)
    built.extend(built)
    assert built == records(rows + rows)


def test_positions_take_four_bytes_below_two_gib_and_eight_past() -> None:
    row = (ItemKind.MESSAGE, "user", None, None, None, None, None, False, 0)
    small = records([(2**31 - 10, 5, 7, 0, *row)])
    assert [small.starts.itemsize, small.ends.itemsize, small.lines.itemsize] == [4, 4, 4]
    big = records([(2**31 - 10, 5, 7, 0, *row), (2**31 - 3, 9, 8, 0, *row)])  # ends past
    assert [big.starts.itemsize, big.ends.itemsize, big.lines.itemsize] == [8, 8, 8]
    assert [item.span for item in big] == [Span(2**31 - 10, 2**31 - 5), Span(2**31 - 3, 2**31 + 6)]
    small.move(0, 1, 2**31)
    assert small[0].span == Span(2**32 - 10, 2**32 - 5) and small[0].line == 7
    joined = records([(0, 5, 7, 0, *row)])
    joined.extend(big)
    assert joined.starts.tolist() == [0, 2**31 - 10, 2**31 - 3]
