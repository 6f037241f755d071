"""Crash-safe file writes.

A repair rewrites a user's only copy of a session history; a kill -9 or a power cut in the
middle must leave either the old bytes or the new bytes on disk, never a torn mix. The
classic recipe: write a temporary file in the same folder (same filesystem, so the rename
is atomic), fsync it, rename it over the original, then fsync the folder so the rename
itself is durable.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

__all__ = ["atomic_write", "read_bytes"]

_DEFAULT_MODE = 0o644


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


def atomic_write(path: Path | str, data: bytes) -> None:
    """Replace `path` with `data` so that readers (and crashes) see old or new, never a mix.

    Keeps the original file's mode. Symlinks are followed: the link's target is replaced,
    the link stays a link.
    """
    target = Path(os.path.realpath(path))
    folder = target.parent
    mode = _mode_to_keep(target)
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
    _fsync_folder(folder)
