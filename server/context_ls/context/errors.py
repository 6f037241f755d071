"""The errors of the context system: one base class the server and CLI catch, and the
eight cases of the context spec. Every message says what happened *and* what to do."""

from __future__ import annotations

from pathlib import Path

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


class ContextError(Exception):
    """Base of every context-system error; `str(error)` is meant for the user."""

    hint: str = ""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        if hint is not None:
            self.hint = hint
        super().__init__(f"{message} {self.hint}".strip() if self.hint else message)


class StateError(ContextError):
    """An operation that the current state does not allow."""

    hint = "Reload the context (pull) and try again."


class VersionConflict(StateError):
    """An update based on a version that is no longer current (optimistic concurrency)."""

    hint = "Read the current state, re-apply your change to it and update again."

    def __init__(self, message: str, *, expected: int, actual: int) -> None:
        self.expected = expected
        self.actual = actual
        super().__init__(message)


class PersistenceError(ContextError):
    """The store could not be read or written (read-only folder, disk full, locked)."""

    hint = (
        "Check that the state folder is writable and has free space, or point "
        "CONTEXT_LS_STATE_DIR at another folder."
    )


class RecoveryError(ContextError):
    """The store was damaged; it was moved aside and a fresh one was created."""

    hint = "Nothing was deleted: the damaged file was kept next to the new store for inspection."

    def __init__(self, message: str, *, moved_to: Path | None = None) -> None:
        self.moved_to = moved_to
        super().__init__(message)


class SnapshotNotFound(ContextError):
    """No snapshot with that id (or none at all) exists for a path."""

    hint = "Run `context-ls snapshots PATH` to list the snapshots that exist."


class InvalidState(ContextError):
    """A state whose data is malformed for its kind, too large, or goes back in version."""

    hint = "Fix the data (it must be a JSON object under the size limit) or restore a snapshot."


class SyncError(ContextError):
    """The store stayed busy or kept conflicting after the bounded retries."""

    hint = (
        "Another context-ls process may be holding the store; close it or retry. "
        "Local changes are kept in memory and will be pushed on the next sync."
    )


class NoValidSnapshot(ContextError):
    """Restoring was asked for, but no snapshot holds a valid state."""

    hint = "Reset the context (it starts empty again) or repair the store by hand."


class NotInitialized(ContextError):
    """The tracker or service was used before it was set up, or after it was closed."""

    hint = "Open the context service (ContextService.open / a tracker factory) before using it."


class AccessDenied(ContextError):
    """A path outside the workspace folders and session folders (`..`, a symlink out)."""

    hint = (
        "context-ls reads and writes only inside workspace folders and configured session "
        "folders; open the folder that holds the file, or add it to contextLs.sessionFolders."
    )
