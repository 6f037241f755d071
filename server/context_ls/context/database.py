"""The one SQLite file behind snapshots, contexts and the audit trail.

Why SQLite: two servers (say VS Code and Neovim) on one machine must share state without
lost updates; SQLite's WAL mode gives concurrent readers, one writer at a time, and a busy
timeout instead of failures. Why recovery here: a store that fails its integrity check is
never deleted (it may hold the only copy of a snapshot); it is renamed aside and a fresh
one is created, and the caller is told through `on_recovery`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from context_ls.context.errors import (
    ContextError,
    NotInitialized,
    PersistenceError,
    RecoveryError,
    SyncError,
)
from context_ls.context.paths import state_dir as resolve_state_dir

__all__ = ["DB_FILENAME", "Database", "sqlite_error_to_context_error"]

log = logging.getLogger(__name__)

DB_FILENAME = "context-ls.sqlite3"
DEFAULT_BUSY_TIMEOUT_S = 5.0
_PRIVATE_FILE = 0o600

_SCHEMA = """
CREATE TABLE IF NOT EXISTS file_snapshots (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    path TEXT NOT NULL,
    timestamp INTEGER NOT NULL,
    reason TEXT NOT NULL,
    size INTEGER NOT NULL,
    data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS file_snapshots_by_path ON file_snapshots (path, seq);
CREATE TABLE IF NOT EXISTS contexts (
    context TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    version INTEGER NOT NULL,
    last_updated INTEGER NOT NULL,
    data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS context_snapshots (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    context TEXT NOT NULL,
    timestamp INTEGER NOT NULL,
    data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS context_snapshots_by_context ON context_snapshots (context, seq);
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    time INTEGER NOT NULL,
    context TEXT NOT NULL,
    version INTEGER NOT NULL,
    actor TEXT NOT NULL,
    summary TEXT NOT NULL
);
"""


def sqlite_error_to_context_error(exc: sqlite3.Error, action: str) -> ContextError:
    """Turn a driver error into the context error a user can act on."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return SyncError(f"The context store stayed locked while trying to {action}.")
    return PersistenceError(f"Could not {action}: {exc}.")


def _ensure_private_file(path: Path) -> None:
    """Create the store file as 0600 before SQLite does (SQLite would apply the umask),
    so the -wal and -shm files, which copy its mode, are private too."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, _PRIVATE_FILE)
    os.close(fd)
    if (os.stat(path).st_mode & 0o777) != _PRIVATE_FILE:
        os.chmod(path, _PRIVATE_FILE)


def _integrity_problem(conn: sqlite3.Connection) -> str | None:
    """None when the file is a sound database, else what is wrong with it."""
    try:
        rows = conn.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    if rows and rows[0][0] == "ok":
        return None
    return "; ".join(str(row[0]) for row in rows[:5]) or "integrity check failed"


def _move_aside(path: Path, now_ms: int) -> Path:
    """Rename a damaged store (and its WAL/SHM companions) next to itself; keep it."""
    aside = path.with_name(f"{path.name}.corrupt-{now_ms}")
    counter = 0
    while aside.exists():
        counter += 1
        aside = path.with_name(f"{path.name}.corrupt-{now_ms}-{counter}")
    os.replace(path, aside)
    for suffix in ("-wal", "-shm"):
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            os.replace(companion, aside.with_name(aside.name + suffix))
    return aside


class Database:
    """A thread-safe SQLite connection with the context-ls schema.

    One connection per process object, guarded by a lock; writes run in `BEGIN IMMEDIATE`
    transactions so a concurrent writer waits (busy timeout) instead of failing mid-way.
    """

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        self._lock = threading.RLock()
        self._closed = False

    @classmethod
    def open(
        cls,
        state_dir: Path | str | None = None,
        *,
        busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S,
        on_recovery: Callable[[RecoveryError], None] | None = None,
    ) -> Database:
        """Open (creating when missing) the store; a damaged one is moved aside first."""
        folder = resolve_state_dir(state_dir)
        path = folder / DB_FILENAME
        try:
            existed = path.exists() and path.stat().st_size > 0
            _ensure_private_file(path)
            conn = cls._connect(path, busy_timeout_s)
        except (OSError, sqlite3.Error) as exc:
            raise PersistenceError(f"Cannot open the context store {path}: {exc}.") from exc
        problem = _integrity_problem(conn) if existed else None
        if problem is not None:
            conn.close()
            conn = cls._recover(path, problem, busy_timeout_s, on_recovery)
        try:
            conn.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            conn.close()
            raise sqlite_error_to_context_error(exc, f"set up the context store {path}") from exc
        return cls(conn, path)

    @classmethod
    def open_read_only(
        cls, state_dir: Path | str | None = None, *, busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S
    ) -> Database | None:
        """Open an existing store without writing anything (for `context show`); None when
        there is no store yet. A damaged store is reported, not moved."""
        folder = resolve_state_dir(state_dir, create=False)
        path = folder / DB_FILENAME
        if not path.is_file() or path.stat().st_size == 0:
            return None
        try:
            conn = sqlite3.connect(
                f"{path.absolute().as_uri()}?mode=ro",
                uri=True,
                timeout=busy_timeout_s,
                isolation_level=None,
                check_same_thread=False,
            )
        except sqlite3.Error as exc:
            raise PersistenceError(f"Cannot read the context store {path}: {exc}.") from exc
        problem = _integrity_problem(conn)
        if problem is not None:
            conn.close()
            raise RecoveryError(
                f"The context store {path} is damaged ({problem}); the language server will "
                "move it aside and start a fresh one the next time it starts."
            )
        return cls(conn, path)

    @staticmethod
    def _connect(path: Path, busy_timeout_s: float) -> sqlite3.Connection:
        conn = sqlite3.connect(
            path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False
        )
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            # FULL: a snapshot must be on disk before the file it protects is rewritten.
            conn.execute("PRAGMA synchronous = FULL")
        except sqlite3.DatabaseError:
            pass  # a damaged file: the integrity check will say so
        return conn

    @classmethod
    def _recover(
        cls,
        path: Path,
        problem: str,
        busy_timeout_s: float,
        on_recovery: Callable[[RecoveryError], None] | None,
    ) -> sqlite3.Connection:
        try:
            aside = _move_aside(path, time.time_ns() // 1_000_000)
            _ensure_private_file(path)
            conn = cls._connect(path, busy_timeout_s)
        except (OSError, sqlite3.Error) as exc:
            raise PersistenceError(
                f"The context store {path} is damaged ({problem}) and could not be replaced: {exc}."
            ) from exc
        error = RecoveryError(
            f"The context store {path} was damaged ({problem}); it was moved to {aside} "
            "and a fresh, empty store was created.",
            moved_to=aside,
        )
        log.warning("%s", error)
        if on_recovery is not None:
            on_recovery(error)
        return conn

    @contextlib.contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """The connection, for reads, under the lock."""
        with self._lock:
            self._check_open()
            yield self._conn

    def fetch_all(self, sql: str, params: Sequence[Any] = (), *, action: str) -> list[Any]:
        """The rows of a query; a database error becomes a ContextError saying what failed
        (`action`: what was being done, e.g. "read the audit trail")."""
        try:
            with self.read() as conn:
                return conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise sqlite_error_to_context_error(exc, action) from exc

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: committed when the block ends, rolled back when it raises."""
        with self._lock:
            self._check_open()
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    self._conn.execute("ROLLBACK")
                raise

    def _check_open(self) -> None:
        if self._closed:
            raise NotInitialized(f"The context store {self.path} is closed.")

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._conn.close()
