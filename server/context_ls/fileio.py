"""Crash-safe file writes.

A repair rewrites a user's only copy of a session history; a kill -9 or a power cut in the
middle must leave either the old bytes or the new bytes on disk, never a torn mix. The
classic recipe: write a temporary file in the same folder (same filesystem, so the rename
is atomic), fsync it, rename it over the original, then fsync the folder so the rename
itself is durable.

A rename also cuts off any process that still has the old file open: what it appends goes
to the replaced inode. So a write can be told what the file was when it was read
(`expected`): it is refused if the file changed before the rename, and what other
processes append to the old file up to the rename, or while they still hold it after, is
carried to the end of the new one. On Linux the new file is held under a write lease
meanwhile: a writer that opens it by name waits until the carried lines are in, so its
own next line lands after them, in order.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from context_ls.writers import Fingerprint, Writer

__all__ = ["FileChangedError", "Replaced", "atomic_write", "read_bytes"]

# How long a checked write waits for processes that still hold the replaced file open to
# let go, carrying over what they append meanwhile.
DRAIN_SECONDS = 0.5
DRAIN_PAUSE = 0.002
# Linux file leases (fcntl F_SETLEASE): the kernel tells at once whether anyone holds a
# file open for writing, and makes openers of a leased file wait.
LEASES = sys.platform.startswith("linux")


class Replaced(NamedTuple):
    """What a checked write saw after the rename."""

    carried: int  # bytes other processes appended to the old file, now at the end
    still_writing: list[Writer]  # processes still holding the old file after the drain


_DEFAULT_MODE = 0o644


class FileChangedError(Exception):
    """The file is no longer what was read: nothing was written."""


def read_bytes(path: Path | str) -> bytes:
    """The exact bytes of a file (no decoding, no newline translation)."""
    return Path(path).read_bytes()


def _mode_to_keep(path: Path) -> int:
    """The original file's permission bits, or a umask-respecting default for a new file."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return _DEFAULT_MODE & ~umask


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable; some platforms cannot open a folder, which is fine there."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(
    path: Path | str,
    data: bytes,
    *,
    expected: Fingerprint | None = None,
    keep_appended: bool = False,
) -> Replaced:
    """Replace `path` with `data` so that readers (and crashes) see old or new, never a mix.

    Keeps the original file's mode. Symlinks are followed: the link's target is replaced,
    the link stays a link.

    With `expected` (what the file was when read), raises `FileChangedError`, the file
    untouched, when it is no longer that; `keep_appended`: bytes appended since are no
    reason to refuse. Whatever other processes append to the old file up to the rename,
    and while they still hold it open after it (a writer that opened it just before),
    is carried to the end of the new file; processes that still hold it after
    `DRAIN_SECONDS` are returned, as what they write later is lost.
    """
    target = Path(os.path.realpath(path))
    folder = target.parent
    mode = _mode_to_keep(target)
    if expected is None:
        _replace(folder, target, data, mode)
        _fsync_folder(folder)
        return Replaced(0, [])
    # The old inode stays reachable through this descriptor after the rename.
    old = _open_old(target)
    try:
        replaced = _replace_checked(folder, target, data, mode, expected, keep_appended, old)
    finally:
        if old is not None:
            os.close(old)
    _fsync_folder(folder)
    return replaced


def _replace(folder: Path, target: Path, data: bytes, mode: int) -> None:
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise


def _replace_checked(
    folder: Path,
    target: Path,
    data: bytes,
    mode: int,
    expected: Fingerprint,
    keep_appended: bool,
    old: int | None,
) -> Replaced:
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    renamed = False
    try:
        _write_all(fd, data)
        os.fsync(fd)
        os.chmod(tmp_name, mode)
        with _leased(fd) as leased:
            reason = expected.changed(target)
            if reason is not None and not (keep_appended and expected.appended(target) is not None):
                raise FileChangedError(reason)
            os.replace(tmp_name, target)
            renamed = True
            if old is None:
                return Replaced(0, [])
            # Leased, nobody else can have opened the new file yet: append through `fd`.
            replaced = _drain(old, expected.size, target, fd if leased else None)
            os.fsync(fd)
            return replaced
    except BaseException:
        if not renamed:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
        raise
    finally:
        os.close(fd)


@contextlib.contextmanager
def _leased(fd: int) -> Iterator[bool]:
    """Hold a write lease on the new file (`fd`, its only descriptor): from the rename on,
    a process that opens it waits until the lease is let go (the kernel signals SIGIO,
    which is caught meanwhile). Yields whether the lease is held; only the main thread
    may catch signals, and only Linux has leases."""
    if not LEASES or threading.current_thread() is not threading.main_thread():
        yield False
        return
    import fcntl

    previous = signal.signal(signal.SIGIO, lambda signum, frame: None)
    try:
        try:
            fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_WRLCK)
        except OSError:  # not the owner, a filesystem without leases, leases disabled
            yield False
            return
        try:
            yield True
        finally:
            with contextlib.suppress(OSError):
                fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_UNLCK)
    finally:
        signal.signal(signal.SIGIO, previous)


def _open_old(target: Path) -> int | None:
    try:
        return os.open(target, os.O_RDONLY)
    except OSError:
        return None


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _held_for_writing(old: int, name: str) -> list[Writer] | bool | None:
    """Whether another process holds the old file open for writing: a read lease can be
    taken (and is let go at once) only when nobody does; else the /proc scan names them.
    None where neither can tell."""
    from context_ls.writers import inode_writers

    if LEASES and threading.current_thread() is threading.main_thread():
        import fcntl

        try:
            fcntl.fcntl(old, fcntl.F_SETLEASE, fcntl.F_RDLCK)
        except BlockingIOError:
            return True  # held: named by a scan once the drain gives up
        except OSError:
            pass  # not the owner, no leases here: ask /proc
        else:
            fcntl.fcntl(old, fcntl.F_SETLEASE, fcntl.F_UNLCK)
            return False
    return inode_writers(old, name)


def _drain(old: int, size: int, target: Path, new: int | None) -> Replaced:
    """Carry what was appended to the old file past `size` to the new one, until no
    other process holds the old file for writing, twice in a row (or `DRAIN_SECONDS`
    passed). `new`: the new file's descriptor when nobody else can write it (leased).

    A writer that opens the file by name from the rename on gets the new file; one that
    opened it just before still writes to the old one, and its lines follow as long as it
    holds it."""
    from context_ls.writers import Writer, inode_writers

    carried = _carry_tail(old, size, target, new)
    deadline = time.monotonic() + DRAIN_SECONDS
    quiet = 0
    while True:
        held = _held_for_writing(old, target.name)
        carried += _carry_tail(old, size + carried, target, new)  # what came before the look
        quiet = 0 if held else quiet + 1
        if quiet >= 2 or (held is None and quiet):
            return Replaced(carried, [])
        if time.monotonic() > deadline:
            if held is True:
                named = inode_writers(old, target.name)
                held = named or [Writer(None, "another process", "has it open for writing")]
            return Replaced(carried, held if isinstance(held, list) else [])
        time.sleep(DRAIN_PAUSE)


def _carry_tail(old: int, size: int, target: Path, new: int | None = None) -> int:
    """Append to the new file (`new`, else `target` opened for appending) what was
    written to the old file (`old`) past `size`."""
    if os.fstat(old).st_size <= size:
        return 0
    os.lseek(old, size, os.SEEK_SET)
    chunks = []
    while chunk := os.read(old, 1 << 20):
        chunks.append(chunk)
    tail = b"".join(chunks)
    if not tail:
        return 0
    if new is not None:
        os.lseek(new, 0, os.SEEK_END)
        _write_all(new, tail)
        return len(tail)
    fd = os.open(target, os.O_WRONLY | os.O_APPEND)
    try:
        _write_all(fd, tail)
        os.fsync(fd)
    finally:
        os.close(fd)
    return len(tail)
