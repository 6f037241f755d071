"""Short, unique, time-sortable ids for snapshots (easy to type in a CLI, sort by age)."""

from __future__ import annotations

import os
import time

__all__ = ["new_id", "now_ms"]


def now_ms() -> int:
    """The production clock: milliseconds since the epoch."""
    return time.time_ns() // 1_000_000


def new_id(timestamp_ms: int) -> str:
    """11 hex digits of milliseconds (sortable until the year 2527) + 6 random hex digits."""
    return f"{timestamp_ms:011x}{os.urandom(3).hex()}"
