"""Where context states live between processes: an interface with two implementations.

`SqliteContextStore` is production (the shared SQLite file: contexts, context snapshots,
audit). `InMemoryContextStore` is for tests and for a server whose store could not be
opened (it keeps serving, just without persistence). Both commit a state, its audit rows
and its snapshots in one step, and only when the stored version is still the one the
caller based its changes on — the version is the conflict check.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from typing import Protocol

from context_ls.context.database import Database, sqlite_error_to_context_error
from context_ls.context.errors import NotInitialized
from context_ls.context.model import AuditEntry, ContextKind, ContextSnapshot, ContextState

__all__ = ["ContextStore", "InMemoryContextStore", "SqliteContextStore", "StoredContext"]

StoredContext = tuple[ContextKind, ContextState]


class ContextStore(Protocol):
    """What a tracker needs from storage."""

    def load(self, context: str) -> StoredContext | None:
        """The stored kind and state, or None when the context was never pushed."""
        ...

    def commit(
        self,
        context: str,
        kind: ContextKind,
        base_version: int,
        state: ContextState,
        audit: Sequence[AuditEntry] = (),
        snapshots: Sequence[ContextSnapshot] = (),
        snapshot_retention: int = 20,
    ) -> bool:
        """Write all of it at once if the stored version is `base_version` (0: absent);
        False (nothing written) when another writer got there first."""
        ...

    def contexts(self) -> dict[str, StoredContext]: ...

    def snapshots(self, context: str) -> list[ContextSnapshot]:
        """Newest first."""
        ...

    def audit_entries(self, context: str | None = None) -> list[AuditEntry]:
        """Oldest first."""
        ...

    def close(self) -> None: ...


class InMemoryContextStore:
    """A process-local store with the same all-or-nothing commit."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._contexts: dict[str, StoredContext] = {}
        self._snapshots: dict[str, list[ContextSnapshot]] = {}
        self._audit: list[AuditEntry] = []
        self.commits = 0  # how many writes reached the store (batching is measured by it)
        self.closed = False

    def _check_open(self) -> None:
        if self.closed:
            raise NotInitialized("The in-memory context store is closed.")

    def load(self, context: str) -> StoredContext | None:
        with self._lock:
            self._check_open()
            return self._contexts.get(context)

    def commit(
        self,
        context: str,
        kind: ContextKind,
        base_version: int,
        state: ContextState,
        audit: Sequence[AuditEntry] = (),
        snapshots: Sequence[ContextSnapshot] = (),
        snapshot_retention: int = 20,
    ) -> bool:
        with self._lock:
            self._check_open()
            stored = self._contexts.get(context)
            if (stored[1].version if stored else 0) != base_version:
                return False
            self._contexts[context] = (kind, state)
            self._audit.extend(audit)
            kept = list(reversed(snapshots)) + self._snapshots.get(context, [])
            self._snapshots[context] = kept[:snapshot_retention]
            self.commits += 1
            return True

    def contexts(self) -> dict[str, StoredContext]:
        with self._lock:
            return dict(self._contexts)

    def snapshots(self, context: str) -> list[ContextSnapshot]:
        with self._lock:
            return list(self._snapshots.get(context, []))

    def audit_entries(self, context: str | None = None) -> list[AuditEntry]:
        with self._lock:
            return [a for a in self._audit if context is None or a.context == context]

    def close(self) -> None:
        self.closed = True


class SqliteContextStore:
    """Contexts, their snapshots and the audit trail in the shared SQLite file."""

    def __init__(self, database: Database) -> None:
        self._db = database

    @property
    def database(self) -> Database:
        return self._db

    def load(self, context: str) -> StoredContext | None:
        rows = self._db.fetch_all(
            "SELECT kind, version, last_updated, data FROM contexts WHERE context = ?",
            (context,),
            action=f"read the {context} context",
        )
        if not rows:
            return None
        row = rows[0]
        return ContextKind(row[0]), ContextState(row[1], row[2], bytes(row[3]))

    def commit(
        self,
        context: str,
        kind: ContextKind,
        base_version: int,
        state: ContextState,
        audit: Sequence[AuditEntry] = (),
        snapshots: Sequence[ContextSnapshot] = (),
        snapshot_retention: int = 20,
    ) -> bool:
        try:
            with self._db.write() as conn:
                row = conn.execute(
                    "SELECT version FROM contexts WHERE context = ?", (context,)
                ).fetchone()
                if (row[0] if row else 0) != base_version:
                    return False
                conn.execute(
                    "INSERT INTO contexts (context, kind, version, last_updated, data)"
                    " VALUES (?, ?, ?, ?, ?) ON CONFLICT (context) DO UPDATE SET"
                    " kind = excluded.kind, version = excluded.version,"
                    " last_updated = excluded.last_updated, data = excluded.data",
                    (context, kind.value, state.version, state.last_updated, state.data),
                )
                conn.executemany(
                    "INSERT INTO audit (time, context, version, actor, summary)"
                    " VALUES (?, ?, ?, ?, ?)",
                    [(a.time, a.context, a.version, a.actor, a.summary) for a in audit],
                )
                if snapshots:
                    self._insert_snapshots(conn, context, snapshots, snapshot_retention)
                return True
        except sqlite3.Error as exc:
            raise sqlite_error_to_context_error(exc, f"save the {context} context") from exc

    @staticmethod
    def _insert_snapshots(
        conn: sqlite3.Connection,
        context: str,
        snapshots: Sequence[ContextSnapshot],
        retention: int,
    ) -> None:
        conn.executemany(
            "INSERT OR IGNORE INTO context_snapshots (id, context, timestamp, data)"
            " VALUES (?, ?, ?, ?)",
            [(s.id, context, s.timestamp, s.data) for s in snapshots],
        )
        conn.execute(
            "DELETE FROM context_snapshots WHERE context = ? AND seq NOT IN (SELECT seq FROM"
            " context_snapshots WHERE context = ? ORDER BY seq DESC LIMIT ?)",
            (context, context, retention),
        )

    def contexts(self) -> dict[str, StoredContext]:
        rows = self._db.fetch_all(
            "SELECT context, kind, version, last_updated, data FROM contexts",
            action="read the contexts",
        )
        return {r[0]: (ContextKind(r[1]), ContextState(r[2], r[3], bytes(r[4]))) for r in rows}

    def snapshots(self, context: str) -> list[ContextSnapshot]:
        rows = self._db.fetch_all(
            "SELECT id, timestamp, data FROM context_snapshots WHERE context = ? ORDER BY seq DESC",
            (context,),
            action=f"read the {context} snapshots",
        )
        return [ContextSnapshot(r[0], r[1], bytes(r[2])) for r in rows]

    def audit_entries(self, context: str | None = None) -> list[AuditEntry]:
        query = "SELECT time, context, version, actor, summary FROM audit"
        params: tuple[str, ...] = ()
        if context is not None:
            query += " WHERE context = ?"
            params = (context,)
        rows = self._db.fetch_all(query + " ORDER BY seq", params, action="read the audit trail")
        return [AuditEntry(*r) for r in rows]

    def close(self) -> None:
        self._db.close()
