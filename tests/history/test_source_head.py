"""`source.opens_spread_document`: a few KB of a big file say what its first megabytes say
(`check` reads no more of a big document to know it is not a data set)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from context_ls.cli.checked import is_dataset
from context_ls.history import source as src
from context_ls.history.reader import HEAD_BYTES

PIECES = st.sampled_from(
    [b"\n", b"\r\n", b" ", b"[", b"{", b"]", b"}", b'"messages": ', b'{"role": "user"}', b",", b"x"]
)


@settings(max_examples=300, deadline=None)
@given(
    bom=st.booleans(),
    pieces=st.lists(PIECES, max_size=40),
    cut=st.integers(0, 400),
)
def test_a_head_that_opens_a_spread_document_is_one_whatever_follows(
    bom: bool, pieces: list[bytes], cut: int
) -> None:
    data = (src.BOM if bom else b"") + b"".join(pieces)
    start = src.content_start(data)
    head = data[: max(cut, start)]
    if src.opens_spread_document(head, start):
        assert src.looks_like_document(data, start)


def test_a_big_document_is_told_from_a_data_set_by_its_first_line(tmp_path: Path) -> None:
    line = b'{"messages": [{"role": "user", "content": "hi"}]}\n'
    data_set = tmp_path / "big.jsonl"
    data_set.write_bytes(line * (HEAD_BYTES // len(line) + 10))
    document = tmp_path / "big.json"
    document.write_bytes(b'{\n  "messages": [\n' + b'    {"role": "user"},\n' * 250_000 + b"{}]}\n")
    assert is_dataset(data_set, None)
    assert not is_dataset(document, None)
