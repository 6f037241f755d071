"""The server's document model: random incremental edits in every position encoding give
the same bytes and line starts as rebuilding the text from scratch."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from lsprotocol import types

from context_ls.lsp.convert import replace_all
from context_ls.lsp.documents import TextSnapshot

from .editor import offset_of, position_of

ALPHABET = st.sampled_from(["a", "{", '"', "\n", "\r\n", "é", "€", "😀", " "])
TEXT = st.lists(ALPHABET, max_size=40).map("".join)
ENCODINGS = ["utf-8", "utf-16", "utf-32"]


@settings(max_examples=300, deadline=None)
@given(
    text=TEXT,
    edits=st.lists(st.tuples(st.integers(0, 60), st.integers(0, 60), TEXT), max_size=6),
    encoding=st.sampled_from(ENCODINGS),
)
def test_incremental_edits_match_a_full_rebuild(
    text: str, edits: list[tuple[int, int, str]], encoding: str
) -> None:
    snapshot = TextSnapshot.from_text(text, 1, encoding)
    for version, (a, b, new) in enumerate(edits, start=2):
        a, b = sorted((min(a, len(text)), min(b, len(text))))
        # No editor puts a position inside a CRLF (LSP lines end at \r, \n or \r\n).
        a -= text[a - 1 : a + 1] == "\r\n"
        b -= text[b - 1 : b + 1] == "\r\n"
        rng = types.Range(start=position_of(text, a, encoding), end=position_of(text, b, encoding))
        snapshot = snapshot.apply(
            types.TextDocumentContentChangePartial(range=rng, text=new), version
        )
        text = (
            text[: offset_of(text, rng.start, encoding)]
            + new
            + text[offset_of(text, rng.end, encoding) :]
        )
        fresh = TextSnapshot.from_text(text, version, encoding)
        # Read from the pieces of the versions before (the bytes not copied yet)…
        assert snapshot.copy_pending and snapshot.size == fresh.size
        assert snapshot.starts == fresh.starts
        assert snapshot.version == version
        for start, end in zip(fresh.starts, [*fresh.starts[1:], fresh.size], strict=True):
            assert snapshot.source[start:end] == fresh.data[start:end]
        for offset in range(fresh.size + 1):
            assert snapshot.position_at(offset) == fresh.position_at(offset)
        # …then, every other version, copied (the next edit applies to those bytes).
        if version % 2:
            assert snapshot.data == fresh.data and not snapshot.copy_pending
    assert snapshot.data == TextSnapshot.from_text(text, 0).data


@given(text=TEXT, encoding=st.sampled_from(ENCODINGS))
def test_positions_round_trip(text: str, encoding: str) -> None:
    snapshot = TextSnapshot.from_text(text, 1, encoding)
    for index in range(len(text) + 1):
        if text[index - 1 : index + 1] == "\r\n":
            continue  # inside a CRLF: not a position an editor sends
        pos = position_of(text, index, encoding)
        offset = snapshot.offset_at(pos.line, pos.character)
        assert offset == len(text[:index].encode("utf-8"))
        assert snapshot.position_at(offset) == pos


@given(old=TEXT, new=TEXT, encoding=st.sampled_from(ENCODINGS))
def test_a_restore_edit_gives_the_exact_text(old: str, new: str, encoding: str) -> None:
    snapshot = TextSnapshot.from_text(old, 1, encoding)
    [edit] = replace_all(snapshot, new.encode("utf-8"))
    after = snapshot.apply(
        types.TextDocumentContentChangePartial(range=edit.range, text=edit.new_text), 2
    )
    assert after.data == new.encode("utf-8")


def test_whole_document_change_and_out_of_range_positions() -> None:
    snapshot = TextSnapshot.from_text("a\nb", 1)
    snapshot = snapshot.apply(types.TextDocumentContentChangeWholeDocument(text="x\ny\nz"), 2)
    assert snapshot.data == b"x\ny\nz" and list(snapshot.starts) == [0, 2, 4]
    assert snapshot.offset_at(99, 0) == 5
    assert snapshot.offset_at(0, 99) == 1
    assert snapshot.position_at(99) == types.Position(line=2, character=1)
