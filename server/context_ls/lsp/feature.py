"""The base of every feature: one no-op method per server event (esbonio's shape).

`setup.py` owns one handler per LSP notification and fans it out to every feature; a
feature overrides only the events it cares about. Each request (hover, code actions…) is
answered by exactly one feature, through a typed method `setup.py` routes it to.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from lsprotocol import types

    from context_ls.lsp.server import ContextLanguageServer
    from context_ls.lsp.state import DocumentState

# The events `ContextLanguageServer.fan_out` hands to every feature (method names below).
Event = Literal[
    "initialize",
    "document_open",
    "document_change",
    "document_save",
    "document_close",
    "document_analyzed",
    "settings_changed",
    "file_changed",
    "folders_changed",
    "shutdown",
]


class LanguageFeature:
    def __init__(self, server: ContextLanguageServer) -> None:
        self.server = server

    def initialize(self, params: types.InitializeParams) -> None:
        """The client said hello: capabilities and initializationOptions are known."""

    async def initialized(self) -> None:
        """The handshake is over: the server may now send requests to the client."""

    def document_open(self, doc: DocumentState) -> None:
        """A document was opened."""

    def document_change(self, doc: DocumentState) -> None:
        """A document's text changed (an edit, or its file changed on disk)."""

    def document_save(self, doc: DocumentState) -> None:
        """A document was saved."""

    def document_close(self, doc: DocumentState) -> None:
        """A document was closed."""

    def document_analyzed(self, doc: DocumentState) -> None:
        """A fresh analysis of the document's newest text is in `doc.analysis`."""

    def settings_changed(self) -> None:
        """`server.settings` changed."""

    def file_changed(self, path: str, change: str) -> None:
        """A watched file changed on disk (`change`: created, changed, deleted)."""

    def folders_changed(self, added: list[str], removed: list[str]) -> None:
        """Workspace folders were added or removed (URIs)."""

    def shutdown(self) -> None:
        """The client asked the server to shut down."""
