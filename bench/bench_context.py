"""Context system figures: `python bench/bench_context.py`.

- update + snapshot, in memory: median time of one `update_state` plus one `snapshot`
  (the goal: under 1 ms);
- persisted updates per second through the SQLite store, with batching (one write per
  context per 200 ms) and, for comparison, with a write per update;
- secret scanning speed on a generated rollout-like buffer.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from context_ls.context.database import Database
from context_ls.context.manager import ContextManager
from context_ls.context.model import ContextConfig, ContextKind, ContextState
from context_ls.context.stores import SqliteContextStore
from context_ls.secrets import find_secrets


class CountingStore(SqliteContextStore):
    """Counts the writes that reach SQLite (how much batching saves)."""

    commits = 0

    def commit(self, *args: Any, **kwargs: Any) -> bool:
        CountingStore.commits += 1
        return super().commit(*args, **kwargs)


def workspace_data(i: int) -> bytes:
    documents = {
        f"file:///w/session-{d}.jsonl": {
            "dialect": "codex",
            "records": 1000 + i,
            "findings": {"H001": d % 3, "H002": 1},
            "version": i,
        }
        for d in range(20)
    }
    return json.dumps({"folders": ["/w"], "documents": documents}).encode()


def bench_in_memory(rounds: int = 5000) -> float:
    manager = ContextManager.in_memory()
    config = ContextConfig(kind=ContextKind.WORKSPACE, batch_interval_ms=3_600_000)
    tracker = manager.register(config)
    payloads = [workspace_data(i) for i in range(64)]
    timings = []
    for i in range(rounds):
        data = payloads[i % 64]
        start = time.perf_counter()
        state = tracker.get_state()
        tracker.update_state(ContextState(state.version, 0, data))
        tracker.snapshot()
        timings.append(time.perf_counter() - start)
        if i % 500 == 499:  # keep the unsaved lists short, as the batch writer would
            manager.flush()
    manager.close()
    return statistics.median(timings)


def bench_persisted(batch_interval_ms: int, seconds: float) -> tuple[float, int, int]:
    with tempfile.TemporaryDirectory() as folder:
        CountingStore.commits = 0
        manager = ContextManager(CountingStore(Database.open(Path(folder))))
        config = ContextConfig(kind=ContextKind.TOOL, batch_interval_ms=batch_interval_ms)
        tracker = manager.register(config)

        def bump(data: dict[str, Any]) -> dict[str, Any]:
            data["count"] = data.get("count", 0) + 1
            return data

        updates = 0
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            tracker.update(bump, summary="bump")
            updates += 1
        manager.close()  # the final flush counts: every update is on disk after it
        elapsed = time.perf_counter() - start
        check = SqliteContextStore(Database.open(Path(folder)))
        stored = check.load("tool")
        assert stored is not None and stored[1].version == updates
        assert len(check.audit_entries("tool")) == updates
        check.close()
        return updates / elapsed, updates, CountingStore.commits


def bench_secrets(megabytes: int = 100) -> float:
    line = (
        b'{"timestamp":"2026-01-01T00:00:01.000Z","type":"response_item","payload":'
        b'{"type":"function_call_output","call_id":"call_00000001","output":"src/mod.py:12: '
        b'def sym(): pass Looking at the next file. Bearer of the task-list"}}\n'
    )
    data = line * (megabytes * 1_000_000 // len(line))
    start = time.perf_counter()
    find_secrets(data)
    return len(data) / (time.perf_counter() - start) / 1e6


def main() -> int:
    median = bench_in_memory()
    print(f"update + snapshot, in memory: median {median * 1e3:.3f} ms (goal < 1 ms)")
    rate, updates, writes = bench_persisted(200, 2.0)
    print(
        f"persisted with batching (200 ms): {rate:,.0f} updates/s "
        f"({updates:,} updates in {writes} store writes)"
    )
    rate, updates, writes = bench_persisted(0, 1.0)
    print(f"persisted, one write per update: {rate:,.0f} updates/s ({writes:,} store writes)")
    print(f"secret scan: {bench_secrets():,.0f} MB/s")
    return 0 if median < 0.001 else 1


if __name__ == "__main__":
    sys.exit(main())
