"""A progress bar on stderr, only for big batches on a terminal."""

from __future__ import annotations

from typing import TextIO

MIN_FILES = 20


class Progress:
    def __init__(self, total: int, stream: TextIO) -> None:
        self.total = total
        self.stream = stream
        self.done_count = 0
        self.enabled = total >= MIN_FILES and stream.isatty()

    def step(self, label: str) -> None:
        self.done_count += 1
        if not self.enabled:
            return
        width = 30
        filled = width * self.done_count // self.total
        bar = "█" * filled + "·" * (width - filled)
        self.stream.write(f"\r{bar} {self.done_count}/{self.total} {label[-40:]:<40}")
        self.stream.flush()

    def done(self) -> None:
        if self.enabled:
            self.stream.write("\r" + " " * 80 + "\r")
            self.stream.flush()
