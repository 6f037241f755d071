"""Access to the snapshot store from the server: one worker thread owns every store call,
so a 20 MB snapshot write never stalls the event loop."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

from context_ls.lsp.feature import LanguageFeature

if TYPE_CHECKING:
    from collections.abc import Callable

    from context_ls.context.snapshots import ContextSnapshot, SnapshotRecord, SnapshotStore
    from context_ls.lsp.server import ContextLanguageServer

logger = logging.getLogger(__name__)
T = TypeVar("T")


class Snapshots(LanguageFeature):
    def __init__(self, server: ContextLanguageServer) -> None:
        super().__init__(server)
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="context-ls-snapshots")
        self._store: SnapshotStore | None = None
        self._retention = 0

    def _open(self) -> SnapshotStore:
        from context_ls.context.snapshots import SnapshotStore

        retention = self.server.settings.snapshot_retention
        if self._store is None or retention != self._retention:
            if self._store is not None:
                self._store.close()
            self._store = SnapshotStore.open(None, retention=retention)
            self._retention = retention
        return self._store

    async def _run(self, fn: Callable[[SnapshotStore], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, lambda: fn(self._open()))

    async def save(self, path: str, data: bytes, reason: str) -> SnapshotRecord:
        return await self._run(lambda store: store.save(path, data, reason))

    async def list(self, path: str) -> list[SnapshotRecord]:
        return await self._run(lambda store: store.list(path))

    async def get(self, path: str, snapshot_id: str | None) -> ContextSnapshot:
        return await self._run(lambda store: store.get(path, snapshot_id))

    def shutdown(self) -> None:
        def close() -> None:
            if self._store is not None:
                self._store.close()
                self._store = None

        self._pool.submit(close)
        self._pool.shutdown(wait=True)


def record_json(record: Any) -> dict[str, Any]:
    return {
        "id": record.id,
        "timestamp": record.timestamp,
        "path": record.path,
        "reason": record.reason,
        "size": record.size,
    }
