"""A document's line starts listed only when first needed (`TextSnapshot.raw_starts`):
before that, offsets are placed as the listed lines place them, in any order and from
several threads, and an edit or a whole listing gives the same lines."""

from __future__ import annotations

import io
import json
from concurrent.futures import ThreadPoolExecutor
from unittest.mock import patch

from hypothesis import given, settings
from hypothesis import strategies as st
from lsprotocol import types

from context_ls.history.position import line_starts
from context_ls.lsp import documents
from context_ls.lsp.documents import TextSnapshot
from context_ls.lsp.streamed import Streamed, read_body

ALPHABET = st.sampled_from(["a", "{", '"', "\n", "\r\n", "é", "€", "😀", " ", "xxxxxxxx"])
TEXT = st.lists(ALPHABET, max_size=200).map("".join)
ENCODINGS = ["utf-8", "utf-16", "utf-32"]


def listed(text: TextSnapshot) -> TextSnapshot:
    fresh = TextSnapshot(text.data, None, text.version, text.encoding)
    fresh.materialize()
    assert fresh.lines_listed and not fresh.work_pending
    return fresh


@settings(max_examples=200, deadline=None)
@given(text=TEXT, encoding=st.sampled_from(ENCODINGS), order=st.randoms(use_true_random=False))
def test_offsets_are_placed_as_the_listed_lines_place_them(
    text: str, encoding: str, order: object
) -> None:
    data = text.encode()
    offsets = list(range(-1, len(data) + 2))
    order.shuffle(offsets)  # type: ignore[attr-defined]
    with patch.object(documents, "FEW_PLACES", 1 << 30):
        lazy = TextSnapshot.from_bytes(data, 1, encoding)
        assert not lazy.lines_listed and lazy.work_pending
        full = listed(lazy)
        for offset in offsets:
            assert lazy.position_at(offset) == full.position_at(offset)
            if 0 <= offset <= len(data):
                assert lazy.line_span(offset) == full.line_span(offset)
        assert not lazy.lines_listed  # placing never listed them
    assert lazy.raw_starts == line_starts(data, first=0) == full.raw_starts
    assert lazy.line_count == text.count("\n") + 1
    for count in range(6):
        assert lazy.more_lines_than(count) == full.more_lines_than(count)
        assert TextSnapshot.from_bytes(data, 1).more_lines_than(count) == (
            text.count("\n") + 1 > count
        )


def test_many_placements_list_the_lines_once() -> None:
    data = b"line\n" * 5000
    text = TextSnapshot.from_bytes(data, 1)
    with patch.object(documents, "FEW_PLACES", 10):
        for offset in range(0, 200, 5):
            assert text.position_at(offset) == types.Position(line=offset // 5, character=0)
    assert text.lines_listed and len(text.raw_starts) == 5001


def test_an_edit_of_unlisted_lines_lists_them_first() -> None:
    text = TextSnapshot.from_text("a\nbc\nd", 1)
    change = types.TextDocumentContentChangePartial(
        range=types.Range(
            start=types.Position(line=1, character=1), end=types.Position(line=2, character=0)
        ),
        text="X\nY",
    )
    after = text.apply(change, 2)
    assert text.lines_listed and after.lines_listed
    assert after.data == b"a\nbX\nYd" and list(after.starts) == [0, 2, 5]


def test_threads_placing_at_once_agree() -> None:
    data = "".join(f"{'é' * (n % 7)}{n}\n" for n in range(20_000)).encode()
    lazy, full = TextSnapshot.from_bytes(data, 1), listed(TextSnapshot.from_bytes(data, 1))
    offsets = list(range(0, len(data), 997))
    with ThreadPoolExecutor(4) as pool:
        placed = list(pool.map(lazy.position_at, offsets))
    assert placed == [full.position_at(o) for o in offsets]


def test_a_streamed_document_leaves_its_lines_to_be_listed() -> None:
    text = '{\n  "messages": [\n' + '    {"role": "user", "content": "hi"},\n' * 40_000 + "  ]\n}\n"
    body = json.dumps(
        {
            "jsonrpc": "2.0",
            "method": "textDocument/didOpen",
            "params": {
                "textDocument": {
                    "uri": "file:///w/a.json",
                    "languageId": "json",
                    "version": 1,
                    "text": text,
                }
            },
        }
    ).encode()
    stream = io.BytesIO(body)
    result = read_body(lambda n: stream.read(min(n, 65536)), len(body))
    assert isinstance(result, Streamed)
    assert result.text.listed is None and result.text.scan is None
    assert result.text.starts == line_starts(text.encode(), first=0)


def test_line_starts_are_narrow_until_the_text_grows_past_the_limit() -> None:
    text = TextSnapshot.from_text("ab\ncd\n", 1)
    assert text.raw_starts.typecode == "i"
    with patch.object(documents, "NARROW_BELOW", 8):
        grown = text.apply(
            types.TextDocumentContentChangePartial(
                range=types.Range(
                    start=types.Position(line=2, character=0),
                    end=types.Position(line=2, character=0),
                ),
                text="e\nf",
            ),
            2,
        )
        assert grown.raw_starts.typecode == "q"
        assert list(grown.starts) == [0, 3, 6, 8] and grown.data == b"ab\ncd\ne\nf"
        assert TextSnapshot.from_bytes(b"a\n" * 5, 1).raw_starts.typecode == "q"


@settings(max_examples=100, deadline=None)
@given(
    text=TEXT.map(lambda t: t.replace("\r", "")),
    edits=st.lists(st.tuples(st.integers(0, 400), st.integers(0, 3), TEXT), max_size=5),
)
def test_line_spans_after_edits_are_those_of_the_new_text(
    text: str, edits: list[tuple[int, int, str]]
) -> None:
    snapshot = TextSnapshot.from_text(text, 1, "utf-32")
    for version, (at, length, new) in enumerate(edits, start=2):
        new = new.replace("\r", "")
        at = min(at, len(text))
        end = min(at + length, len(text))
        start_pos, end_pos = (
            types.Position(line=t[:p].count("\n"), character=p - (t.rfind("\n", 0, p) + 1))
            for t, p in ((text, at), (text, end))
        )
        change = types.TextDocumentContentChangePartial(
            range=types.Range(start=start_pos, end=end_pos), text=new
        )
        snapshot = snapshot.apply(change, version)
        text = text[:at] + new + text[end:]
        fresh = listed(TextSnapshot.from_text(text, version, "utf-32"))
        for offset in range(snapshot.size + 1):
            assert snapshot.line_span(offset) == fresh.line_span(offset)
