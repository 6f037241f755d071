"""The bridge to the context system (`context_ls.context.service`): the server tells it
what the editor does; it keeps the three contexts. Every call is guarded: a context
failure is logged and never stops diagnostics."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from context_ls.lsp.feature import LanguageFeature

if TYPE_CHECKING:
    from context_ls.lsp.server import ContextLanguageServer
    from context_ls.lsp.state import DocumentState

logger = logging.getLogger(__name__)

DOCUMENT_DEBOUNCE = 0.5  # seconds after the last analysis of a burst
ACTIVE_EDITOR = "contextLs/didChangeActiveEditor"
TOOL_EVENT = "contextLs/toolEvent"


def _field(params: Any, name: str) -> Any:
    """Custom notifications arrive as namedtuples (pygls) or dicts."""
    if isinstance(params, dict):
        return params.get(name)
    return getattr(params, name, None)


class ContextBridge(LanguageFeature):
    def __init__(self, server: ContextLanguageServer) -> None:
        super().__init__(server)
        self.service: Any = None
        self.refused: tuple[type[Exception], ...] = ()  # the service's own errors
        self.unavailable = ""
        self._opened: set[str] = set()
        self._latest: dict[str, tuple[str, int | None, Any]] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="context-ls-context")

    def _run(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """On the context worker thread: one call, guarded."""
        if self.service is None:
            return None
        try:
            return getattr(self.service, method)(*args, **kwargs)
        except self.refused as exc:  # bad input (a malformed tool event): its message says why
            logger.warning("context service %s refused: %s", method, exc)
            return None
        except Exception:
            logger.warning("context service %s failed", method, exc_info=True)
            return None

    def _call(self, method: str, *args: Any, **kwargs: Any) -> None:
        """Hand a call to the context worker: the service summarises whole analyses and
        writes SQLite, which must not hold up the event loop (or the next diagnostics)."""
        with contextlib.suppress(RuntimeError):  # after shutdown
            self._pool.submit(self._run, method, *args, **kwargs)

    def activate(self, uri: str | None) -> None:
        """The editor's active document changed (None: no document)."""
        self.server.active_uri = uri
        self._call("activate", uri)

    def initialize(self, params: types.InitializeParams) -> None:
        self._pool.submit(self._open, params)

    def _open(self, params: types.InitializeParams) -> None:
        info = params.client_info
        try:
            # Imported by name: the context service is optional for the server.
            module = importlib.import_module("context_ls.context.service")
            errors = importlib.import_module("context_ls.context.errors")
            service_cls = module.ContextService
            self.refused = (errors.ContextError,)
            self.service = service_cls.open(
                None,
                actor=info.name if info else "lsp-client",
                session_globs=list(self.server.settings.watch_globs),
                on_error=lambda error: logger.warning("context: %s", error),
            )
        except Exception as exc:
            self.unavailable = f"{type(exc).__name__}: {exc}"
            logger.info("context service unavailable: %s", self.unavailable)
            return
        folders = [f.uri for f in params.workspace_folders or []]
        self._run(
            "on_initialize",
            client_name=info.name if info else None,
            client_version=info.version if info else None,
            locale=params.locale,
            trace=str(params.trace) if params.trace else None,
            settings=self.server.settings.as_json(),
            folders=folders,
        )

    def settings_changed(self) -> None:
        self._call("on_configuration", self.server.settings.as_json())

    def document_analyzed(self, doc: DocumentState) -> None:
        """The first analysis of a document is its "open" for the context, later ones
        are changes. Summarising a 25 MB analysis costs tens of milliseconds of CPU: while
        someone types, only the last analysis of a burst reaches the context
        (`DOCUMENT_DEBOUNCE` after it), so that work never competes with the next edit."""
        version = doc.analyzed.version if doc.analyzed else None
        pending = self._latest.get(doc.uri)
        event = "change" if doc.uri in self._opened else "open"
        if pending is not None and pending[0] == "open":
            event = "open"  # the context has not seen the document yet
        self._opened.add(doc.uri)
        self._latest[doc.uri] = (event, version, doc.analysis)
        if (timer := self._timers.pop(doc.uri, None)) is not None:
            timer.cancel()
        loop = asyncio.get_running_loop()
        self._timers[doc.uri] = loop.call_later(DOCUMENT_DEBOUNCE, self._send_latest, doc.uri)

    def _send_latest(self, uri: str) -> None:
        self._timers.pop(uri, None)
        if (latest := self._latest.pop(uri, None)) is not None:
            self._call("on_document", uri, *latest)

    def document_save(self, doc: DocumentState) -> None:
        version = doc.analyzed.version if doc.analyzed else None
        self._call("on_document", doc.uri, "save", version, doc.analysis)

    def document_close(self, doc: DocumentState) -> None:
        if (timer := self._timers.pop(doc.uri, None)) is not None:
            timer.cancel()
        self._latest.pop(doc.uri, None)
        self._opened.discard(doc.uri)
        self._call("on_document", doc.uri, "close", doc.text.version, None)

    def file_changed(self, path: str, change: str) -> None:
        self._call("on_watched_file", path, change)

    def folders_changed(self, added: list[str], removed: list[str]) -> None:
        self._call("on_folders_changed", added, removed)

    def shutdown(self) -> None:
        for uri in list(self._timers):
            self._timers.pop(uri).cancel()
            self._send_latest(uri)
        self._call("flush")
        self._call("close")
        self._pool.shutdown(wait=True)
        self.service = None

    async def show(self) -> Any:
        loop = asyncio.get_running_loop()
        shown = await loop.run_in_executor(self._pool, self._run, "show")
        if shown is None:
            return {
                "available": False,
                "reason": self.unavailable or "the context service is not running",
            }
        return shown


def register(server: ContextLanguageServer) -> None:
    @server.feature(ACTIVE_EDITOR)
    def active_editor(ls: ContextLanguageServer, params: Any) -> None:
        uri = _field(params, "uri")
        ls.feature_of(ContextBridge).activate(uri if isinstance(uri, str) else None)

    @server.feature(TOOL_EVENT)
    def tool_event(ls: ContextLanguageServer, params: Any) -> None:
        ls.feature_of(ContextBridge)._call(
            "on_tool_event",
            _field(params, "session"),
            _field(params, "call_id"),
            _field(params, "tool"),
            _field(params, "phase"),
            _field(params, "status"),
        )

    @server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    def folders_changed(
        ls: ContextLanguageServer, params: types.DidChangeWorkspaceFoldersParams
    ) -> None:
        added = [f.uri for f in params.event.added]
        removed = [f.uri for f in params.event.removed]
        ls.fan_out("folders_changed", added, removed)
