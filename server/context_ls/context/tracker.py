"""One context's state in memory, its local changes, and their sync with the store.

Why keep changes, not only the latest data: two servers (VS Code and Neovim on one folder)
write the same contexts. When the store moved on since our last sync (its version is not
the one our changes were based on), we pull its state and re-apply our changes on top,
so neither side loses an update. The version is the conflict check, both in memory
(`update_state` refuses a stale base) and in the store (`commit` is compare-and-swap).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs

from context_ls.context.errors import (
    ContextError,
    InvalidState,
    NotInitialized,
    NoValidSnapshot,
    SnapshotNotFound,
    SyncError,
    VersionConflict,
)
from context_ls.context.ids import new_id
from context_ls.context.model import (
    AuditEntry,
    ContextConfig,
    ContextKind,
    ContextSnapshot,
    ContextState,
    decode_data,
    encode_data,
)
from context_ls.context.validation import validate_state
from context_ls.secrets import redact

if TYPE_CHECKING:
    from context_ls.context.manager import ContextManager

__all__ = ["ApplyChange", "ContextTracker"]

ApplyChange = Callable[[dict[str, Any]], dict[str, Any]]
_SUMMARY_LIMIT = 200


@attrs.frozen
class _Change:
    """A local update not yet in the store: re-applied on top of the store's state on
    conflict. `apply` None means "replace the data with `data`"."""

    apply: ApplyChange | None
    data: bytes
    summary: str
    time: int
    actor: str


def _short_summary(summary: str) -> str:
    text = redact(" ".join(summary.split()))
    return text if len(text) <= _SUMMARY_LIMIT else text[: _SUMMARY_LIMIT - 1] + "…"


class ContextTracker:
    """The state of one context. Thread-safe; every method returns quickly except the
    sync ones (`push_changes`, `pull_changes`, `sync_state`), which touch the store."""

    def __init__(self, manager: ContextManager, config: ContextConfig) -> None:
        self._manager = manager
        self._config = config
        self._lock = threading.RLock()
        self._push_lock = threading.Lock()
        self._base = ContextState.initial()  # the last state known to be in the store
        self._state = self._base  # `_base` plus the pending changes
        self._pending: list[_Change] = []
        self._new_snapshots: list[ContextSnapshot] = []  # taken, not yet stored
        self._closed = False

    # -- reading ---------------------------------------------------------------------------

    @property
    def id(self) -> str:
        return self._config.id

    @property
    def kind(self) -> ContextKind:
        return self._config.kind

    @property
    def config(self) -> ContextConfig:
        return self._config

    def get_state(self) -> ContextState:
        with self._lock:
            return self._state

    def get_data(self) -> dict[str, Any]:
        """The current data, decoded (a fresh dict: changing it changes nothing)."""
        return decode_data(self.get_state().data)

    @property
    def has_pending_changes(self) -> bool:
        with self._lock:
            return bool(self._pending or self._new_snapshots)

    def validate_state(self, state: ContextState) -> dict[str, Any]:
        """The decoded data when `state` may follow the current one; InvalidState if not."""
        return validate_state(
            state, self.kind, previous=self.get_state(), max_size=self._config.max_size
        )

    def is_valid(self) -> bool:
        """Whether the current state is well formed (it can be loaded broken from a store)."""
        try:
            validate_state(self.get_state(), self.kind, max_size=self._config.max_size)
        except InvalidState:
            return False
        return True

    # -- updating ----------------------------------------------------------------------------

    def update_state(self, state: ContextState, *, summary: str = "update") -> ContextState:
        """Accept `state.data` as the next version if `state.version` is the current one.

        Returns the new state (version + 1). VersionConflict when another update got in
        first: read `get_state()` again and re-apply.
        """
        with self._lock:
            self._check_open()
            current = self._state
            if state.version != current.version:
                raise VersionConflict(
                    f"The {self.id} context is at version {current.version}, "
                    f"but this update was based on version {state.version}.",
                    expected=state.version,
                    actual=current.version,
                )
            accepted = self._accept(_Change(None, state.data, summary, 0, self._manager.actor))
        self._manager.schedule_push(self)
        return accepted

    def update(self, change: ApplyChange, *, summary: str) -> ContextState:
        """Apply `change` (decoded data in, new data out) atomically to the current state.
        Never conflicts locally; re-applied by sync if the store moved on."""
        with self._lock:
            self._check_open()
            data = encode_data(change(decode_data(self._state.data)))
            accepted = self._accept(_Change(change, data, summary, 0, self._manager.actor))
        self._manager.schedule_push(self)
        return accepted

    def _accept(self, change: _Change) -> ContextState:
        now = self._manager.clock()
        candidate = ContextState(self._state.version + 1, now, change.data)
        self.validate_state(candidate)
        self._pending.append(attrs.evolve(change, time=now, summary=_short_summary(change.summary)))
        self._state = candidate
        return candidate

    # -- snapshots and recovery ----------------------------------------------------------------

    def snapshot(self) -> ContextSnapshot:
        """Keep the current data as a snapshot (stored with the next push)."""
        with self._lock:
            self._check_open()
            now = self._manager.clock()
            taken = ContextSnapshot(new_id(now), now, self._state.data)
            self._new_snapshots.append(taken)
        self._manager.schedule_push(self)
        return taken

    def list_snapshots(self) -> list[ContextSnapshot]:
        """Newest first: those not yet stored, then the stored ones."""
        with self._lock:
            unsaved = list(reversed(self._new_snapshots))
        return unsaved + self._manager.store.snapshots(self.id)

    def restore_snapshot(self, snapshot_id: str | None = None) -> ContextState:
        """Make a snapshot's data the next version: the one named, or the newest valid one."""
        snapshots = self.list_snapshots()
        if snapshot_id is not None:
            chosen = [s for s in snapshots if s.id == snapshot_id]
            if not chosen:
                raise SnapshotNotFound(f"The {self.id} context has no snapshot {snapshot_id!r}.")
            candidates = chosen
        else:
            candidates = snapshots
        for snap in candidates:
            try:
                validate_state(
                    ContextState(0, snap.timestamp, snap.data),
                    self.kind,
                    max_size=self._config.max_size,
                )
            except InvalidState:
                continue
            with self._lock:
                change = _Change(None, snap.data, f"restored snapshot {snap.id}", 0, "context-ls")
                restored = self._accept(change)
            self._manager.schedule_push(self)
            return restored
        if snapshot_id is not None:
            raise InvalidState(f"Snapshot {snapshot_id} of the {self.id} context is not valid.")
        raise NoValidSnapshot(
            f"The {self.id} context is invalid and none of its {len(snapshots)} snapshots is valid."
        )

    def recover(self) -> ContextState:
        """Nothing when the state is valid; else restore the newest valid snapshot."""
        if self.is_valid():
            return self.get_state()
        return self.restore_snapshot()

    # -- sync with the store -------------------------------------------------------------------

    def pull_changes(self) -> ContextState:
        """Take the store's state; local changes not yet pushed are re-applied on top."""
        with self._push_lock:
            stored = self._manager.store.load(self.id)
            return self._take_stored(stored)

    def _take_stored(self, stored: tuple[ContextKind, ContextState] | None) -> ContextState:
        with self._lock:
            if stored is None or stored[1].version <= self._base.version:
                return self._state
            self._base = stored[1]
            self._state, _, self._pending = self._rebase(self._base, self._pending, reapply=True)
            return self._state

    def push_changes(self) -> ContextState:
        """Write the local changes (and snapshots) to the store in one transaction.

        On conflict (the store moved on): pull, re-apply, retry with backoff; after
        `sync_retries` retries SyncError. Memory changes only after a successful commit,
        so a failure leaves both sides as they were, the changes still pending.
        """
        with self._push_lock:
            error: ContextError | None = None
            for attempt in range(self._config.sync_retries + 1):
                if attempt:
                    self._backoff(attempt)
                try:
                    if self._try_push():
                        self._manager.note_success()
                        return self.get_state()
                    error = SyncError(f"The {self.id} context kept changing in the store.")
                except SyncError as exc:
                    error = exc
            raise SyncError(
                f"Could not save the {self.id} context after {self._config.sync_retries} "
                f"retries: {error.message if error else 'unknown error'}"
            ) from error

    def sync_state(self) -> ContextState:
        """Pull, then push whatever is local."""
        self.pull_changes()
        return self.push_changes()

    def _try_push(self) -> bool:
        with self._lock:
            self._check_open(allow_closing=True)
            pending = list(self._pending)
            snaps = list(self._new_snapshots)
            our_base = self._base
        if not pending and not snaps:
            return True
        store = self._manager.store
        stored = store.load(self.id)
        base = stored[1] if stored else ContextState.initial()
        moved_on = base != our_base
        new_state, audit, _ = self._rebase(base, pending, reapply=moved_on)
        written = list(snaps)
        if pending:  # every write also keeps the written state as a snapshot
            stamp = new_state.last_updated
            written.append(ContextSnapshot(new_id(stamp), stamp, new_state.data))
        retention = self._config.snapshot_retention
        if not store.commit(self.id, self.kind, base.version, new_state, audit, written, retention):
            return False
        with self._lock:
            self._pending = self._pending[len(pending) :]
            self._new_snapshots = self._new_snapshots[len(snaps) :]
            self._base = new_state
            # Changes made during the push sit on the old base: move them onto the new one.
            later = self._pending
            self._state, _, self._pending = self._rebase(new_state, later, reapply=moved_on)
        return True

    def _rebase(
        self, base: ContextState, changes: list[_Change], *, reapply: bool
    ) -> tuple[ContextState, list[AuditEntry], list[_Change]]:
        """`changes` on top of `base`: the resulting state, the audit entries they make,
        and the changes as they now stand (their data recomputed on the new base).

        With `reapply` (the base is not the one the changes were made on) each change's
        function runs again on the new data. A change that no longer applies (its function
        fails, or the result is invalid) is dropped and reported, so one bad change cannot
        wedge the sync forever.
        """
        state = base
        audit: list[AuditEntry] = []
        kept: list[_Change] = []
        for change in changes:
            try:
                data = change.data
                if reapply and change.apply is not None:
                    data = encode_data(change.apply(decode_data(state.data)))
                stamp = max(change.time, state.last_updated)
                candidate = ContextState(state.version + 1, stamp, data)
                if reapply:
                    validate_state(
                        candidate, self.kind, previous=state, max_size=self._config.max_size
                    )
            except Exception as exc:  # a caller's function may raise anything
                self._manager.report(
                    InvalidState(f"A change to the {self.id} context was dropped: {exc}")
                )
                continue
            state = candidate
            kept.append(change if data is change.data else attrs.evolve(change, data=data))
            entry = AuditEntry(change.time, self.id, state.version, change.actor, change.summary)
            audit.append(entry)
        return state, audit, kept

    def _backoff(self, attempt: int) -> None:
        base_ms = self._config.sync_backoff_ms * (2 ** (attempt - 1))
        time.sleep(min(base_ms, 2_000) * (0.5 + random.random()) / 1000)

    # -- life cycle ----------------------------------------------------------------------------

    def load_from_store(self) -> None:
        """Start from the stored state; an invalid one is recovered from its snapshots."""
        stored = self._manager.store.load(self.id)
        if stored is None:
            return
        with self._lock:
            self._base = self._state = stored[1]
        if not self.is_valid():
            try:
                self.recover()
            except NoValidSnapshot as exc:
                self._manager.report(exc)
                with self._lock:
                    self._accept(_Change(None, b"{}", "reset: no valid snapshot", 0, "context-ls"))
                self._manager.schedule_push(self)

    def _check_open(self, *, allow_closing: bool = False) -> None:
        if self._closed and not allow_closing:
            raise NotInitialized(f"The {self.id} context tracker is closed.")

    def close(self) -> None:
        """Refuse further updates; the manager pushes what is pending."""
        with self._lock:
            self._closed = True
