"""The context system: what the editor, the user and the agent tools are doing, kept as
three small versioned states in one private SQLite store, plus file snapshots that make
every repair undoable.

Never imports pygls or lsprotocol: the CLI uses this package and must start fast. Import
the submodules you need (`context.snapshots`, `context.tracker`, `context.service`); only
the errors are re-exported here because every caller catches them.
"""

from context_ls.context.errors import (
    AccessDenied,
    ContextError,
    InvalidState,
    NotInitialized,
    NoValidSnapshot,
    PersistenceError,
    RecoveryError,
    SnapshotNotFound,
    StateError,
    SyncError,
    VersionConflict,
)

__all__ = [
    "AccessDenied",
    "ContextError",
    "InvalidState",
    "NoValidSnapshot",
    "NotInitialized",
    "PersistenceError",
    "RecoveryError",
    "SnapshotNotFound",
    "StateError",
    "SyncError",
    "VersionConflict",
]
