"""ContextTracker: optimistic concurrency, validation, snapshots, recovery, sync."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from context_ls.context.errors import (
    ContextError,
    InvalidState,
    NotInitialized,
    NoValidSnapshot,
    SnapshotNotFound,
    VersionConflict,
)
from context_ls.context.manager import ContextManager
from context_ls.context.model import ContextConfig, ContextKind, ContextState, converter
from context_ls.context.stores import InMemoryContextStore
from context_ls.context.tracker import ContextTracker

from .fakes import FakeClock

NEVER = 3_600_000  # a batch interval so long that only flush/close write


@pytest.fixture
def manager(clock: FakeClock) -> Iterator[ContextManager]:
    m = ContextManager.in_memory(clock=clock, actor="tests")
    yield m
    m.close()


def make(manager: ContextManager, **config: Any) -> ContextTracker:
    config.setdefault("batch_interval_ms", NEVER)
    return manager.register(ContextConfig(**config))


def test_update_increments_version_and_stamps_time(
    manager: ContextManager, clock: FakeClock
) -> None:
    tracker = make(manager)
    assert tracker.get_state() == ContextState(0, 0, b"{}")
    clock.advance(5)
    new = tracker.update_state(ContextState(0, 0, b'{"folders":["/w"]}'))
    assert new == ContextState(1, clock.now, b'{"folders":["/w"]}')
    assert tracker.get_state() == new


def test_stale_update_is_refused_with_a_conflict(manager: ContextManager) -> None:
    tracker = make(manager)
    tracker.update_state(ContextState(0, 0, b"{}"))
    with pytest.raises(
        VersionConflict, match="at version 1, but this update was based on version 0"
    ) as info:
        tracker.update_state(ContextState(0, 0, b'{"a":1}'))
    assert (info.value.expected, info.value.actual) == (0, 1)
    assert tracker.get_state().version == 1


def test_invalid_states_are_refused(manager: ContextManager) -> None:
    tracker = make(manager, kind=ContextKind.USER, max_size=100)
    for bad, reason in [
        (b"[1,2]", "not a JSON object"),
        (b"{not json", "not a JSON object"),
        (b'{"settings": 3}', "'settings' must be an object"),
        (b'{"x":"' + b"a" * 200 + b'"}', "over the 100-byte limit"),
    ]:
        with pytest.raises(InvalidState, match=reason):
            tracker.update_state(ContextState(0, 0, bad))
    assert tracker.get_state().version == 0
    with pytest.raises(InvalidState, match="negative version"):
        tracker.validate_state(ContextState(-1, 0, b"{}"))


def test_versions_never_go_back_in_validation(manager: ContextManager) -> None:
    tracker = make(manager)
    tracker.update_state(ContextState(0, 0, b"{}"))
    tracker.update_state(ContextState(1, 0, b"{}"))
    with pytest.raises(InvalidState, match="go back from version 2 to 1"):
        tracker.validate_state(ContextState(1, 0, b"{}"))


def _update_until_accepted(tracker: ContextTracker, n: int) -> int:
    while True:
        current = tracker.get_state()
        data = json.dumps({"writer": n}).encode()
        try:
            return tracker.update_state(ContextState(current.version, 0, data)).version
        except VersionConflict:
            continue


async def test_1000_concurrent_updates_from_tasks_and_threads(manager: ContextManager) -> None:
    tracker = make(manager)
    loop = asyncio.get_running_loop()
    start = threading.Barrier(8)

    def thread_worker(first: int) -> list[int]:
        start.wait()
        return [_update_until_accepted(tracker, first + i) for i in range(100)]

    async def task_worker(n: int) -> int:
        await asyncio.sleep(0)
        return _update_until_accepted(tracker, n)

    with ThreadPoolExecutor(max_workers=8) as pool:
        thread_results = [loop.run_in_executor(pool, thread_worker, 1000 * k) for k in range(8)]
        task_results = await asyncio.gather(*(task_worker(n) for n in range(200)))
        from_threads = [v for chunk in await asyncio.gather(*thread_results) for v in chunk]
    versions = sorted(from_threads + list(task_results))
    assert versions == list(range(1, 1001))
    assert tracker.get_state().version == 1000
    manager.flush()
    assert len(manager.store.audit_entries("workspace")) == 1000
    assert [a.version for a in manager.store.audit_entries("workspace")] == list(range(1, 1001))


def test_update_function_is_atomic_across_threads(manager: ContextManager) -> None:
    tracker = make(manager, kind=ContextKind.TOOL)

    def bump(data: dict[str, Any]) -> dict[str, Any]:
        data["count"] = data.get("count", 0) + 1
        return data

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda _: tracker.update(bump, summary="bump"), range(400)))
    assert tracker.get_data() == {"count": 400}
    assert tracker.get_state().version == 400


def test_batching_writes_once_until_flush_and_on_close(clock: FakeClock) -> None:
    store = InMemoryContextStore()
    manager = ContextManager(store, clock=clock)
    tracker = make(manager)

    def set_n(n: int) -> Any:
        return lambda data: {**data, "n": n}

    for i in range(50):
        tracker.update(set_n(i), summary=f"set n={i}")
    assert store.commits == 0
    assert store.load("workspace") is None
    manager.flush()
    assert store.commits == 1
    assert store.load("workspace") == (ContextKind.WORKSPACE, tracker.get_state())
    tracker.update(lambda d: {**d, "n": 99}, summary="last")
    manager.close()
    assert store.commits == 2
    assert [a.version for a in store.audit_entries()] == list(range(1, 52))
    with pytest.raises(NotInitialized):
        tracker.update(lambda d: d, summary="after close")


def test_immediate_mode_writes_every_update(manager: ContextManager) -> None:
    tracker = make(manager, batch_interval_ms=0)
    tracker.update(lambda d: {"a": 1}, summary="a")
    tracker.update(lambda d: {"a": 2}, summary="b")
    store = manager.store
    assert isinstance(store, InMemoryContextStore)
    assert store.commits == 2


def test_secrets_never_reach_the_audit(manager: ContextManager) -> None:
    tracker = make(manager)
    tracker.update(lambda d: d, summary="token was AKIAIOSFODNN7EXAMPLE in " + "x" * 500)
    manager.flush()
    [entry] = manager.store.audit_entries()
    assert "AKIA" not in entry.summary
    assert "[REDACTED:aws-access-key]" in entry.summary
    assert len(entry.summary) <= 200
    assert (entry.actor, entry.context, entry.version) == ("tests", "workspace", 1)


def test_snapshot_restore_and_missing(manager: ContextManager, clock: FakeClock) -> None:
    tracker = make(manager)
    tracker.update(lambda d: {"v": 1}, summary="v1")
    first = tracker.snapshot()
    tracker.update(lambda d: {"v": 2}, summary="v2")
    restored = tracker.restore_snapshot(first.id)
    assert restored.version == 3
    assert tracker.get_data() == {"v": 1}
    with pytest.raises(SnapshotNotFound, match="no snapshot 'nope'"):
        tracker.restore_snapshot("nope")
    manager.flush()
    ids = [s.id for s in tracker.list_snapshots()]
    assert first.id in ids


def test_invalid_stored_state_recovers_from_newest_valid_snapshot(clock: FakeClock) -> None:
    store = InMemoryContextStore()
    good = ContextState(1, 1, b'{"folders":["/good"]}')
    from context_ls.context.model import ContextSnapshot

    snaps = [ContextSnapshot("a", 1, b'{"folders":["/older"]}'), ContextSnapshot("b", 2, good.data)]
    store.commit("workspace", ContextKind.WORKSPACE, 0, good, snapshots=snaps)
    store.commit("workspace", ContextKind.WORKSPACE, 1, ContextState(2, 3, b"garbage"))
    manager = ContextManager(store, clock=clock)
    tracker = make(manager)
    assert tracker.is_valid()
    assert tracker.get_data() == {"folders": ["/good"]}
    assert tracker.get_state().version == 3
    manager.close()


def test_no_valid_snapshot(manager: ContextManager) -> None:
    tracker = make(manager, max_size=50)
    tracker.update(lambda d: {"x": "y" * 10}, summary="ok")
    # Force an invalid current state, as a store edited by hand would give.
    tracker._state = ContextState(5, 0, b"oops")
    tracker._new_snapshots.clear()
    assert not tracker.is_valid()
    with pytest.raises(NoValidSnapshot, match="none of its 0 snapshots is valid"):
        tracker.recover()


def test_failing_change_function_leaves_state_alone(manager: ContextManager) -> None:
    tracker = make(manager)

    def boom(data: dict[str, Any]) -> dict[str, Any]:
        raise KeyError("x")

    with pytest.raises(KeyError):
        tracker.update(boom, summary="boom")
    assert tracker.get_state().version == 0
    assert not tracker.has_pending_changes


def test_register_makes_one_tracker_per_context(manager: ContextManager) -> None:
    default = manager.register(ContextConfig())
    assert default.kind is ContextKind.WORKSPACE and default.id == "workspace"
    user = manager.register(ContextConfig(kind=ContextKind.USER))
    assert user.id == "user"
    tool = manager.register(ContextConfig(kind=ContextKind.TOOL, context_id="tool:x"))
    assert tool.id == "tool:x"
    assert manager.tracker("tool:x") is tool
    assert manager.register(ContextConfig(kind=ContextKind.USER)) is user
    with pytest.raises(ContextError, match="already tracked as a user context"):
        manager.register(ContextConfig(kind=ContextKind.TOOL, context_id="user"))
    with pytest.raises(NotInitialized, match="create it first"):
        manager.tracker("missing")


def test_activation(manager: ContextManager) -> None:
    assert manager.get_active_context() is None
    manager.activate_context("file:///w/a.jsonl")
    assert manager.get_active_context() == "file:///w/a.jsonl"
    manager.deactivate_context()
    assert manager.get_active_context() is None
    with pytest.raises(ContextError, match="without an id"):
        manager.activate_context("")


def test_cattrs_round_trip() -> None:
    state = ContextState(3, 1234, b'{"a":1}')
    raw = converter.unstructure(state)
    assert raw == {"version": 3, "last_updated": 1234, "data": "eyJhIjoxfQ=="}
    assert converter.structure(raw, ContextState) == state
    config = converter.structure({"kind": "tool", "max_size": 10}, ContextConfig)
    assert config == ContextConfig(kind=ContextKind.TOOL, max_size=10)
