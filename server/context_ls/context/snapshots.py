"""Snapshots of files taken before context-ls rewrites them, so every repair can be undone.

Keyed by the absolute resolved path: a snapshot restores only to its own file. Ordered by
an autoincrement sequence, not by timestamp, so two snapshots in the same millisecond (or
after a clock step back) still come out newest first.
"""

from __future__ import annotations

import builtins
import sqlite3
from collections.abc import Callable
from pathlib import Path

import attrs

from context_ls.context.database import Database, sqlite_error_to_context_error
from context_ls.context.errors import RecoveryError, SnapshotNotFound
from context_ls.context.ids import new_id, now_ms
from context_ls.fileio import atomic_write

__all__ = [
    "ContextSnapshot",
    "SnapshotNotFound",
    "SnapshotRecord",
    "SnapshotStore",
    "snapshot_key",
    "snapshot_then_write",
]

DEFAULT_RETENTION = 20


@attrs.frozen
class ContextSnapshot:
    """The saved bytes of one snapshot."""

    id: str
    timestamp: int  # ms since the epoch
    data: bytes = attrs.field(repr=lambda data: f"<{len(data)} bytes>")


@attrs.frozen
class SnapshotRecord:
    """What a listing shows about a snapshot; the bytes are loaded with `get`."""

    id: str
    timestamp: int
    path: str
    reason: str
    size: int


def snapshot_key(path: Path | str) -> str:
    """The absolute, symlink-resolved path string snapshots are filed under."""
    return str(Path(path).expanduser().resolve())


class SnapshotStore:
    """File snapshots in the shared context-ls SQLite store, newest `retention` per path."""

    def __init__(
        self,
        database: Database,
        *,
        retention: int = DEFAULT_RETENTION,
        clock: Callable[[], int] | None = None,
    ) -> None:
        if retention < 1:
            raise ValueError("retention must keep at least one snapshot per path")
        self._db = database
        self._retention = retention
        self._clock = clock or now_ms

    @classmethod
    def open(
        cls,
        state_dir: Path | str | None = None,
        *,
        retention: int = DEFAULT_RETENTION,
        clock: Callable[[], int] | None = None,
        on_recovery: Callable[[RecoveryError], None] | None = None,
    ) -> SnapshotStore:
        return cls(
            Database.open(state_dir, on_recovery=on_recovery), retention=retention, clock=clock
        )

    @property
    def database(self) -> Database:
        return self._db

    def save(self, path: Path | str, data: bytes, reason: str) -> SnapshotRecord:
        """Keep `data` as the newest snapshot of `path`, dropping those past the retention."""
        key = snapshot_key(path)
        timestamp = self._clock()
        snapshot_id = new_id(timestamp)
        try:
            with self._db.write() as conn:
                conn.execute(
                    "INSERT INTO file_snapshots (id, path, timestamp, reason, size, data)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (snapshot_id, key, timestamp, reason, len(data), data),
                )
                conn.execute(
                    "DELETE FROM file_snapshots WHERE path = ? AND seq NOT IN"
                    " (SELECT seq FROM file_snapshots WHERE path = ? ORDER BY seq DESC LIMIT ?)",
                    (key, key, self._retention),
                )
        except sqlite3.Error as exc:
            raise sqlite_error_to_context_error(exc, f"save a snapshot of {key}") from exc
        return SnapshotRecord(snapshot_id, timestamp, key, reason, len(data))

    def list(self, path: Path | str) -> builtins.list[SnapshotRecord]:
        """The snapshots of `path`, newest first."""
        key = snapshot_key(path)
        rows = self._db.fetch_all(
            "SELECT id, timestamp, path, reason, size FROM file_snapshots"
            " WHERE path = ? ORDER BY seq DESC",
            (key,),
            action=f"list the snapshots of {key}",
        )
        return [SnapshotRecord(*row) for row in rows]

    def get(self, path: Path | str, snapshot_id: str | None = None) -> ContextSnapshot:
        """The newest snapshot of `path`, or the one whose id is (or starts with) `snapshot_id`."""
        key = snapshot_key(path)
        try:
            with self._db.read() as conn:
                if snapshot_id is None:
                    rows = conn.execute(
                        "SELECT id, timestamp, data FROM file_snapshots WHERE path = ?"
                        " ORDER BY seq DESC LIMIT 1",
                        (key,),
                    ).fetchall()
                else:
                    rows = conn.execute(
                        "SELECT id, timestamp, data FROM file_snapshots WHERE path = ?"
                        " AND substr(id, 1, ?) = ? ORDER BY seq DESC LIMIT 2",
                        (key, len(snapshot_id), snapshot_id),
                    ).fetchall()
        except sqlite3.Error as exc:
            raise sqlite_error_to_context_error(exc, f"read a snapshot of {key}") from exc
        if not rows:
            if snapshot_id is None:
                raise SnapshotNotFound(f"There is no snapshot of {key} yet.")
            raise SnapshotNotFound(f"There is no snapshot {snapshot_id!r} of {key}.")
        exact = [row for row in rows if row[0] == snapshot_id]
        if len(rows) > 1 and not exact:
            raise SnapshotNotFound(
                f"The snapshot id {snapshot_id!r} is ambiguous for {key}; give more characters."
            )
        found = exact[0] if exact else rows[0]
        return ContextSnapshot(found[0], found[1], bytes(found[2]))

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> SnapshotStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def snapshot_then_write(
    store: SnapshotStore, path: Path | str, new_data: bytes, reason: str
) -> SnapshotRecord:
    """Save the file's current bytes as a snapshot, then replace the file atomically.

    The snapshot is committed before the write starts, so a crash in between loses nothing.
    """
    current = Path(path).read_bytes()
    record = store.save(path, current, reason)
    atomic_write(Path(path), new_data)
    return record
