"""The bridge to the context system (`context_ls.context.service`): the server tells it
what the editor does; it keeps the three contexts. Every call is guarded: a context
failure is logged and never stops diagnostics.

The service is imported and opened on the bridge's own worker thread at initialize (it
loads SQLite: the server answers meanwhile); every call is queued behind that."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

from lsprotocol import types

from context_ls.context.errors import ContextError
from context_ls.lsp.feature import LanguageFeature

if TYPE_CHECKING:
    from context_ls.context.service import ContextService
    from context_ls.history.api import Analysis
    from context_ls.lsp.server import ContextLanguageServer
    from context_ls.lsp.state import DocumentState

logger = logging.getLogger(__name__)
T = TypeVar("T")

DOCUMENT_DEBOUNCE = 0.5  # seconds after the last analysis of a burst


def field_of(params: Any, name: str) -> Any:
    """Custom notifications arrive as namedtuples (pygls) or dicts."""
    if isinstance(params, dict):
        return params.get(name)
    return getattr(params, name, None)


class ContextBridge(LanguageFeature):
    def __init__(self, server: ContextLanguageServer) -> None:
        super().__init__(server)
        self.service: ContextService | None = None
        self.unavailable = ""
        self._opened: set[str] = set()
        self._latest: dict[str, tuple[str, int | None, Analysis | None]] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="context-ls-context")

    def _run(self, call: Callable[[ContextService], T]) -> T | None:
        """On the context worker thread: one call, guarded (None when it fails)."""
        if self.service is None:
            return None
        try:
            return call(self.service)
        except ContextError as exc:  # bad input (a malformed tool event): its message says why
            logger.warning("the context service refused: %s", exc)
            return None
        except Exception:
            logger.warning("a context service call failed", exc_info=True)
            return None

    def _call(self, call: Callable[[ContextService], object]) -> None:
        """Hand a call to the context worker: the service summarises whole analyses and
        writes SQLite, which must not hold up the event loop (or the next diagnostics)."""
        with contextlib.suppress(RuntimeError):  # after shutdown
            self._pool.submit(self._run, call)

    def activate(self, uri: str | None) -> None:
        """The editor's active document changed (None: no document)."""
        self.server.active_uri = uri
        self._call(lambda service: service.activate(uri))

    def tool_event(self, params: Any) -> None:
        """`contextLs/toolEvent`: an agent started or finished a tool call (the service
        checks the fields and refuses a malformed event)."""
        self._call(
            lambda service: service.on_tool_event(
                field_of(params, "session"),
                field_of(params, "call_id"),
                field_of(params, "tool"),
                field_of(params, "phase"),
                field_of(params, "status"),
            )
        )

    def initialize(self, params: types.InitializeParams) -> None:
        self._pool.submit(self._open, params)

    def _open(self, params: types.InitializeParams) -> None:
        info = params.client_info
        try:
            # Here, not at the top: the server starts without SQLite and the contexts.
            from context_ls.context.service import ContextService

            self.service = ContextService.open(
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
        settings = self.server.settings.as_json()
        self._run(
            lambda service: service.on_initialize(
                client_name=info.name if info else None,
                client_version=info.version if info else None,
                locale=params.locale,
                trace=str(params.trace) if params.trace else None,
                settings=settings,
                folders=folders,
            )
        )

    def settings_changed(self) -> None:
        settings = self.server.settings.as_json()
        self._call(lambda service: service.on_configuration(settings))

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
            event, version, analysis = latest
            self._call(lambda service: service.on_document(uri, event, version, analysis))

    def document_save(self, doc: DocumentState) -> None:
        uri, analysis = doc.uri, doc.analysis
        version = doc.analyzed.version if doc.analyzed else None
        self._call(lambda service: service.on_document(uri, "save", version, analysis))

    def document_close(self, doc: DocumentState) -> None:
        if (timer := self._timers.pop(doc.uri, None)) is not None:
            timer.cancel()
        self._latest.pop(doc.uri, None)
        self._opened.discard(doc.uri)
        uri, version = doc.uri, doc.text.version
        self._call(lambda service: service.on_document(uri, "close", version, None))

    def file_changed(self, path: str, change: str) -> None:
        self._call(lambda service: service.on_watched_file(path, change))

    def folders_changed(self, added: list[str], removed: list[str]) -> None:
        self._call(lambda service: service.on_folders_changed(added, removed))

    def shutdown(self) -> None:
        for uri in list(self._timers):
            self._timers.pop(uri).cancel()
            self._send_latest(uri)
        self._call(lambda service: service.flush())
        self._call(lambda service: service.close())
        self._pool.shutdown(wait=True)
        self.service = None

    async def show(self) -> dict[str, Any]:
        """The three contexts and the active one, or why there are none."""
        loop = asyncio.get_running_loop()
        shown = await loop.run_in_executor(self._pool, self._run, _show)
        if shown is None:
            return {
                "available": False,
                "reason": self.unavailable or "the context service is not running",
            }
        return shown


def _show(service: ContextService) -> dict[str, Any]:
    return service.show()
