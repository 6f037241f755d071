"""Histories stored compressed. Codex zstd-compresses cold rollouts (`rollout-….jsonl.zst`)
and reads either form; when it appends to one again it first turns it back into a plain
`.jsonl` beside it, and a plain file wins over a compressed one of the same name.

Whether a file is compressed is told by its first bytes (the zstd magic number), never by
its name alone: a `.zst` file holding plain JSON is read as it is, and written back plain.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
SUFFIX = ".zst"
# Codex's level; any level reads back the same bytes.
LEVEL = 3
_CHUNK = 1 << 20


class CompressionError(OSError):
    """A compressed file that cannot be read or written back: `strerror` says why,
    `filename` which file (what the CLI prints for any file it cannot read)."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(errno.EIO, reason, str(path))


def _zstd() -> ModuleType:
    """zstandard, imported on first use (~10 ms the server need not pay at start)."""
    import zstandard

    return zstandard


def is_zstd(head: bytes) -> bool:
    return head.startswith(ZSTD_MAGIC)


def is_compressed_file(path: Path) -> bool:
    """Whether the file on disk starts with a zstd frame."""
    with path.open("rb") as handle:
        return is_zstd(handle.read(len(ZSTD_MAGIC)))


def plain_name(path: Path) -> Path:
    """`x.jsonl.zst` -> `x.jsonl` (the name its content is known by)."""
    return path.with_name(path.name[: -len(SUFFIX)]) if path.name.endswith(SUFFIX) else path


def decompress_if_needed(path: Path, raw: bytes) -> bytes:
    """The content of a file whose bytes are `raw`: decompressed when they are zstd."""
    if not is_zstd(raw):
        return raw
    view = memoryview(raw)
    pieces = _decompressed(path, (view[at : at + _CHUNK] for at in range(0, len(raw), _CHUNK)))
    return b"".join(pieces)


def chunks(path: Path) -> Iterator[bytes]:
    """The decompressed content of a compressed file, a chunk at a time (a rollout may
    decompress to gigabytes)."""
    with path.open("rb") as handle:
        yield from _decompressed(path, iter(lambda: handle.read(_CHUNK), b""))


def _decompressed(path: Path, pieces: Iterator[bytes | memoryview]) -> Iterator[bytes]:
    """Decompress frame after frame. A file cut short (a frame without its end) is an
    error: read as far as it goes, it would look like a shorter, healthy history, and a
    repair written back would lose the rest for good."""
    zstandard = _zstd()
    context = zstandard.ZstdDecompressor()
    frame = context.decompressobj()
    in_frame = False
    try:
        for piece in pieces:
            data = bytes(piece)
            while data:
                in_frame = True
                out = frame.decompress(data)
                if out:
                    yield out
                if not frame.eof:
                    break
                data, frame, in_frame = frame.unused_data, context.decompressobj(), False
    except zstandard.ZstdError as error:
        raise CompressionError(path, f"not a readable zstd file ({error})") from error
    if in_frame:
        raise CompressionError(path, "the compressed file is cut short (its last frame ends early)")


def compress_like(path: Path, data: bytes) -> bytes:
    """`data` in the form the file at `path` has on disk: zstd-compressed again when it is
    compressed (or, for a file that does not exist yet, when its name ends in `.zst`),
    unchanged otherwise. The result is checked to decompress to `data` exactly."""
    try:
        compressed = is_compressed_file(path)
    except FileNotFoundError:
        compressed = path.name.endswith(SUFFIX)
    if not compressed:
        return data
    zstandard = _zstd()
    try:
        out = zstandard.ZstdCompressor(level=LEVEL, write_checksum=True).compress(data)
    except zstandard.ZstdError as error:
        raise CompressionError(path, f"cannot compress the repaired content ({error})") from error
    if decompress_if_needed(path, out) != data:
        raise CompressionError(path, "the compressed content does not read back; not written")
    return out


def write_refusal(path: Path) -> str | None:
    """Why a repaired compressed rollout should not be written back, or None. Codex reads
    a plain `x.jsonl` in preference to `x.jsonl.zst` (it is the copy it appends to), so a
    repair of the compressed one would change nothing Codex reads."""
    if not path.name.endswith(SUFFIX):
        return None
    plain = plain_name(path)
    if plain.exists():
        return (
            f"{path}: Codex reads {plain.name} beside it instead (the plain copy it appends "
            "to); repair that file"
        )
    return None


def read_content(path: Path) -> bytes:
    """A file's content, decompressed when it is zstd."""
    return decompress_if_needed(path, path.read_bytes())
