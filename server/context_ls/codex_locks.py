"""Where Codex keeps the writer lock of a rollout's thread: `thread-writer-locks/<thread
id>.lock` in its home. Codex holds an exclusive `flock` on it while a process writes the
thread; `lock_holder_pids` and `lock_held_elsewhere` tell whether somebody holds it (for
`writers`, which names the holders)."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable
from pathlib import Path

from context_ls.history.dialects import codex

__all__ = [
    "HEAD_BYTES",
    "LOCK_DIR",
    "codex_homes",
    "codex_lock_paths",
    "codex_thread_ids",
    "homes_by_folder",
    "lock_held_elsewhere",
    "lock_holder_pids",
]

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


def homes_by_folder() -> Callable[[str | Path], list[str]]:
    """`codex_homes` for many rollouts: resolving a path's links costs a system call per
    folder on the way, so a folder's homes are worked out once and serve every file in it
    that is no link itself (a link's homes are those of where it leads)."""
    seen: dict[str, list[str]] = {}

    def homes(path: str | Path) -> list[str]:
        path = os.fspath(path)
        folder, name = os.path.split(path)
        if name in ("", ".", "..") or os.path.islink(path):
            return codex_homes(path)
        if folder not in seen:
            seen[folder] = codex_homes(path)
        return seen[folder]

    return homes


def codex_lock_paths(
    path: str | Path,
    head: bytes | None = None,
    homes: Callable[[str | Path], list[str]] = codex_homes,
) -> list[str]:
    """The existing `thread-writer-locks/<thread id>.lock` files of a Codex rollout
    (`homes`: `codex_homes`, or one from `homes_by_folder` for many files)."""
    threads = codex_thread_ids(path, head)
    if not threads:
        return []
    found = []
    for home in homes(path):
        for thread in threads:
            lock = os.path.join(home, LOCK_DIR, f"{thread}.lock")
            if os.path.isfile(lock) and lock not in found:
                found.append(lock)
    return found


# is it held? -------------------------------------------------------------------------


def lock_holder_pids(key: tuple[int, int], proc: str = "/proc") -> list[int] | None:
    """Pids holding a lock on the inode `key` per /proc/locks ([] for none, -1 for an
    open-file-description lock); None when /proc/locks cannot be read."""
    try:
        with open(f"{proc}/locks", encoding="ascii", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return None
    dev, ino = key
    wanted = f"{os.major(dev):02x}:{os.minor(dev):02x}:{ino}"  # as the kernel prints it
    pids = []
    for line in lines:
        fields = line.split()
        # "1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF"; waiters start with "->".
        if len(fields) >= 6 and fields[1] != "->" and fields[5] == wanted:
            with contextlib.suppress(ValueError):
                pids.append(int(fields[4]))
    return pids


def lock_held_elsewhere(lock: str) -> bool:
    """Without /proc/locks: try a shared, non-blocking flock and let go at once. Codex
    holds an exclusive one, so failing means a live Codex thread."""
    try:
        import fcntl
    except ImportError:  # Windows: no flock; nothing more can be told
        return False
    try:
        fd = os.open(lock, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(fd)  # also releases the lock if it was taken
    return False
