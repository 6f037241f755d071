"""The timestamp column gives back every value as it was appended, however it packs them."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from context_ls.history.stamps import Stamp, Stamps

ISO = st.builds(lambda s: f"2026-01-01T00:00:{s % 60:02d}.{s % 1000:03d}Z", st.integers(0, 10**6))
VALUES: st.SearchStrategy[Stamp] = st.one_of(
    ISO,
    ISO,
    ISO,
    st.none(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False),
    st.text(max_size=30),  # other lengths, non-ASCII, "" and text starting with NUL
    st.sampled_from(["", "\0", "\x002026-01-01T00:00:00.000Z", "2026-01-01T00:00:00.000Z\0"]),
)


def column(values: list[Stamp]) -> Stamps:
    stamps = Stamps()
    for value in values:
        stamps.append(value)
    return stamps


@given(st.lists(VALUES, max_size=60))
def test_values_come_back_as_appended(values: list[Stamp]) -> None:
    stamps = column(values)
    assert len(stamps) == len(values)
    assert list(stamps) == values
    assert [stamps[row] for row in range(len(values))] == values


@given(st.lists(VALUES, max_size=60), st.integers(-70, 70), st.integers(-70, 70))
def test_a_copy_holds_the_rows_a_slice_would(values: list[Stamp], first: int, stop: int) -> None:
    first = max(first, 0)
    copy = column(values).copy(first, stop)
    assert list(copy) == values[first:stop]
    assert list(column(values)[first:stop]) == values[first:stop]  # as Records.copy slices


@given(st.lists(VALUES, max_size=40), st.lists(VALUES, max_size=40))
def test_extended_columns_hold_both(left: list[Stamp], right: list[Stamp]) -> None:
    stamps = column(left)
    stamps += column(right)
    assert list(stamps) == left + right
    assert stamps == column(left + right)
    stamps.append("2026-01-01T00:00:00.000Z")
    assert stamps[len(left) + len(right)] == "2026-01-01T00:00:00.000Z"


def test_times_of_one_length_are_packed() -> None:
    times = [f"2026-01-01T00:00:{n % 60:02d}.000Z" for n in range(1000)]
    stamps = column([None, *times, 1_767_225_600])
    assert list(stamps) == [None, *times, 1_767_225_600]
    assert len(stamps._packed) == 24 * 1002 and stamps._others == [None] * 1001 + [1_767_225_600]


@given(st.lists(VALUES, max_size=30))
def test_a_column_extended_with_itself_holds_its_rows_twice(values: list[Stamp]) -> None:
    stamps = column(values)
    stamps += stamps
    assert list(stamps) == values + values
    if values:
        assert stamps[-1] == values[-1] and stamps[-len(values) * 2] == values[0]
