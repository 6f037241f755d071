"""Returning freed memory to the system (glibc keeps big freed buffers in its heap)."""

from __future__ import annotations

import ctypes
import sys
from typing import Any


def _malloc_trim() -> Any:
    """glibc's `malloc_trim`; None on other C libraries (nothing to do there)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


_MALLOC_TRIM = _malloc_trim()


def release_free_memory() -> None:
    """Give the heap's free pages back to the system. A big document's buffers (a didOpen
    body, the text of each version) are freed into glibc's heap, which keeps them in RSS;
    while edits come in, that keeps the next version's buffer warm (no page faults for a
    25 MB copy), so the server trims only once the document has been quiet a moment."""
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)
