"""A broken document's records keep exact lines and columns when salvaged, counted on from
record to record (a count from the start for each one made a keystroke that broke a 28 MB
document take 30 s)."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from context_ls.history import source as src

messages = st.lists(
    st.fixed_dictionaries(
        {"role": st.sampled_from(["user", "assistant"]), "content": st.text(max_size=30)}
    ),
    min_size=1,
    max_size=12,
)


@given(messages, st.sampled_from([None, 0, 2]), st.data())
def test_salvaged_records_are_placed_as_counted_from_the_start(
    items: list[dict[str, str]], indent: int | None, data: st.DataObject
) -> None:
    text = json.dumps({"messages": items}, indent=indent, ensure_ascii=False).encode()
    cut = data.draw(st.integers(min_value=1, max_value=len(text) - 1))
    broken = text[:cut] + b"x" + text[cut:]
    for record in src.salvage(broken, 0):
        assert record.line == broken.count(b"\n", 0, record.start)
        assert record.col == record.start - (broken.rfind(b"\n", 0, record.start) + 1)
        assert record.data == broken[record.start : record.end]


def test_a_big_broken_document_s_records_are_placed_exactly() -> None:
    items = [{"role": "user", "content": f"message {n}"} for n in range(20_000)]
    text = json.dumps({"messages": items}, indent=2).encode()
    broken = text[:-10] + b"x" + text[-10:]  # breaks inside the last record
    records = src.salvage(broken, 0)
    assert len(records) == 20_000
    last = records[-2]
    assert last.line == broken.count(b"\n", 0, last.start)
    assert records[-1].error is not None
