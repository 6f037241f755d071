"""The context-ls language server: a small pygls server holding the open documents and the
features of `features/`, to which it fans out each event (esbonio's shape; `setup.py`
wires them up). Decisions live in `history/` and `context/`; this module only routes."""

from __future__ import annotations

import asyncio
import gc
import inspect
import logging
import os
import sys
import threading
from collections.abc import Generator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, BinaryIO, TypeVar, cast

from cattrs import Converter
from lsprotocol import types
from pygls.exceptions import JsonRpcInternalError
from pygls.io_ import StdoutWriter
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol, lsp_method

from context_ls import __version__
from context_ls.context.access import is_inside
from context_ls.lsp.documents import UTF16, TextSnapshot
from context_ls.lsp.feature import Event, LanguageFeature
from context_ls.lsp.settings import Settings
from context_ls.lsp.state import ClientFeatures, DocumentState, uri_to_path
from context_ls.lsp.streamed import OpenedText
from context_ls.lsp.transport import (
    DiagnosticParts,
    StreamingStdinReader,
    diagnostic_hook,
    encode_message,
    run_messages,
    widen_pipe,
)

logger = logging.getLogger(__name__)
F = TypeVar("F", bound=LanguageFeature)


class ContextProtocol(LanguageServerProtocol):
    """Keeps document text out of pygls's workspace: its `TextDocument` rebuilds the whole
    text on every change; the server's own `TextSnapshot` splices only what changed."""

    # The text of the didOpen being handled when the transport decoded it as it arrived.
    opened: OpenedText | None = None

    def __init__(self, server: LanguageServer, converter: Converter) -> None:
        super().__init__(server, converter)
        self._writing: set[asyncio.Future[Any]] = set()
        # Before any message is (un)structured: cattrs keeps the hooks it first looked up.
        self.diagnostic_parts = DiagnosticParts()
        converter.register_unstructure_hook(
            types.Diagnostic, diagnostic_hook(converter, self.diagnostic_parts)
        )

    def hold_opened(self, opened: OpenedText | None) -> None:
        self.opened = opened

    def take_opened(self, item: types.TextDocumentItem) -> OpenedText | None:
        """The streamed text of this didOpen (its message carries "" instead), if any."""
        opened, self.opened = self.opened, None
        if opened is None or item.text or (opened.uri, opened.version) != (item.uri, item.version):
            return None
        return opened

    def _send_data(self, data: Any) -> None:
        """pygls's, with the body encoded by `transport.encode_message` (same JSON, a
        fraction of the time on the event loop) and its length counted in bytes."""
        if not data:
            return
        if self.writer is None:
            logger.error("Unable to send data, no available transport!")
            return
        try:
            body = encode_message(data, self._serialize_message)
            if logger.isEnabledFor(logging.INFO):
                logger.info("Sending data: %s", body.decode("utf-8", "replace"))
            if self._include_headers:
                header = (
                    f"Content-Length: {len(body)}\r\n"
                    f"Content-Type: {self.CONTENT_TYPE}; charset={self.CHARSET}\r\n\r\n"
                )
                body = header.encode("ascii") + body
            written = self.writer.write(body)
            if inspect.isawaitable(written):  # a websocket's writer
                task = asyncio.ensure_future(written)
                self._writing.add(task)
                task.add_done_callback(self._writing.discard)
        except BrokenPipeError:
            logger.exception("Error sending data. BrokenPipeError", exc_info=True)
            raise
        except Exception as error:
            logger.exception("Error sending data", exc_info=True)
            self._server._report_server_error(error, JsonRpcInternalError)

    @lsp_method(types.INITIALIZE)
    def lsp_initialize(
        self, params: types.InitializeParams
    ) -> Generator[Any, Any, types.InitializeResult]:
        """pygls's, once the diagnostics' parts the client takes are learnt."""
        self.diagnostic_parts.learn(params.capabilities)
        return (yield from super().lsp_initialize(params))

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(
        self, params: types.DidOpenTextDocumentParams
    ) -> Generator[Any, Any, None]:
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_OPEN)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(
        self, params: types.DidChangeTextDocumentParams
    ) -> Generator[Any, Any, None]:
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(
        self, params: types.DidCloseTextDocumentParams
    ) -> Generator[Any, Any, None]:
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CLOSE)) is not None:
            yield handler, (params,), None


class ContextLanguageServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "context-ls",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            protocol_cls=ContextProtocol,
        )
        self.documents: dict[str, DocumentState] = {}
        self.settings = Settings()
        self.client = ClientFeatures()
        self.encoding: str = UTF16
        self.active_uri: str | None = None  # from contextLs/didChangeActiveEditor
        self.features: dict[type[LanguageFeature], LanguageFeature] = {}  # in fan-out order
        # Analyses run here, off the event loop (the loop keeps answering meanwhile).
        self.analysis_pool = ThreadPoolExecutor(2, thread_name_prefix="context-ls-analysis")

    @property
    def diagnostic_parts(self) -> DiagnosticParts:
        """What the client takes of a diagnostic: the conversion makes nothing more."""
        return cast(ContextProtocol, self.protocol).diagnostic_parts

    def start_io(self, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
        """pygls's stdio server, with the message loop of `transport.py`."""
        self._stop_event = threading.Event()
        stdin = stdin or sys.stdin.buffer
        widen_pipe(stdin)
        reader = StreamingStdinReader(stdin, self.thread_pool)
        self.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))
        try:
            asyncio.run(
                run_messages(
                    self._stop_event,
                    reader,
                    self.protocol,
                    self.report_server_error,
                    cast(ContextProtocol, self.protocol).hold_opened,
                )
            )
        except BrokenPipeError:
            logger.error("Connection to the client is lost! Shutting down the server.")
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            self.shutdown()

    def add_feature(self, feature: LanguageFeature) -> None:
        kind = type(feature)
        if kind in self.features:
            raise ValueError(f"{kind.__name__} is wired up twice")
        self.features[kind] = feature

    def feature_of(self, kind: type[F]) -> F:
        """The one instance of a feature class (what a feature asks another for)."""
        feature = self.features.get(kind)
        if not isinstance(feature, kind):
            raise LookupError(f"{kind.__name__} is not wired up (see setup.py)")
        return feature

    def fan_out(self, event: Event, *args: Any) -> None:
        """Call `event` on every feature; one feature failing never stops the others."""
        for feature in self.features.values():
            try:
                getattr(feature, event)(*args)
            except Exception:
                logger.exception("%s.%s failed", type(feature).__name__, event)

    # documents ----------------------------------------------------------------------------

    def open_document(self, item: types.TextDocumentItem) -> DocumentState:
        """Keep a document the client opened (its text as the transport decoded it while
        it arrived, when it did). Its lines are listed when first needed, off the event
        loop, unless they were as the text arrived."""
        opened = cast(ContextProtocol, self.protocol).take_opened(item)
        snapshot = (
            TextSnapshot(opened.data, opened.listed, item.version, self.encoding)
            if opened is not None
            else TextSnapshot.from_text(item.text, item.version, self.encoding)
        )
        doc = DocumentState(
            uri=item.uri,
            path=uri_to_path(item.uri),
            text=snapshot,
            scan=(snapshot, opened.scan) if opened is not None and opened.scan else None,
        )
        self.documents[item.uri] = doc
        return doc

    def change_document(self, params: types.DidChangeTextDocumentParams) -> DocumentState | None:
        """Apply a didChange to the document's text (None: the document is not open)."""
        doc = self.documents.get(params.text_document.uri)
        if doc is None:
            logger.warning(
                "didChange for a document that is not open: %s", params.text_document.uri
            )
            return None
        text = doc.text
        for change in params.content_changes:
            text = text.apply(change, params.text_document.version)
        doc.text = text
        return doc

    # folders ------------------------------------------------------------------------------

    def workspace_folder_paths(self) -> list[str]:
        """The workspace folders (or the root) as the editor names them, not resolved."""
        try:
            folders = list(self.workspace.folders.values())
            root = self.workspace.root_uri
        except RuntimeError:
            return []
        uris = [f.uri for f in folders] or ([root] if root else [])
        return [path for path in map(uri_to_path, uris) if path]

    def workspace_paths(self) -> list[str]:
        """The workspace folders as real paths (where the server may read files)."""
        return [os.path.realpath(path) for path in self.workspace_folder_paths()]

    def may_read(self, path: str) -> bool:
        """Inside a workspace folder or a configured session folder (by where the path
        really leads): nothing else is watched."""
        return is_inside(path, [*self.workspace_paths(), *self.settings.session_folders()])


def tune_runtime() -> None:
    """Keep the event loop answering while a big document is analysed in a thread.

    The analysis holds the GIL: a 1 ms switch interval (default 5) hands it back to the
    loop sooner. A 25 MB rollout allocates a few hundred thousand objects, and CPython's
    default thresholds then run full collections of 70-90 ms that stop every thread;
    freezing the start-up objects and collecting the young generations less often keeps
    each pause near 20 ms."""
    sys.setswitchinterval(0.001)
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 100)
