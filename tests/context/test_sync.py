"""Sync between trackers sharing a store, across processes, and under store faults."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from context_ls.context.database import DB_FILENAME, Database
from context_ls.context.errors import ContextError, PersistenceError, RecoveryError, SyncError
from context_ls.context.manager import ContextManager
from context_ls.context.model import ContextConfig, ContextKind, ContextState
from context_ls.context.stores import InMemoryContextStore, SqliteContextStore
from context_ls.context.tracker import ContextTracker

from .fakes import FakeClock

NEVER = 3_600_000
FAST_FAIL = {"batch_interval_ms": NEVER, "sync_retries": 2, "sync_backoff_ms": 1}


def tracker_on(manager: ContextManager, **config: Any) -> ContextTracker:
    config.setdefault("batch_interval_ms", NEVER)
    return manager.register(ContextConfig(**config))


def bump(name: str) -> Any:
    def apply(data: dict[str, Any]) -> dict[str, Any]:
        data[name] = data.get(name, 0) + 1
        data["total"] = data.get("total", 0) + 1
        return data

    return apply


def test_conflicting_pushes_are_rebased_and_nothing_is_lost(clock: FakeClock) -> None:
    store = InMemoryContextStore()
    left = tracker_on(ContextManager(store, clock=clock, actor="vscode"))
    right = tracker_on(ContextManager(store, clock=clock, actor="neovim"))
    for _ in range(3):
        left.update(bump("left"), summary="left")
    for _ in range(2):
        right.update(bump("right"), summary="right")
    left.push_changes()
    right.push_changes()  # the store moved on: pull, re-apply, commit
    assert right.get_state().version == 5
    assert right.get_data() == {"left": 3, "right": 2, "total": 5}
    left.pull_changes()
    assert left.get_state() == right.get_state()
    assert [(a.version, a.actor) for a in store.audit_entries()] == [
        (1, "vscode"),
        (2, "vscode"),
        (3, "vscode"),
        (4, "neovim"),
        (5, "neovim"),
    ]


def test_pull_reapplies_local_changes_without_writing(clock: FakeClock) -> None:
    store = InMemoryContextStore()
    left = tracker_on(ContextManager(store, clock=clock))
    right = tracker_on(ContextManager(store, clock=clock))
    left.update(bump("left"), summary="l")
    left.push_changes()
    right.update(bump("right"), summary="r")
    state = right.pull_changes()
    assert state.version == 2
    assert right.get_data() == {"left": 1, "right": 1, "total": 2}
    assert right.has_pending_changes
    assert store.commits == 1
    assert right.sync_state().version == 2
    assert store.load("workspace") == (ContextKind.WORKSPACE, right.get_state())
    assert right.get_data() == {"left": 1, "right": 1, "total": 2}


class InterleavingStore(InMemoryContextStore):
    """Runs `during_commit` once, inside the first commit: an update racing a push."""

    during_commit: Any = None

    def commit(self, *args: Any, **kwargs: Any) -> bool:
        hook, self.during_commit = self.during_commit, None
        if hook is not None:
            hook()
        return super().commit(*args, **kwargs)


def test_changes_made_during_a_rebased_push_are_moved_onto_the_new_base(
    clock: FakeClock,
) -> None:
    store = InterleavingStore()
    left = tracker_on(ContextManager(store, clock=clock))
    right = tracker_on(ContextManager(store, clock=clock))
    left.update(bump("left"), summary="l")
    left.push_changes()
    right.update(bump("right"), summary="r1")
    store.during_commit = lambda: right.update(bump("right"), summary="r2")
    right.push_changes()  # rebased onto left's state; r2 arrived meanwhile
    assert right.get_data() == {"left": 1, "right": 2, "total": 3}
    right.push_changes()
    stored = store.load("workspace")
    assert stored is not None
    assert json.loads(stored[1].data) == {"left": 1, "right": 2, "total": 3}
    assert stored[1].version == 3


def test_replace_updates_win_on_rebase(clock: FakeClock) -> None:
    store = InMemoryContextStore()
    left = tracker_on(ContextManager(store, clock=clock))
    right = tracker_on(ContextManager(store, clock=clock))
    left.update_state(ContextState(0, 0, b'{"who":"left"}'))
    left.push_changes()
    right.update_state(ContextState(0, 0, b'{"who":"right"}'))
    assert right.push_changes().version == 2
    assert right.get_data() == {"who": "right"}


class AlwaysConflicting(InMemoryContextStore):
    def commit(self, *args: Any, **kwargs: Any) -> bool:
        return False


def test_endless_conflicts_end_in_sync_error_and_keep_memory(clock: FakeClock) -> None:
    manager = ContextManager(AlwaysConflicting(), clock=clock)
    tracker = tracker_on(manager, **FAST_FAIL)
    tracker.update(bump("x"), summary="x")
    with pytest.raises(SyncError, match="after 2 retries"):
        tracker.push_changes()
    assert tracker.get_data() == {"x": 1, "total": 1}
    assert tracker.has_pending_changes


def test_locked_store_gives_sync_error_then_succeeds(state: Path, clock: FakeClock) -> None:
    manager = ContextManager(
        SqliteContextStore(Database.open(state, busy_timeout_s=0.05)), clock=clock
    )
    tracker = tracker_on(manager, **FAST_FAIL)
    tracker.update(bump("x"), summary="x")
    holder = sqlite3.connect(state / DB_FILENAME, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    with pytest.raises(SyncError, match="locked"):
        tracker.push_changes()
    assert tracker.has_pending_changes
    holder.execute("ROLLBACK")
    holder.close()
    assert tracker.push_changes().version == 1
    assert manager.store.load("workspace") == (ContextKind.WORKSPACE, tracker.get_state())
    manager.close()


def test_full_disk_is_a_persistence_error_and_memory_survives(
    state: Path, clock: FakeClock
) -> None:
    database = Database.open(state)
    manager = ContextManager(SqliteContextStore(database), clock=clock)
    tracker = tracker_on(manager, **FAST_FAIL)
    with database.read() as conn:
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages + 2}")
    tracker.update(lambda d: {"blob": "z" * 200_000}, summary="big")
    with pytest.raises(PersistenceError, match="full"):
        tracker.push_changes()
    assert tracker.get_state().version == 1
    assert manager.store.load("workspace") is None
    manager.close()  # the final flush fails too: reported, never raised


def test_read_only_store_is_a_persistence_error(state: Path, clock: FakeClock) -> None:
    Database.open(state).close()
    database = Database.open_read_only(state)
    assert database is not None
    manager = ContextManager(SqliteContextStore(database), clock=clock)
    tracker = tracker_on(manager, **FAST_FAIL)
    tracker.update(bump("x"), summary="x")
    with pytest.raises(PersistenceError, match="readonly"):
        tracker.push_changes()
    manager.close()


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into read-only folders")
def test_read_only_folder_is_a_persistence_error(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    os.chmod(folder, stat.S_IRUSR | stat.S_IXUSR)
    try:
        with pytest.raises(PersistenceError, match="writable"):
            ContextManager.open_sqlite(folder)
    finally:
        os.chmod(folder, 0o700)


def test_unusable_state_folder_is_a_persistence_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(PersistenceError, match="Cannot create the state folder"):
        ContextManager.open_sqlite(blocker / "state")


def test_corrupted_store_is_moved_aside_and_reported(state: Path) -> None:
    state.mkdir(mode=0o700)
    (state / DB_FILENAME).write_bytes(b"SQLite format 3\x00" + os.urandom(8192))
    reported: list[ContextError] = []
    manager = ContextManager.open_sqlite(state, on_error=reported.append)
    tracker = tracker_on(manager)
    tracker.update(bump("x"), summary="x")
    manager.close()
    [error] = reported
    assert isinstance(error, RecoveryError)
    assert error.moved_to is not None and error.moved_to.exists()
    assert "moved to" in str(error) and "Nothing was deleted" in str(error)
    reopened = ContextManager.open_sqlite(state)
    assert reopened.store.load("workspace") is not None
    reopened.close()


WRITER = """
import sys
from context_ls.context.manager import ContextManager
from context_ls.context.model import ContextConfig, ContextKind

name, state = sys.argv[1], sys.argv[2]
manager = ContextManager.open_sqlite(state, actor=name, busy_timeout_s=5.0)
config = ContextConfig(kind=ContextKind.TOOL, batch_interval_ms=5)
tracker = manager.register(config)

def bump(data):
    data[name] = data.get(name, 0) + 1
    data["total"] = data.get("total", 0) + 1
    return data

print("ready", flush=True)
sys.stdin.readline()
for i in range(1000):
    tracker.update(bump, summary=f"{name} update {i}")
manager.close()
"""


@pytest.mark.slow
def test_two_processes_share_one_store_without_losing_updates(state: Path) -> None:
    Database.open(state).close()
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, name, str(state)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        for name in ("vscode", "neovim")
    ]
    for writer in writers:
        assert writer.stdout is not None and writer.stdout.readline() == b"ready\n"
    for writer in writers:
        assert writer.stdin is not None
        writer.stdin.write(b"go\n")
        writer.stdin.close()
    for writer in writers:
        assert writer.wait(timeout=120) == 0
        assert writer.stdout is not None
        writer.stdout.close()
    store = SqliteContextStore(Database.open(state))
    stored = store.load("tool")
    assert stored is not None
    kind, final = stored
    assert kind is ContextKind.TOOL
    assert final.version == 2000
    assert json.loads(final.data) == {"vscode": 1000, "neovim": 1000, "total": 2000}
    audit = store.audit_entries("tool")
    assert len(audit) == 2000
    assert sorted(a.version for a in audit) == list(range(1, 2001))
    assert {a.actor for a in audit} == {"vscode", "neovim"}
    store.close()
