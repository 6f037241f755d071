"""Whether a file is still the file that was read: size, mtime, inode and a hash of its
bytes. A repair made from some bytes may only replace those very bytes (see `writers`)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Fingerprint", "read_with_fingerprint"]


def _digest(data: bytes) -> bytes:
    # Imported here: hashlib loads OpenSSL, which the language server never needs.
    from hashlib import blake2b

    return blake2b(data, digest_size=16).digest()


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What a file was when it was read: enough to tell that it has not changed since."""

    size: int
    mtime_ns: int
    dev: int
    ino: int
    digest: bytes

    def changed(self, path: str | Path, *, content: bool = True) -> str | None:
        """Why `path` is no longer the file that was read, or None when it still is.
        `content=False` compares only what `stat` says (no read)."""
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return "it was deleted"
        except OSError as error:
            return f"it cannot be read any more ({error.strerror or error})"
        if (st.st_dev, st.st_ino) != (self.dev, self.ino):
            return "it was replaced by another file"
        if st.st_size != self.size:
            grew = st.st_size - self.size
            if grew > 0:
                return f"it grew by {grew} bytes"
            return f"it shrank by {-grew} bytes"
        if st.st_mtime_ns != self.mtime_ns:
            return "it was modified"
        if content:
            try:
                data = Path(path).read_bytes()
            except OSError as error:
                return f"it cannot be read any more ({error.strerror or error})"
            if len(data) != self.size or _digest(data) != self.digest:
                return "its content changed"
        return None

    def appended(self, path: str | Path) -> bytes | None:
        """The bytes added at the end of `path` since it was read, when that is the only
        change (same file, same first `size` bytes); None otherwise."""
        try:
            with open(path, "rb") as handle:
                st = os.fstat(handle.fileno())
                if (st.st_dev, st.st_ino) != (self.dev, self.ino) or st.st_size < self.size:
                    return None
                head = handle.read(self.size)
                tail = handle.read()
        except OSError:
            return None
        if len(head) != self.size or _digest(head) != self.digest:
            return None
        return tail


def read_with_fingerprint(path: str | Path) -> tuple[bytes, Fingerprint]:
    """The file's bytes, and its fingerprint. The stat is taken before the read, so a
    write during the read shows up as a change later (never the other way round)."""
    with open(path, "rb") as handle:
        st = os.fstat(handle.fileno())
        data = handle.read()
    return data, Fingerprint(len(data), st.st_mtime_ns, st.st_dev, st.st_ino, _digest(data))
