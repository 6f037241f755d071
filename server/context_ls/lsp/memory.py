"""Returning freed memory to the system (glibc keeps big freed buffers in its heap)."""

from __future__ import annotations

import ctypes
import linecache
import sys
from typing import Any

M_ARENA_MAX = -8  # glibc's mallopt parameter


def _glibc(name: str) -> Any:
    """A glibc function; None on other C libraries (nothing to do there)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return getattr(ctypes.CDLL("libc.so.6"), name)
    except (OSError, AttributeError):
        return None


_MALLOC_TRIM = _glibc("malloc_trim")
_MALLOPT = _glibc("mallopt")


def share_one_heap() -> None:
    """Let every thread allocate from the main heap. glibc gives each thread a heap of its
    own, and `malloc_trim` never returns the free top of those: the 25 MB a worker thread
    freed after reading or analysing a big document stayed in RSS for good. Call before
    the first thread starts. (The GIL serialises most allocations anyway.)"""
    if _MALLOPT is not None:
        _MALLOPT(M_ARENA_MAX, 1)


def import_asyncio_without_openssl() -> None:
    """asyncio imports `ssl` for TLS, and with it `_ssl`, libssl and libcrypto: ~4 MB of
    RSS the server never uses (it speaks stdio or plain TCP). asyncio is written to work
    where Python has no ssl, so it is imported while `ssl` is marked missing; a later
    `import ssl` gets the real module. (The file watcher keeps clear of anyio, whose
    asyncio backend would import it: see `features/watching.py`.)"""
    if "asyncio" in sys.modules or "ssl" in sys.modules:
        return
    sys.modules["ssl"] = None  # type: ignore[assignment]
    try:
        import asyncio  # noqa: F401
    finally:
        del sys.modules["ssl"]


GENERATED_SOURCES = ("<attrs generated", "<cattrs generated")


def forget_generated_sources() -> None:
    """attrs and cattrs file the source of every method they write in `linecache`, where
    only a traceback through that method would read it: lsprotocol's ~1,000 classes
    leave ~1.8 MB of lines there. The methods work the same without them."""
    for name in [name for name in linecache.cache if name.startswith(GENERATED_SOURCES)]:
        del linecache.cache[name]


def release_free_memory() -> None:
    """Give the heap's free pages back to the system. A big document's buffers (a didOpen
    body, the text of each version) are freed into glibc's heap, which keeps them in RSS;
    while edits come in, that keeps the next version's buffer warm (no page faults for a
    25 MB copy), so the server trims only once the document has been quiet a moment."""
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)
