"""The file snapshot store: ordering, retention, lookup, permissions, recovery."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from context_ls.context.database import DB_FILENAME
from context_ls.context.errors import ContextError, RecoveryError, SnapshotNotFound
from context_ls.context.paths import state_dir
from context_ls.context.snapshots import (
    ContextSnapshot,
    SnapshotRecord,
    SnapshotStore,
    snapshot_then_write,
)

from .fakes import FakeClock


def test_state_dir_precedence_and_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONTEXT_LS_STATE_DIR", str(tmp_path / "from-env"))
    assert state_dir() == tmp_path / "from-env"
    assert state_dir(tmp_path / "explicit") == tmp_path / "explicit"
    assert stat.S_IMODE((tmp_path / "from-env").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "explicit").stat().st_mode) == 0o700
    monkeypatch.delenv("CONTEXT_LS_STATE_DIR")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert state_dir().name == "context-ls"


def test_save_list_get_newest_first_even_in_one_millisecond(state: Path, clock: FakeClock) -> None:
    store = SnapshotStore.open(state, clock=clock)
    first = store.save("h.jsonl", b"one", "fix")
    second = store.save("h.jsonl", b"two", "fix again")
    listed = store.list("h.jsonl")
    assert [r.id for r in listed] == [second.id, first.id]
    assert listed[0] == SnapshotRecord(
        second.id, clock.now, str(Path("h.jsonl").resolve()), "fix again", 3
    )
    assert store.get("h.jsonl") == ContextSnapshot(second.id, clock.now, b"two")
    assert store.get("h.jsonl", first.id).data == b"one"
    store.close()


def test_ids_are_unique_and_sort_by_time(state: Path, clock: FakeClock) -> None:
    with SnapshotStore.open(state, clock=clock) as store:
        ids = []
        for _ in range(50):
            ids.append(store.save("a", b"x", "r").id)
            clock.advance(1)
        assert len(set(ids)) == 50
        assert ids == sorted(ids)


def test_retention_keeps_newest_per_path(state: Path, clock: FakeClock) -> None:
    with SnapshotStore.open(state, retention=3, clock=clock) as store:
        for i in range(6):
            store.save("a.jsonl", str(i).encode(), "r")
        store.save("b.jsonl", b"b", "r")
        assert [store.get("a.jsonl", r.id).data for r in store.list("a.jsonl")] == [
            b"5",
            b"4",
            b"3",
        ]
        assert len(store.list("b.jsonl")) == 1


def test_key_is_the_resolved_absolute_path(state: Path, tmp_path: Path) -> None:
    real = tmp_path / "real.jsonl"
    real.write_bytes(b"x")
    link = tmp_path / "link.jsonl"
    link.symlink_to(real)
    with SnapshotStore.open(state) as store:
        store.save(link, b"x", "r")
        assert len(store.list(real)) == 1
        assert store.list(real)[0].path == str(real.resolve())


def test_missing_snapshot_messages_are_actionable(state: Path) -> None:
    with SnapshotStore.open(state) as store:
        with pytest.raises(SnapshotNotFound, match=r"no snapshot of .*h\.jsonl yet") as info:
            store.get("h.jsonl")
        assert "context-ls snapshots" in str(info.value)
        assert isinstance(info.value, ContextError)
        store.save("h.jsonl", b"x", "r")
        with pytest.raises(SnapshotNotFound, match="no snapshot 'nope'"):
            store.get("h.jsonl", "nope")
        # A snapshot restores only to its own path.
        record = store.list("h.jsonl")[0]
        with pytest.raises(SnapshotNotFound):
            store.get("other.jsonl", record.id)


def test_get_by_unique_prefix(state: Path, clock: FakeClock) -> None:
    with SnapshotStore.open(state, clock=clock) as store:
        record = store.save("h", b"x", "r")
        assert store.get("h", record.id[:14]).id == record.id


def test_store_file_is_private(state: Path) -> None:
    with SnapshotStore.open(state) as store:
        store.save("h", b"x", "r")
        db_file = state / DB_FILENAME
        assert stat.S_IMODE(db_file.stat().st_mode) == 0o600
        assert stat.S_IMODE(state.stat().st_mode) == 0o700
        for companion in state.glob(DB_FILENAME + "-*"):
            assert stat.S_IMODE(companion.stat().st_mode) == 0o600


def test_snapshot_then_write(state: Path, tmp_path: Path) -> None:
    target = tmp_path / "h.jsonl"
    target.write_bytes(b"broken\n")
    with SnapshotStore.open(state) as store:
        record = snapshot_then_write(store, target, b"fixed\n", "normalize")
        assert target.read_bytes() == b"fixed\n"
        assert store.get(target, record.id).data == b"broken\n"
        assert record.reason == "normalize"
        assert record.size == len(b"broken\n")


def test_corrupted_store_is_moved_aside(state: Path) -> None:
    state.mkdir(mode=0o700)
    damaged = b"this is not a database at all" * 100
    (state / DB_FILENAME).write_bytes(damaged)
    reported: list[RecoveryError] = []
    with SnapshotStore.open(state, on_recovery=reported.append) as store:
        store.save("h", b"x", "r")
        assert len(store.list("h")) == 1
    [error] = reported
    assert error.moved_to is not None
    assert error.moved_to.read_bytes() == damaged
    assert "moved to" in str(error)
    assert stat.S_IMODE((state / DB_FILENAME).stat().st_mode) == 0o600


def test_large_snapshot_round_trips(state: Path) -> None:
    blob = os.urandom(3_000_000)
    with SnapshotStore.open(state) as store:
        store.save("big", blob, "r")
        assert store.get("big").data == blob
