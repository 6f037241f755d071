"""Where Codex keeps the writer lock of a rollout's thread: `thread-writer-locks/<thread
id>.lock` in its home. Codex holds an exclusive `flock` on it while a process writes the
thread (`writers` asks whether somebody holds it)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from context_ls.history.dialects import codex

__all__ = ["HEAD_BYTES", "LOCK_DIR", "codex_homes", "codex_lock_paths", "codex_thread_ids"]

LOCK_DIR = "thread-writer-locks"
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_THREAD_ID = re.compile(rf"\A{_UUID}\Z")
_ROLLOUT_NAME = re.compile(rf"\Arollout-.*-({_UUID})\.jsonl(?:\.zst)?\Z")


def codex_thread_ids(path: str | Path, head: bytes | None = None) -> list[str]:
    """The thread id of a Codex rollout: its `session_meta` payload `id` (from `head`, the
    file's first bytes; read from disk when not given), and the uuid ending its name
    (`rollout-<timestamp>-<uuid>.jsonl`). Codex names the file by the id, so both are the
    same unless someone renamed or edited it; then both are asked about. [] when it is not
    a rollout. An id becomes a path segment, so only uuid-shaped values are accepted."""
    ids: list[str] = []
    if head is None:
        head = _head(path)
    end = head.find(b"\n")
    meta = codex.session_meta(head if end < 0 else head[:end])
    thread = None if meta is None else meta.id
    if isinstance(thread, str) and _THREAD_ID.match(thread):
        ids.append(thread.lower())
    match = _ROLLOUT_NAME.match(os.path.basename(str(path)))
    if match and match.group(1).lower() not in ids:
        ids.append(match.group(1).lower())
    return ids


HEAD_BYTES = 65536  # a session_meta line with long base instructions still fits


def _head(path: str | Path) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read(HEAD_BYTES)
    except OSError:
        return b""


def codex_homes(path: str | Path) -> list[str]:
    """Where Codex may keep its locks for this rollout: the home the file sits in
    (`<home>/sessions/…` or `<home>/archived_sessions/…`), `$CODEX_HOME`, `~/.codex`."""
    homes: list[str] = []
    real = Path(os.path.realpath(path))
    for folder in real.parents:
        if folder.name in ("sessions", "archived_sessions"):
            homes.append(str(folder.parent))
            break
    env = os.environ.get("CODEX_HOME")
    if env:
        homes.append(os.path.expanduser(env))
    homes.append(os.path.expanduser("~/.codex"))
    unique: list[str] = []
    for home in homes:
        real_home = os.path.realpath(home)
        if real_home not in unique:
            unique.append(real_home)
    return unique


def codex_lock_paths(path: str | Path, head: bytes | None = None) -> list[str]:
    """The existing `thread-writer-locks/<thread id>.lock` files of a Codex rollout."""
    threads = codex_thread_ids(path, head)
    if not threads:
        return []
    found = []
    for home in codex_homes(path):
        for thread in threads:
            lock = os.path.join(home, LOCK_DIR, f"{thread}.lock")
            if os.path.isfile(lock) and lock not in found:
                found.append(lock)
    return found
