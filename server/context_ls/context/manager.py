"""The owner of the store, the clock, the trackers, the active context and the batched
writes. Trackers come from `ContextManager.register`, so the store and the clock are
injected: an in-memory store and a fake clock in tests, SQLite in production.

Why batching: the editor sends a change event per keystroke. Each one updates a context
in memory at once, but the store is written at most once per context per interval
(~200 ms), and everything pending is written on `flush`/`close`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from context_ls.context.database import Database
from context_ls.context.errors import ContextError, NotInitialized, RecoveryError, StateError
from context_ls.context.ids import now_ms
from context_ls.context.model import ContextConfig
from context_ls.context.stores import ContextStore, InMemoryContextStore, SqliteContextStore
from context_ls.context.tracker import ContextTracker
from context_ls.secrets import redact

__all__ = ["ContextManager"]

log = logging.getLogger(__name__)

Clock = Callable[[], int]
ErrorHandler = Callable[[ContextError], None]
_MAX_RETRY_DELAY_S = 5.0


class _BatchWriter:
    """Pushes dirty trackers at most once per interval from a timer thread."""

    def __init__(self, report: ErrorHandler) -> None:
        self._report = report
        self._lock = threading.Lock()
        self._dirty: dict[str, ContextTracker] = {}
        self._timer: threading.Timer | None = None
        self._failures = 0
        self._stopped = False

    def mark(self, tracker: ContextTracker) -> None:
        interval_ms = tracker.config.batch_interval_ms
        if interval_ms <= 0:
            self._push([tracker])
            return
        with self._lock:
            if self._stopped:
                return
            self._dirty[tracker.id] = tracker
            if self._timer is None:
                self._arm(interval_ms / 1000)

    def _arm(self, delay_s: float) -> None:
        self._timer = threading.Timer(delay_s, self._on_timer)
        self._timer.daemon = True
        self._timer.name = "context-ls batch writer"
        self._timer.start()

    def _on_timer(self) -> None:
        with self._lock:
            trackers = list(self._dirty.values())
            self._dirty.clear()
            self._timer = None
        failed = self._push(trackers)
        with self._lock:
            if not failed or self._stopped:
                self._failures = 0
                return
            self._failures += 1
            for tracker in failed:
                self._dirty.setdefault(tracker.id, tracker)
            if self._timer is None:
                delay = failed[0].config.batch_interval_ms / 1000 * 2**self._failures
                self._arm(min(delay, _MAX_RETRY_DELAY_S))

    def _push(self, trackers: list[ContextTracker]) -> list[ContextTracker]:
        return [tracker for tracker, _ in self._push_each(trackers)]

    def _push_each(
        self, trackers: list[ContextTracker]
    ) -> list[tuple[ContextTracker, ContextError]]:
        """Push every tracker; each failure is reported and returned (the rest go on)."""
        failed = []
        for tracker in trackers:
            try:
                tracker.push_changes()
            except ContextError as exc:
                failed.append((tracker, exc))
                self._report(exc)
        return failed

    def flush(self, trackers: list[ContextTracker]) -> list[ContextError]:
        """Push everything now (not from the timer); the errors, reported and returned."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            self._dirty.clear()
        pending = [tracker for tracker in trackers if tracker.has_pending_changes]
        return [error for _, error in self._push_each(pending)]

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None


class ContextManager:
    """Holds what every tracker shares. Errors from background writes go to `on_error`
    (called from the batch thread; the same message is reported once until it changes)."""

    def __init__(
        self,
        store: ContextStore,
        *,
        clock: Clock | None = None,
        actor: str = "unknown",
        on_error: ErrorHandler | None = None,
    ) -> None:
        self.store = store
        self.clock: Clock = clock or now_ms
        self.actor = actor
        self._on_error = on_error
        self._last_reported: str | None = None
        self._trackers: dict[str, ContextTracker] = {}
        self._lock = threading.RLock()
        self._active: str | None = None
        self._batch = _BatchWriter(self.report)
        self._closed = False

    @classmethod
    def in_memory(
        cls,
        *,
        clock: Clock | None = None,
        actor: str = "unknown",
        on_error: ErrorHandler | None = None,
    ) -> ContextManager:
        return cls(InMemoryContextStore(), clock=clock, actor=actor, on_error=on_error)

    @classmethod
    def open_sqlite(
        cls,
        state_dir: Path | str | None = None,
        *,
        clock: Clock | None = None,
        actor: str = "unknown",
        on_error: ErrorHandler | None = None,
        busy_timeout_s: float = 1.0,
    ) -> ContextManager:
        """The production manager on `<state_dir>/context-ls.sqlite3`. A damaged store is
        moved aside and reported to `on_error` as a RecoveryError; PersistenceError when
        the store cannot be opened at all."""
        recovered: list[RecoveryError] = []
        database = Database.open(
            state_dir, busy_timeout_s=busy_timeout_s, on_recovery=recovered.append
        )
        manager = cls(SqliteContextStore(database), clock=clock, actor=actor, on_error=on_error)
        for error in recovered:
            manager.report(error)
        return manager

    def report(self, error: ContextError) -> None:
        """Log (redacted) and hand to `on_error`; repeats of the last message are skipped."""
        text = redact(str(error))
        if text == self._last_reported:
            return
        self._last_reported = text
        log.warning("%s", text)
        if self._on_error is not None:
            try:
                self._on_error(error)
            except Exception:
                log.exception("the context error handler failed")

    def note_success(self) -> None:
        """A write went through: the next error is worth reporting even if it repeats."""
        self._last_reported = None

    # -- trackers --------------------------------------------------------------------------

    def register(self, config: ContextConfig) -> ContextTracker:
        """The tracker for `config.id`, loaded from the store on first use."""
        with self._lock:
            if self._closed:
                raise NotInitialized("The context manager is closed.")
            existing = self._trackers.get(config.id)
            if existing is not None:
                if existing.config.kind != config.kind:
                    raise StateError(
                        f"The context {config.id!r} is already tracked as a "
                        f"{existing.kind.value} context, not {config.kind.value}."
                    )
                return existing
            tracker = ContextTracker(self, config)
            tracker.load_from_store()
            self._trackers[config.id] = tracker
            return tracker

    def tracker(self, context_id: str) -> ContextTracker:
        with self._lock:
            found = self._trackers.get(context_id)
        if found is None:
            raise NotInitialized(f"No context {context_id!r} is tracked; create it first.")
        return found

    def trackers(self) -> list[ContextTracker]:
        with self._lock:
            return list(self._trackers.values())

    def schedule_push(self, tracker: ContextTracker) -> None:
        if not self._closed:
            self._batch.mark(tracker)

    # -- activation ------------------------------------------------------------------------

    def activate_context(self, context_id: str) -> None:
        """Make `context_id` (a tracked context, or a document the editor focused) active."""
        if not context_id:
            raise StateError("Cannot activate a context without an id.")
        with self._lock:
            self._active = context_id

    def deactivate_context(self) -> None:
        with self._lock:
            self._active = None

    def get_active_context(self) -> str | None:
        with self._lock:
            return self._active

    # -- life cycle ------------------------------------------------------------------------

    def flush(self) -> list[ContextError]:
        """Write every pending change now; the errors (also reported) are returned."""
        return self._batch.flush(self.trackers())

    def close(self) -> None:
        """Flush, stop the batch writer and close the store. Safe to call twice."""
        with self._lock:
            if self._closed:
                return
        errors = self.flush()
        with self._lock:
            self._closed = True
            for tracker in self._trackers.values():
                tracker.close()
        self._batch.stop()
        if errors:  # one more try: a lock may have been released meanwhile
            self._batch.flush(self.trackers())
        self.store.close()
