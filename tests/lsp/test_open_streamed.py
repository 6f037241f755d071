"""A didOpen whose text the transport decoded as it arrived: the server keeps those bytes,
and lists their lines only when first needed (off the event loop), unless they were."""

from __future__ import annotations

from array import array

from lsprotocol import types

from context_ls.lsp.server import ContextLanguageServer, ContextProtocol
from context_ls.lsp.streamed import OpenedText

URI = "file:///tmp/x.jsonl"
DATA = '{"a": 1}\n{"é": 2}\n'.encode()


def _open(listed: array[int] | None) -> types.Position:
    server = ContextLanguageServer()
    protocol = server.protocol
    assert isinstance(protocol, ContextProtocol)
    protocol.hold_opened(OpenedText(URI, 3, DATA, listed, None))
    item = types.TextDocumentItem(uri=URI, language_id="jsonl", version=3, text="")
    doc = server.open_document(item)
    assert doc.text.data is DATA  # kept, not copied
    assert doc.text.lines_listed is (listed is not None)
    return doc.text.position_at(DATA.index(b"2"))


def test_unlisted_lines_stay_unlisted_at_open() -> None:
    assert _open(None) == types.Position(line=1, character=6)


def test_lines_listed_as_the_text_arrived_are_kept() -> None:
    assert _open(array("q", [0, 9, len(DATA)])) == types.Position(line=1, character=6)
