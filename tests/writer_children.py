"""Child processes that hold a file the way a live agent does (open for appending, or
Codex's per-thread writer lock), shared by the writer tests of the library, the CLI and
the server, so all three see the same kind of writer."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

# Opens argv[1] with the flags named in argv[2], says "ready", then waits for stdin to close.
HOLDER = """
import os, sys
flags = {"append": os.O_WRONLY | os.O_APPEND, "write": os.O_WRONLY, "read": os.O_RDONLY,
         "rdwr": os.O_RDWR}[sys.argv[2]]
fd = os.open(sys.argv[1], flags)
print("ready", flush=True)
sys.stdin.read()
"""

# Takes an exclusive flock on argv[1] (as Codex does on its thread lock), then waits.
LOCKER = """
import fcntl, sys
handle = open(sys.argv[1], "rb")
fcntl.flock(handle, fcntl.LOCK_EX)
print("ready", flush=True)
sys.stdin.read()
"""


class Child:
    """Runs `code` with `args`; returns once the child says "ready" (it holds the file)."""

    def __init__(self, code: str, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", code, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.expect_ready()

    def expect_ready(self) -> None:
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "ready"

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def name(self) -> str:
        """The process name the scans report (Linux only)."""
        return Path(f"/proc/{self.pid}/comm").read_text().strip()

    def stop(self) -> None:
        """Closes its stdin: the child lets go of the file and exits."""
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            self.process.wait(timeout=10)


def reap(children: Iterable[Child]) -> None:
    """Kills the children still running (a fixture's teardown, whatever the test did)."""
    for child in children:
        if child.process.poll() is None:
            child.process.kill()
            child.process.wait()
