"""A progress bar on stderr, only for long work on a terminal: never in a pipe, a log, CI
(`CI` set) or a dumb terminal, where it would be noise in what is read later."""

from __future__ import annotations

import os
import time
from typing import TextIO

MIN_FILES = 20
MIN_BYTES = 64 << 20  # one big data set is long work too
INTERVAL = 0.1  # seconds between redraws


def shows_progress(stream: TextIO) -> bool:
    if os.environ.get("CI") or os.environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream
        return False


class Progress:
    """Files done and bytes read, redrawn on one line at most every `INTERVAL`."""

    def __init__(self, files: int, stream: TextIO, total_bytes: int = 0) -> None:
        self.files = files
        self.total_bytes = max(total_bytes, 1)
        self.stream = stream
        self.files_done = 0
        self.bytes_done = 0
        self.drawn = 0.0
        big = files >= MIN_FILES or total_bytes >= MIN_BYTES
        self.enabled = big and shows_progress(stream)

    def step(self, label: str, size: int = 0, file_done: bool = True) -> None:
        self.bytes_done += size
        self.files_done += file_done
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.drawn < INTERVAL and self.files_done < self.files:
            return
        self.drawn = now
        width = 30
        filled = min(width, width * self.bytes_done // self.total_bytes)
        bar = "█" * filled + "·" * (width - filled)
        megabytes = f"{self.bytes_done / 1e6:.0f}/{self.total_bytes / 1e6:.0f} MB"
        counts = f"{self.files_done}/{self.files} files {megabytes}"
        self.stream.write(f"\r{bar} {counts} {label[-30:]:<30}")
        self.stream.flush()

    def done(self) -> None:
        if self.enabled and self.drawn:
            self.stream.write("\r" + " " * 100 + "\r")
            self.stream.flush()
