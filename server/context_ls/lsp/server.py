"""The context-ls language server: a small pygls server that hands each LSP event to the
feature modules in `features/` (esbonio's shape). Decisions live in `history/` and
`context/`; this module only routes."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import sys
import threading
import time
from collections.abc import Generator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, BinaryIO, cast

from lsprotocol import types
from pygls.io_ import StdoutWriter
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol, lsp_method

from context_ls import __version__
from context_ls.lsp.documents import UTF16, TextSnapshot
from context_ls.lsp.feature import LanguageFeature
from context_ls.lsp.features.diagnostics import disk_stamp
from context_ls.lsp.memory import forget_generated_sources, share_one_heap
from context_ls.lsp.settings import Settings
from context_ls.lsp.state import ClientFeatures, DocumentState, uri_to_path
from context_ls.lsp.streamed import OpenedText
from context_ls.lsp.transport import StreamingStdinReader, run_messages, widen_pipe
from context_ls.lsp.warmup import warm_up

logger = logging.getLogger(__name__)


class ContextProtocol(LanguageServerProtocol):
    """Keeps document text out of pygls's workspace: its `TextDocument` rebuilds the whole
    text on every change; the server's own `TextSnapshot` splices only what changed."""

    # The text of the didOpen being handled when the transport decoded it as it arrived.
    opened: OpenedText | None = None

    def hold_opened(self, opened: OpenedText | None) -> None:
        self.opened = opened

    def take_opened(self, item: types.TextDocumentItem) -> OpenedText | None:
        """The streamed text of this didOpen (its message carries "" instead), if any."""
        opened, self.opened = self.opened, None
        if opened is None or item.text or (opened.uri, opened.version) != (item.uri, item.version):
            return None
        return opened

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
        self.features: list[LanguageFeature] = []
        # Analyses run here, off the event loop (the loop keeps answering meanwhile).
        self.analysis_pool = ThreadPoolExecutor(2, thread_name_prefix="context-ls-analysis")

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
        self.features.append(feature)

    def fan_out(self, event: str, *args: Any) -> None:
        """Call `event` on every feature; one feature failing never stops the others."""
        for feature in self.features:
            try:
                getattr(feature, event)(*args)
            except Exception:
                logger.exception("%s.%s failed", type(feature).__name__, event)

    def feature_of(self, kind: type[LanguageFeature]) -> Any:
        return next(f for f in self.features if isinstance(f, kind))

    def workspace_paths(self) -> list[str]:
        """The workspace folders as real paths (where the server may read files)."""
        paths: list[str] = []
        try:
            folders = list(self.workspace.folders.values())
            root = self.workspace.root_uri
        except RuntimeError:
            return paths
        uris = [f.uri for f in folders] or ([root] if root else [])
        for uri in uris:
            path = uri_to_path(uri)
            if path:
                paths.append(os.path.realpath(path))
        return paths

    def readable_folders(self) -> list[str]:
        """Workspace folders plus the configured session folders: nothing else is read."""
        folders = self.workspace_paths()
        folders += [os.path.realpath(f) for f in self.settings.session_folders()]
        return folders

    def may_read(self, path: str) -> bool:
        real = os.path.realpath(path)
        return any(real == f or real.startswith(f + os.sep) for f in self.readable_folders())


def register_lifecycle(server: ContextLanguageServer) -> None:
    """The notification handlers; each fans out to every feature."""

    @server.feature(types.INITIALIZE)
    def initialize(ls: ContextLanguageServer, params: types.InitializeParams) -> None:
        ls.client = ClientFeatures.read(params)
        ls.encoding = str(ls.workspace.position_encoding or UTF16)
        ls.fan_out("initialize", params)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: ContextLanguageServer, params: types.InitializedParams) -> None:
        for feature in ls.features:
            try:
                await feature.initialized()
            except Exception:
                logger.exception("%s.initialized failed", type(feature).__name__)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: ContextLanguageServer, params: types.DidOpenTextDocumentParams) -> None:
        item = params.text_document
        if (old := ls.documents.pop(item.uri, None)) is not None:
            ls.fan_out("document_close", old)
        path = uri_to_path(item.uri)
        stamp = disk_stamp(path)
        opened = cast(ContextProtocol, ls.protocol).take_opened(item)
        snapshot = (
            TextSnapshot(opened.data, opened.starts, item.version, ls.encoding)
            if opened is not None
            else TextSnapshot.from_text(item.text, item.version, ls.encoding)
        )
        doc = DocumentState(
            uri=item.uri,
            path=path,
            text=snapshot,
            # A file the agent wrote moments ago may still be growing.
            changed_at=stamp[0] / 1e9 if stamp else 0.0,
            disk_stamp=stamp,
            scan=(snapshot, opened.scan) if opened is not None and opened.scan else None,
        )
        ls.documents[item.uri] = doc
        ls.fan_out("document_open", doc)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: ContextLanguageServer, params: types.DidChangeTextDocumentParams) -> None:
        doc = ls.documents.get(params.text_document.uri)
        if doc is None:
            logger.warning(
                "didChange for a document that is not open: %s", params.text_document.uri
            )
            return
        text = doc.text
        for change in params.content_changes:
            text = text.apply(change, params.text_document.version)
        doc.text = text
        doc.changed_at = time.time()
        ls.fan_out("document_change", doc)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: ContextLanguageServer, params: types.DidSaveTextDocumentParams) -> None:
        doc = ls.documents.get(params.text_document.uri)
        if doc is not None:
            doc.disk_stamp = disk_stamp(doc.path)  # our own save is not the agent writing
            ls.fan_out("document_save", doc)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: ContextLanguageServer, params: types.DidCloseTextDocumentParams) -> None:
        doc = ls.documents.pop(params.text_document.uri, None)
        if doc is not None:
            ls.fan_out("document_close", doc)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(
        ls: ContextLanguageServer, params: types.DidChangeWatchedFilesParams
    ) -> None:
        names = {1: "created", 2: "changed", 3: "deleted"}
        for event in params.changes:
            path = uri_to_path(event.uri)
            if path is not None:
                ls.fan_out("file_changed", path, names.get(int(event.type), "changed"))

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: ContextLanguageServer, params: None) -> None:
        ls.fan_out("shutdown")
        ls.analysis_pool.shutdown(wait=False, cancel_futures=True)


def create_server() -> ContextLanguageServer:
    """Build the server from its feature modules."""
    from context_ls.lsp.features import (
        code_actions,
        commands,
        configuration,
        context_bridge,
        diagnostics,
        navigation,
        pull,
        snapshots,
        symbols,
        watching,
    )

    server = ContextLanguageServer()
    register_lifecycle(server)
    server.add_feature(configuration.Configuration(server))
    server.add_feature(diagnostics.Diagnostics(server))
    server.add_feature(pull.PullDiagnostics(server))
    server.add_feature(context_bridge.ContextBridge(server))
    server.add_feature(watching.Watching(server))
    server.add_feature(snapshots.Snapshots(server))
    commands.register(server)
    code_actions.register(server)
    navigation.register(server)
    symbols.register(server)
    pull.register(server)
    configuration.register(server)
    context_bridge.register(server)
    return server


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


def start_server(tcp: bool = False, host: str = "127.0.0.1", port: int = 2087) -> None:
    share_one_heap()
    server = create_server()
    warm_up(server.protocol)
    forget_generated_sources()
    tune_runtime()
    if tcp:
        server.start_tcp(host, port)
    else:
        server.start_io()


def run(args: Any) -> int:
    """Entry point for an argparse namespace with `tcp`, `host`, `port`."""
    start_server(
        bool(getattr(args, "tcp", False)),
        str(getattr(args, "host", "127.0.0.1")),
        int(getattr(args, "port", 2087)),
    )
    return 0
