"""Validation of open documents and push diagnostics.

Each document has at most one validation running (an asyncio task); edits that arrive
meanwhile mark it dirty and it runs again on the newest text. The engine's `Analyzer`
runs in a worker thread with its per-line cache, so a one-line edit re-parses one line and
the event loop keeps answering. Results for a text that has since changed are dropped,
never published. Push is used only when the client cannot pull (see `pull.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import time
import uuid
from typing import TYPE_CHECKING, TypeVar

from lsprotocol import types

from context_ls.lsp.feature import LanguageFeature
from context_ls.lsp.features.validation import Validation, analyze_document, disk_stamp, quick_look
from context_ls.lsp.features.writers import LiveWriters
from context_ls.lsp.memory import release_free_memory

if TYPE_CHECKING:
    from context_ls.lsp.documents import TextSnapshot
    from context_ls.lsp.server import ContextLanguageServer
    from context_ls.lsp.state import DocumentState

logger = logging.getLogger(__name__)

T = TypeVar("T")

PROGRESS_THRESHOLD = 5 * 1024 * 1024  # bytes: bigger documents report $/progress
TRIM_THRESHOLD = 1024 * 1024  # bytes: after validating bigger documents, memory goes back…
TRIM_DELAY = 5.0  # seconds: …once no validation ran for this long (a pause, not typing)
COPY_DELAY = 0.03  # seconds after an edit's diagnostics before its bytes are copied


async def _answered() -> None:
    """Let a pull waiting on new diagnostics be answered before the full read takes the
    GIL (its collections paused the answer by ~30 ms): the pull's handler resumes in the
    loop's next round, and pygls sends its result from a done callback in the round
    after."""
    for _ in range(ANSWER_ROUNDS):
        await asyncio.sleep(0)


ANSWER_ROUNDS = 2


class Diagnostics(LanguageFeature):
    """Keeps every open document's analysis fresh and pushes diagnostics when pushing."""

    _trim: asyncio.TimerHandle | None = None

    def __init__(self, server: ContextLanguageServer) -> None:
        super().__init__(server)
        self.writers = LiveWriters(server, lambda doc: self.schedule(doc, refresh=True))

    # what other features ask ----------------------------------------------------------

    def shown(self, doc: DocumentState) -> list[types.Diagnostic]:
        """The diagnostics last published (or ready to be pulled) for `doc`."""
        return doc.slot(Validation).diagnostics

    def result_id(self, doc: DocumentState) -> str:
        """Names `shown(doc)` for pull diagnostics: a new one for each new list."""
        return f"{id(doc):x}-{doc.slot(Validation).result_seq}"

    async def fresh(self, doc: DocumentState) -> None:
        """Wait until `shown(doc)` are of the newest text (a big open's quick first look
        counts, before the full read)."""
        await doc.slot(Validation).fresh.wait()

    # events ---------------------------------------------------------------------------

    def document_open(self, doc: DocumentState) -> None:
        state = doc.slot(Validation)
        state.disk_stamp = disk_stamp(doc.path)
        # A file the agent wrote moments ago may still be growing.
        state.changed_at = state.disk_stamp[0] / 1e9 if state.disk_stamp else 0.0
        self.schedule(doc)

    def document_change(self, doc: DocumentState) -> None:
        doc.slot(Validation).changed_at = time.time()
        self.schedule(doc)

    def document_save(self, doc: DocumentState) -> None:
        doc.slot(Validation).disk_stamp = disk_stamp(doc.path)  # our save is not the agent

    def file_changed(self, path: str, change: str) -> None:
        # The agent wrote the file of an open document: its trailing calls are pending
        # again, and a pulling client must pull.
        real = os.path.realpath(path)
        for doc in list(self.server.documents.values()):
            if doc.path is not None and os.path.realpath(doc.path) == real:
                state = doc.slot(Validation)
                stamp = disk_stamp(path)
                if stamp == state.disk_stamp:
                    continue  # the same change reported twice (client and watchfiles)
                state.disk_stamp = stamp
                state.changed_at = time.time()
                self.writers.disk_changed(doc)
                self.schedule(doc, refresh=True)

    def document_close(self, doc: DocumentState) -> None:
        state = doc.slot(Validation)
        if state.copy_timer is not None:
            state.copy_timer.cancel()
        if state.pending_timer is not None:
            state.pending_timer.cancel()
        self.writers.close(doc)
        if state.task is not None and not state.task.done():
            state.task.cancel()
        doc.settled.set()  # requests still waiting on it answer (for a closed document)
        state.fresh.set()
        self._trim_later(doc)
        if state.published_any and not self.server.client.pull_diagnostics:
            self.server.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=doc.uri, diagnostics=[])
            )

    def settings_changed(self) -> None:
        for doc in list(self.server.documents.values()):
            self.schedule(doc, refresh=True)

    def shutdown(self) -> None:
        for doc in self.server.documents.values():
            if (timer := doc.slot(Validation).copy_timer) is not None:
                timer.cancel()  # the worker threads are stopping

    # validation -----------------------------------------------------------------------

    def in_grace(self, doc: DocumentState) -> bool:
        """The file changed within `pendingGraceSeconds`."""
        grace = self.server.settings.pending_grace_seconds
        return grace > 0 and time.time() - doc.slot(Validation).changed_at < grace

    def schedule(self, doc: DocumentState, *, refresh: bool = False) -> None:
        """Validate `doc`'s newest text soon; at most one validation per document runs.

        `refresh`: the change did not come from the client (timer, disk, settings), so a
        pulling client must be told to pull again."""
        state = doc.slot(Validation)
        state.dirty = True
        state.refresh = state.refresh or refresh
        doc.settled.clear()
        state.fresh.clear()
        if state.pending_timer is not None:
            state.pending_timer.cancel()
            state.pending_timer = None
        if state.copy_timer is not None:
            state.copy_timer.cancel()  # the next validation copies the newest version
            state.copy_timer = None
        if state.task is None or state.task.done():
            state.task = asyncio.ensure_future(self._validate_loop(doc, state))

    async def _validate_loop(self, doc: DocumentState, state: Validation) -> None:
        try:
            while state.dirty:
                state.dirty = False
                try:
                    await self._validate_once(doc, state)
                except asyncio.CancelledError:
                    raise
                except Exception:  # an engine bug: keep the last diagnostics, keep serving
                    logger.exception("validation of %s failed", doc.uri)
        finally:
            if not state.dirty:
                doc.settled.set()
                state.fresh.set()  # also after a failed, cancelled or unchanged validation
                self._trim_later(doc)

    def _trim_later(self, doc: DocumentState) -> None:
        """Return freed memory to the system when validations have paused (see
        `release_free_memory`); each validation of a big document pushes it back."""
        if doc.text.size <= TRIM_THRESHOLD:
            return
        if self._trim is not None:
            self._trim.cancel()
        self._trim = asyncio.get_running_loop().call_later(TRIM_DELAY, self._trim_now, doc)

    def _trim_now(self, doc: DocumentState) -> None:
        self._trim = None
        for other in self.server.documents.values():
            task = other.slot(Validation).task
            if task is not None and not task.done():
                self._trim_later(doc)  # a validation is running: its buffers are in use
                return
        # The server collects rarely (`tune_runtime`): an old version's analysis left in a
        # reference cycle (~3 MB for a 28 MB document) would stay until the next full one.
        gc.collect()
        release_free_memory()

    async def _validate_once(self, doc: DocumentState, state: Validation) -> None:
        text = doc.text
        in_grace = self.in_grace(doc)
        pending = in_grace or bool(self.writers.known(doc))
        options = self.server.settings.options(pending=pending)
        loop = asyncio.get_running_loop()
        first_read = doc.analysis is None
        client = self.server.client
        # A pulling client is answered with the quick look only if it can be told to pull
        # again when the full read finds more (H010).
        if first_read and (not client.pull_diagnostics or client.diagnostic_refresh):
            # First sight of a big history: show its diagnostics from the lean read now;
            # the full read below (navigation, secrets) follows.
            quick = await loop.run_in_executor(
                self.server.analysis_pool,
                quick_look,
                doc,
                text,
                options,
                self.server.diagnostic_parts,
            )
            if quick is not None:
                self._diagnosed(doc, text, quick)
                if client.pull_diagnostics:
                    await _answered()
        doc.scan = None  # used by the first look, or of no use any more
        shown = state.diagnostics if state.diagnosed is text else None
        future = loop.run_in_executor(
            self.server.analysis_pool,
            analyze_document,
            doc,
            text,
            options,
            shown,
            self.server.diagnostic_parts,
        )
        # Only a first read takes long enough to show progress: a keystroke in a big
        # document must not ask the client for a progress token each time.
        if first_read and text.size > PROGRESS_THRESHOLD and self.server.client.work_done_progress:
            result = await self._with_progress(doc, future)
        else:
            result = await future
        if result is None or not self._is_current(doc, text):
            return  # cancelled, closed, or the text changed meanwhile: the next round publishes
        analysis, diagnostics, seen = result
        doc.analysis, doc.analyzed = analysis, text
        if seen and state.diagnosed is text:
            # Equal to what is shown (a first look, or a re-validation of the same text):
            # nothing to publish or to pull again; keep the list made from `analysis`.
            state.diagnostics = diagnostics
            state.refresh = False
        else:
            state.refresh = state.refresh or state.diagnosed is text  # a pull got the quick look
            self._diagnosed(doc, text, diagnostics)
        if not text.lines_listed:
            # An opened text's lines (~70 ms for the 400k of a 28 MB document) are listed
            # here, off the event loop, before the requests waiting on this analysis place
            # their ranges (an outline would list them on the loop).
            await loop.run_in_executor(self.server.analysis_pool, text.materialize)
            if not self._is_current(doc, text):
                return
        if pending and any(f.pending for f in analysis.findings):
            if in_grace:
                grace = self.server.settings.pending_grace_seconds
                delay = grace - (time.time() - state.changed_at)
                state.pending_timer = loop.call_later(max(delay, 0) + 0.05, self._grace_over, doc)
            if self.writers.known(doc):
                self.writers.recheck_later(doc)
        if doc.path is not None and not self.writers.asked(doc) and analysis.dialect is not None:
            # At open and after on-disk changes (not per keystroke), once the diagnostics
            # are out: who else writes this history?
            self.writers.scan_beside(doc)
        self.server.fan_out("document_analyzed", doc)
        if text.work_pending:
            state.copy_timer = loop.call_later(COPY_DELAY, self._copy, text)

    def _copy(self, text: TextSnapshot) -> None:
        """The diagnostics of an edit came from the pieces of the previous version: copy
        the bytes of the new one before a request needs them (and list the lines of an
        opened one). The copy holds the GIL (~10 ms for 25 MB of fresh pages), hence the
        pause first: a pulling client's answer goes out before it, and a keystroke right
        after cancels it (see `TextSnapshot.apply` for how long versions may chain)."""
        asyncio.get_running_loop().run_in_executor(self.server.analysis_pool, text.materialize)

    def _is_current(self, doc: DocumentState, text: TextSnapshot) -> bool:
        return doc.text is text and self.server.documents.get(doc.uri) is doc

    def _diagnosed(
        self, doc: DocumentState, text: TextSnapshot, diagnostics: list[types.Diagnostic]
    ) -> None:
        """Diagnostics of `text` are known: publish them, or let a pull be answered."""
        if not self._is_current(doc, text):
            return
        state = doc.slot(Validation)
        state.diagnostics, state.diagnosed = diagnostics, text
        state.result_seq += 1
        state.fresh.set()
        self.publish(doc)

    def _grace_over(self, doc: DocumentState) -> None:
        doc.slot(Validation).pending_timer = None
        if self.server.documents.get(doc.uri) is doc:
            self.schedule(doc, refresh=True)

    async def _with_progress(self, doc: DocumentState, future: asyncio.Future[T]) -> T | None:
        """Await the analysis under a cancellable `$/progress`; None when cancelled."""
        progress = self.server.work_done_progress
        token = f"context-ls/validate/{uuid.uuid4()}"
        try:
            await progress.create_async(token)
        except Exception:
            logger.warning("the client refused a progress token; validating without one")
            return await future
        name = doc.uri.rsplit("/", 1)[-1]
        size_mb = doc.text.size / 1e6
        progress.begin(
            token,
            types.WorkDoneProgressBegin(
                title="Validating history",
                message=f"{name} ({size_mb:.1f} MB)",
                cancellable=True,
                percentage=0,
            ),
        )
        cancelled = asyncio.wrap_future(progress.tokens[token])
        try:
            await asyncio.wait({future, cancelled}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            message = "cancelled" if cancelled.done() else "done"
            progress.end(token, types.WorkDoneProgressEnd(message=message))
            progress.tokens.pop(token, None)
        if future.done():
            return future.result()
        # A thread cannot be stopped: let it finish unpublished before the next round
        # uses the document's Analyzer (its cache is not shared between threads).
        with contextlib.suppress(Exception):
            await future
        return None

    def publish(self, doc: DocumentState) -> None:
        """Push the document's diagnostics (push mode) or ask the client to pull again."""
        client = self.server.client
        state = doc.slot(Validation)
        refresh, state.refresh = state.refresh, False
        if refresh and client.code_lens_refresh:
            self.server.workspace_code_lens_refresh(None)  # "N missing output" changed
        if client.pull_diagnostics:
            if refresh and client.diagnostic_refresh:
                self.server.workspace_diagnostic_refresh(None)
            return
        if not state.diagnostics and not state.published_any:
            return  # not a history, or clean and never reported: stay silent
        diagnosed = state.diagnosed
        self.server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(
                uri=doc.uri,
                diagnostics=state.diagnostics,
                version=diagnosed.version if diagnosed else None,
            )
        )
        state.published_any = bool(state.diagnostics) or state.published_any
