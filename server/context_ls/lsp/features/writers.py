"""The other processes writing an open document's file (an agent still running): while
one does, the document's trailing calls are pending, and rewrites say so.

Part of the diagnostics feature. The scan (see `context_ls.writers`) runs beside the
validation at open and after on-disk changes, never per keystroke, and again every few
seconds while a writer lasts: when it is gone (the agent quit or was killed), the calls it
left are missing outputs.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from context_ls.writers import live_writers

if TYPE_CHECKING:
    from context_ls.lsp.server import ContextLanguageServer
    from context_ls.lsp.state import DocumentState
    from context_ls.writers import Writer

logger = logging.getLogger(__name__)

RECHECK = 2.0  # seconds between scans while a live writer keeps calls pending
FRESH = 2.0  # seconds a scan answers a code action request (or an on-disk change)


def scan_writers(path: str) -> tuple[Writer, ...]:
    """Worker-thread part: the other processes writing `path`; none when the scan itself
    fails (it only ever makes calls pending)."""
    try:
        return tuple(live_writers(path))
    except Exception:
        logger.warning("cannot tell who writes %s", path, exc_info=True)
        return ()


@dataclass(eq=False)
class WriterWatch:
    """Per document: the writers last found, and the scans that find them."""

    found: tuple[Writer, ...] = ()
    seen_at: float = 0.0  # time.monotonic() of the last scan (0: the next validation asks)
    scan: asyncio.Future[None] | None = None
    timer: asyncio.TimerHandle | None = None


class LiveWriters:
    """Who writes each open document; `changed(doc)` runs when that changes for a
    document still open (its calls become pending, or stop being)."""

    def __init__(
        self, server: ContextLanguageServer, changed: Callable[[DocumentState], None]
    ) -> None:
        self.server = server
        self.changed = changed

    def known(self, doc: DocumentState) -> tuple[Writer, ...]:
        """The writers of the last scan (no scan: none)."""
        return doc.slot(WriterWatch).found

    def asked(self, doc: DocumentState) -> bool:
        """A scan ran or runs since the document opened or last changed on disk."""
        return doc.slot(WriterWatch).seen_at != 0.0

    def disk_changed(self, doc: DocumentState) -> None:
        """The file changed on disk: the next validation asks again, unless a scan just
        did (the change reported twice, by the client and by the file watcher)."""
        watch = doc.slot(WriterWatch)
        if time.monotonic() - watch.seen_at > FRESH:
            watch.seen_at = 0.0

    def close(self, doc: DocumentState) -> None:
        watch = doc.slot(WriterWatch)
        if watch.timer is not None:
            watch.timer.cancel()
            watch.timer = None
        if watch.scan is not None:
            watch.scan.cancel()

    async def refresh(self, doc: DocumentState) -> bool:
        """Scan for the processes writing `doc`'s file; True when they changed."""
        if doc.path is None:
            return False
        loop = asyncio.get_running_loop()
        found = await loop.run_in_executor(self.server.analysis_pool, scan_writers, doc.path)
        watch = doc.slot(WriterWatch)
        watch.seen_at = time.monotonic()
        changed = found != watch.found
        watch.found = found
        return changed

    async def of(self, doc: DocumentState) -> tuple[Writer, ...]:
        """Who writes `doc`'s file, scanned again when the last scan is a few seconds old
        (a code action must not promise a safe rewrite on old news)."""
        watch = doc.slot(WriterWatch)
        stale = doc.path is not None and time.monotonic() - watch.seen_at > FRESH
        if stale and await self.refresh(doc):
            self._changed(doc)
        return watch.found

    def _changed(self, doc: DocumentState) -> None:
        if self.server.documents.get(doc.uri) is doc:
            self.changed(doc)

    def scan_beside(self, doc: DocumentState) -> None:
        """Scan in the background: a scan reads every open descriptor on the machine
        (tens of milliseconds on a busy desktop), which the diagnostics do not wait for.
        Found writers re-validate the document (its trailing calls become pending; a
        file the agent wrote within the grace is pending meanwhile anyway)."""
        watch = doc.slot(WriterWatch)
        if watch.scan is not None and not watch.scan.done():
            return
        watch.seen_at = time.monotonic()  # asked: keystrokes do not ask again

        async def scan() -> None:
            if await self.refresh(doc):
                self._changed(doc)

        watch.scan = asyncio.ensure_future(scan())

    def recheck_later(self, doc: DocumentState) -> None:
        """While a live writer keeps calls pending, look again every few seconds."""
        watch = doc.slot(WriterWatch)
        if watch.timer is not None:
            watch.timer.cancel()
        watch.timer = asyncio.get_running_loop().call_later(RECHECK, self._start_recheck, doc)

    def _start_recheck(self, doc: DocumentState) -> None:
        watch = doc.slot(WriterWatch)
        watch.timer = None
        if watch.scan is None or watch.scan.done():
            watch.scan = asyncio.ensure_future(self._recheck(doc))

    async def _recheck(self, doc: DocumentState) -> None:
        if self.server.documents.get(doc.uri) is not doc:
            return
        if await self.refresh(doc):
            self._changed(doc)
        elif doc.slot(WriterWatch).found:
            self.recheck_later(doc)
