"""Crash-safe file writes.

A repair rewrites a user's only copy of a session history; a kill -9 or a power cut in the
middle must leave either the old bytes or the new bytes on disk, never a torn mix. The
classic recipe: write a temporary file in the same folder (same filesystem, so the rename
is atomic), fsync it, rename it over the original, then fsync the folder so the rename
itself is durable.

A rename also cuts off any process that still has the old file open: what it appends goes
to the replaced inode. So a write can be told what the file was when it was read
(`expected`): it is refused if the file changed before the rename, and bytes appended to
the old file in the instant between that check and the rename are carried to the end of
the new one.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from context_ls.writers import Fingerprint

__all__ = ["FileChangedError", "atomic_write", "read_bytes"]

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
) -> int:
    """Replace `path` with `data` so that readers (and crashes) see old or new, never a mix.

    Keeps the original file's mode. Symlinks are followed: the link's target is replaced,
    the link stays a link. With `expected`, raises `FileChangedError` (file untouched)
    when the file is no longer what was read, and returns how many bytes another process
    appended to the old file between that check and the rename (they are appended to the
    new file); 0 otherwise. `keep_appended`: bytes appended since `expected` are no reason
    to refuse; they are carried over the same way.
    """
    target = Path(os.path.realpath(path))
    folder = target.parent
    mode = _mode_to_keep(target)
    # The old inode stays reachable through this descriptor after the rename.
    old = _open_old(target) if expected is not None else None
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "wb") as tmp:
                tmp.write(data)
                tmp.flush()
                os.fsync(tmp.fileno())
            os.chmod(tmp_name, mode)
            if expected is not None:
                reason = expected.changed(target)
                if reason is not None and not (
                    keep_appended and expected.appended(target) is not None
                ):
                    raise FileChangedError(reason)
            os.replace(tmp_name, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
            raise
        # Straight after the rename, before anything slow: a writer that reopens the file
        # by name appends to the new file from now on, after what is carried here.
        carried = 0 if old is None or expected is None else _carry_tail(old, expected.size, target)
        _fsync_folder(folder)
        return carried
    finally:
        if old is not None:
            os.close(old)


def _open_old(target: Path) -> int | None:
    try:
        return os.open(target, os.O_RDONLY)
    except OSError:
        return None


def _carry_tail(old: int, size: int, target: Path) -> int:
    """Append to `target` what was written to the old file (`old`) past `size`."""
    if os.fstat(old).st_size <= size:
        return 0
    os.lseek(old, size, os.SEEK_SET)
    chunks = []
    while chunk := os.read(old, 1 << 20):
        chunks.append(chunk)
    tail = b"".join(chunks)
    if not tail:
        return 0
    fd = os.open(target, os.O_WRONLY | os.O_APPEND)
    try:
        view = memoryview(tail)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    return len(tail)
