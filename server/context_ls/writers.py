"""Who else is writing a file, and whether it changed since it was read.

A repair replaces a history (temp file + rename). A process that keeps the old file open
writes every later line into the replaced inode, where nobody reads it again: Codex keeps
its rollout open for appending while a thread runs, so a repair behind its back loses the
rest of the session silently. Before replacing a file the repair asks:

- `live_writers`: which other processes hold it open for writing (Linux: one pass over
  `/proc/*/fd`; elsewhere `lsof` when installed), and, for a Codex rollout, whether a
  process holds Codex's per-thread writer lock (`thread-writer-locks/<thread id>.lock`,
  an exclusive `flock` the Codex process keeps for the thread's lifetime; the file itself
  outlives a killed process, so only a held lock counts).
- `Fingerprint` (`fingerprint.py`): whether the repaired bytes are still those on disk.

Pure: no pygls, no asyncio; the language server calls it from a worker thread. Every probe
degrades to "no writer seen" where the platform cannot tell (a process of another user
whose `/proc/PID/fd` is unreadable is skipped, not an error).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from context_ls.codex_locks import (
    codex_homes,
    codex_lock_paths,
    codex_thread_ids,
    homes_by_folder,
    lock_held_elsewhere,
    lock_holder_pids,
)
from context_ls.fingerprint import Fingerprint, read_with_fingerprint

__all__ = [
    "Fingerprint",
    "Writer",
    "codex_homes",
    "codex_lock_paths",
    "codex_thread_ids",
    "describe_writers",
    "homes_by_folder",
    "inode_writers",
    "live_writers",
    "live_writers_many",
    "open_writers",
    "open_writers_many",
    "read_with_fingerprint",
    "stop_advice",
]

PROC = "/proc"
LOCK_HOW = "holds Codex's writer lock for this thread"
LSOF_TIMEOUT = 5.0  # seconds: a hung lsof (NFS) must not hang a repair

_ACCESS_MODE = 0o3  # O_ACCMODE
_O_APPEND = 0o2000  # Linux's value, as /proc/PID/fdinfo prints it (octal)


@dataclass(frozen=True, slots=True)
class Writer:
    """A process that may write the file: `how` says why it counts
    ("has it open for appending", "holds Codex's writer lock for this thread", …)."""

    pid: int | None
    command: str
    how: str

    @property
    def name(self) -> str:
        """`codex (pid 1234)`, or just the command when the pid is unknown."""
        return self.command if self.pid is None else f"{self.command} (pid {self.pid})"


_PRODUCTS = (("codex", "Codex"), ("claude", "Claude Code"))


def stop_advice(writers: Iterable[Writer]) -> str:
    """What to do before repairing: `quit Codex (pid 1234, codex)`, one clause per process."""
    seen: dict[tuple[int | None, str], bool] = {}
    for writer in writers:
        key = (writer.pid, writer.command)
        seen[key] = seen.get(key, False) or writer.how == LOCK_HOW
    parts = []
    for (pid, command), codex_lock in seen.items():
        product = "Codex" if codex_lock else None
        for needle, name in _PRODUCTS:
            if product is None and needle in command.lower():
                product = name
        if product is None:
            parts.append(f"stop {Writer(pid, command, '').name}")
        elif pid is None:
            parts.append(f"quit {product}")
        else:
            parts.append(f"quit {product} (pid {pid}, {command})")
    return " and ".join(parts)


def describe_writers(writers: Iterable[Writer], it: str = "it") -> str:
    """One clause naming every writer: `codex (pid 1234) has it open for appending`
    (`it`: what to call the file)."""
    seen: dict[tuple[int | None, str], list[str]] = {}
    for writer in writers:
        hows = seen.setdefault((writer.pid, writer.command), [])
        if writer.how not in hows:
            hows.append(writer.how)
    parts = [
        f"{Writer(pid, command, '').name} {' and '.join(hows).replace(' it ', f' {it} ')}"
        for (pid, command), hows in seen.items()
    ]
    return "; ".join(parts)


# processes ----------------------------------------------------------------------------


def _command(pid: int) -> str:
    """The process's name (`comm`), else the program of its command line, else `?`."""
    try:
        with open(f"{PROC}/{pid}/comm", "rb") as handle:
            name = handle.read().strip().decode("utf-8", "replace")
        if name:
            return name
    except OSError:
        pass
    try:
        with open(f"{PROC}/{pid}/cmdline", "rb") as handle:
            argv0 = handle.read().split(b"\0", 1)[0].decode("utf-8", "replace")
        if argv0:
            return os.path.basename(argv0)
    except OSError:
        pass
    return "?"


def _fd_flags(pid: int, fd: str) -> int | None:
    """The open flags of one descriptor (`flags:` of /proc/PID/fdinfo/FD, octal)."""
    try:
        with open(f"{PROC}/{pid}/fdinfo/{fd}", "rb") as handle:
            for line in handle:
                if line.startswith(b"flags:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        return None
    return None


def _pids() -> Iterator[int]:
    own = os.getpid()
    try:
        names = os.listdir(PROC)
    except OSError:
        return
    for name in names:
        if name.isdigit() and int(name) != own:
            yield int(name)


def _identity(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _scan_proc(targets: dict[tuple[int, int], str]) -> dict[tuple[int, int], list[tuple[int, int]]]:
    """One pass over /proc/*/fd: (pid, flags) of every descriptor open on a target file.

    A link's base name is compared first (one string test per descriptor), then the
    descriptor is stat'ed to compare device and inode, so a path seen through another
    mount namespace still matches. Processes that vanish or are not ours to read are
    skipped. The cost is one readlink per open descriptor on the machine (~2-3 µs each:
    tens of milliseconds on a desktop with tens of thousands), so callers scan once per
    write, not per line."""
    names = set(targets.values())
    found: dict[tuple[int, int], list[tuple[int, int]]] = {}
    readlink = os.readlink
    for pid in _pids():
        folder = f"{PROC}/{pid}/fd"
        try:
            # Links are read relative to the folder's descriptor: no path walk per link.
            dir_fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        except OSError:  # gone, or another user's process
            continue
        try:
            try:
                fds = os.listdir(dir_fd)
            except OSError:
                continue
            for fd in fds:
                try:
                    target = readlink(fd, dir_fd=dir_fd)
                except OSError:
                    continue
                name = target[target.rfind("/") + 1 :].removesuffix(" (deleted)")
                if name not in names:
                    continue
                key = _identity(f"{folder}/{fd}")
                if key is None or key not in targets:
                    continue
                flags = _fd_flags(pid, fd)
                found.setdefault(key, []).append((pid, 0 if flags is None else flags))
        finally:
            os.close(dir_fd)
    return found


def _scan_lsof(paths: list[str]) -> dict[str, list[tuple[int, int, str]]] | None:
    """Without /proc: (pid, open flags, command) per path from `lsof -F`; None when lsof
    is missing or fails. lsof gives the access mode only (no append flag)."""
    lsof = shutil.which("lsof")
    if lsof is None or not paths:
        return None
    try:
        done = subprocess.run(
            [lsof, "-w", "-F", "pcan", "--", *paths],
            capture_output=True,
            timeout=LSOF_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    modes = {"r": os.O_RDONLY, "w": os.O_WRONLY, "u": os.O_RDWR}
    found: dict[str, list[tuple[int, int, str]]] = {}
    pid, command, flags = 0, "?", os.O_RDONLY
    own = os.getpid()
    for raw in done.stdout.decode("utf-8", "replace").splitlines():
        tag, value = raw[:1], raw[1:]
        if tag == "p":
            pid, command = int(value) if value.isdigit() else 0, "?"
        elif tag == "c":
            command = value
        elif tag == "f":
            flags = os.O_RDONLY
        elif tag == "a":
            flags = modes.get(value.strip(), os.O_RDONLY)
        elif tag == "n" and pid not in (0, own):
            found.setdefault(value, []).append((pid, flags, command))
    return found


def _real_name(path: str) -> str:
    """The base name of where `path` really leads: its own unless it is a link (resolving
    every folder on the way for each of thousands of files cost ~20 system calls each)."""
    name = os.path.basename(path)
    if name in ("", ".", "..") or os.path.islink(path):
        return os.path.basename(os.path.realpath(path))
    return name


def _openers(paths: list[str]) -> dict[str, list[tuple[int, int, str]]]:
    """(pid, open flags, command) of every other process holding each path open, in any
    mode, with one scan for all paths. Keys are the paths as given."""
    result: dict[str, list[tuple[int, int, str]]] = {p: [] for p in paths}
    identities = {p: _identity(p) for p in paths}
    targets = {key: _real_name(p) for p, key in identities.items() if key}
    if not targets:
        return result
    if os.path.isdir(f"{PROC}/self/fd"):
        found = _scan_proc(targets)
        commands: dict[int, str] = {}
        for path, key in identities.items():
            for pid, flags in found.get(key, []) if key else []:
                if pid not in commands:
                    commands[pid] = _command(pid)
                result[path].append((pid, flags, commands[pid]))
        return result
    listed = _scan_lsof(sorted({os.path.realpath(p) for p in paths}))
    for path in paths:
        result[path] = list((listed or {}).get(os.path.realpath(path), []))
    return result


def _how(flags: int) -> str | None:
    mode = flags & _ACCESS_MODE
    if mode not in (os.O_WRONLY, os.O_RDWR):
        return None
    return "has it open for appending" if flags & _O_APPEND else "has it open for writing"


def _writers(openers: list[tuple[int, int, str]]) -> list[Writer]:
    writers = []
    for pid, flags, command in openers:
        how = _how(flags)
        if how is not None:
            writers.append(Writer(pid, command, how))
    return writers


def open_writers_many(paths: Iterable[str | Path]) -> dict[str, list[Writer]]:
    """Processes other than this one that hold each file open for writing, one scan for
    all of them. Keys are the paths as given; a file nobody writes maps to []."""
    openers = _openers([str(p) for p in paths])
    return {path: _writers(found) for path, found in openers.items()}


def inode_writers(fd: int, name: str) -> list[Writer] | None:
    """Other processes that hold the file open on our descriptor `fd` for writing, found
    by inode: also once it has been renamed over or deleted (`name` is its base name
    then). None where there is no /proc to ask."""
    if not os.path.isdir(f"{PROC}/self/fd"):
        return None
    st = os.fstat(fd)
    key = (st.st_dev, st.st_ino)
    found = _scan_proc({key: name}).get(key, [])
    return _writers([(pid, flags, _command(pid)) for pid, flags in found])


def open_writers(path: str | Path) -> list[Writer]:
    """Processes other than this one that hold `path` open for writing or appending."""
    return open_writers_many([path])[str(path)]


# Codex's per-thread writer lock: who holds it (where it is, and whether: `codex_locks`) -


def live_writers_many(
    paths: Iterable[str | Path], heads: dict[str, bytes] | None = None
) -> dict[str, list[Writer]]:
    """`open_writers` and Codex's writer lock for each path, with one scan of the
    processes for all of them. `heads`: the first bytes of each file, where the caller
    has them (the rollout's `session_meta` names its thread)."""
    wanted = [str(p) for p in paths]
    heads = heads or {}
    homes = homes_by_folder()
    locks = {p: codex_lock_paths(p, heads.get(p), homes) for p in wanted}
    lock_files = sorted({lock for found in locks.values() for lock in found})
    openers = _openers([*wanted, *lock_files])
    result = {p: _writers(openers[p]) for p in wanted}
    for path, found in locks.items():
        for lock in found:
            result[path] += [
                Writer(pid, command, LOCK_HOW)
                for pid, command in _lock_holders(lock, openers[lock])
            ]
    return result


def _lock_holders(lock: str, openers: list[tuple[int, int, str]]) -> list[tuple[int | None, str]]:
    """Who holds the lock: the processes that have the lock file open, once /proc/locks
    (or flock itself) says somebody holds it. A lock file nobody holds is the leftover of
    a killed Codex."""
    key = _identity(lock)
    if key is None:
        return []
    own = os.getpid()
    pids = lock_holder_pids(key, PROC)
    everyone: list[tuple[int | None, str]] = [(pid, command) for pid, _, command in openers]
    if pids is None:  # no /proc/locks: ask flock itself
        if not lock_held_elsewhere(lock):
            return []
        return everyone or [(None, "codex")]
    pids = [pid for pid in pids if pid != own]
    if not pids:
        return []
    holding: list[tuple[int | None, str]] = [(p, c) for p, c in everyone if p in pids]
    if holding or everyone:  # pids differ when the holder runs in another pid namespace
        return holding or everyone
    unseen: list[tuple[int | None, str]] = [
        (pid, _command(pid)) if pid > 0 else (None, "codex") for pid in pids
    ]
    return unseen


def live_writers(path: str | Path, head: bytes | None = None) -> list[Writer]:
    """Processes that would lose lines if `path` were replaced now (see the module)."""
    key = str(path)
    return live_writers_many([key], {key: head} if head is not None else None)[key]
