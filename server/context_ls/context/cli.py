"""`context-ls context show`: the three contexts as the store holds them.

Reads without writing: no store is created, and a damaged one is reported, not moved
(the language server does the recovery when it starts).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from context_ls.context.database import Database
from context_ls.context.model import ContextKind, ContextState
from context_ls.context.paths import state_dir as resolve_state_dir
from context_ls.context.service import state_as_json
from context_ls.context.stores import SqliteContextStore

__all__ = ["show_context"]


def show_context(state_dir: Path | None = None) -> dict[str, Any]:
    """{"workspace"|"user"|"tool": {"version", "last_updated", "data"}, "active": None,
    "store": path}; empty states (version 0) when nothing was stored yet."""
    folder = resolve_state_dir(state_dir, create=False)
    database = Database.open_read_only(folder)
    stored: dict[str, tuple[ContextKind, ContextState]] = {}
    if database is not None:
        store = SqliteContextStore(database)
        try:
            stored = store.contexts()
        finally:
            store.close()
    shown: dict[str, Any] = {
        kind.value: state_as_json(stored.get(kind.value, (kind, ContextState.initial()))[1])
        for kind in ContextKind
    }
    shown["active"] = None  # the active editor lives in the running server only
    shown["store"] = str(folder / "context-ls.sqlite3")
    return shown
