"""The secrets scan of a big source, begun in a forked child as soon as the bytes are read,
so it runs on a second core while this process reads the history (`check` on a 28 MB
document: the scan is ~150 ms, as long as the reading itself).

The child takes windows (see `secrets.scan_window`) from the end backwards; once the
parent asks for the matches (`find_secrets` of the same bytes object) it takes windows
from the start forwards until it meets the child, then adds the child's windows. Each
side claims a window in a shared byte before scanning it, and stops at a window the other
claimed: no window is missed, and one both scan is taken from the parent. Whatever the
child does (fails, is killed, sends nothing), the parent scans what it lacks itself, so
the matches are those of one scan. Only a process without threads forks (never the
language server): the CLI asks for it explicitly."""

from __future__ import annotations

import _thread
import contextlib
import marshal
import mmap
import os
import signal
from types import TracebackType
from typing import NoReturn

from context_ls import secrets
from context_ls.secrets import SecretMatch

__all__ = ["EarlyScan", "start_scan"]

# Below this a fork, its pipe and the parent's wait cost more than half the scan saves.
MIN_BYTES = 4 << 20
_FREE, _PARENT, _CHILD = 0, 1, 2

_Windows = dict[int, tuple[list[SecretMatch], int]]


class EarlyScan:
    """A scan begun in a child (`pid` None: none was, `find_secrets` scans alone). Close it
    (or use it as a context manager) when the source is done with: a child whose matches
    were never asked for is ended then, and never left a zombie."""

    def __init__(
        self, data: bytes, pid: int | None = None, claims: mmap.mmap | None = None, fd: int = -1
    ) -> None:
        self.data = data
        self.pid = pid
        self._claims = claims
        self._fd = fd

    def collect(self) -> list[SecretMatch]:
        """The matches of `data`: the windows before the child's scanned here, the child's
        taken as it sends them (any it lacks scanned here)."""
        data, claims = self.data, self._claims
        found: list[SecretMatch] = []
        pos = k = 0
        count = secrets.window_count(data)
        if claims is not None:
            while k < count and claims[k] == _FREE:
                claims[k] = _PARENT
                part, pos = secrets.scan_window(data, k, max(pos, k * secrets._WINDOW))
                found.extend(part)
                k += 1
        secrets.scan_windows(data, k, pos, found, self._receive())
        return found

    def _receive(self) -> _Windows:
        """The child's windows once it has stopped, or none when it failed."""
        if self.pid is None:
            return {}
        fd, self._fd = self._fd, -1
        try:
            with os.fdopen(fd, "rb") as pipe:
                payload = pipe.read()
        except BaseException:
            self._reap(kill=True)
            raise
        if not self._reap(kill=False):
            return {}
        try:
            sent = marshal.loads(payload)
            return {k: ([SecretMatch(*m) for m in part], end) for k, (part, end) in sent.items()}
        except (EOFError, ValueError, TypeError, AttributeError):
            return {}

    def _reap(self, kill: bool) -> bool:
        """Wait for the child (ending it first when `kill`): whether it exited cleanly."""
        pid, self.pid = self.pid, None
        if self._claims is not None:
            self._claims.close()
            self._claims = None
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        if pid is None:
            return False
        if kill:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:
            return False
        return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0

    def close(self) -> None:
        if secrets.STARTED.get(id(self.data)) is self:
            del secrets.STARTED[id(self.data)]
        if self.pid is not None:
            self._reap(kill=True)

    def __enter__(self) -> EarlyScan:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


def start_scan(data: bytes) -> EarlyScan:
    """Begin scanning `data` in a forked child when that pays: a big source, two cores this
    process may run on, and no thread but this one (forking a threaded process is unsafe)."""
    if not _may_fork(len(data)) or id(data) in secrets.STARTED:
        return EarlyScan(data)
    secrets._bytes_re()  # compiled once, here: both sides use it
    count = secrets.window_count(data)
    claims = mmap.mmap(-1, count)  # shared with the child (MAP_SHARED)
    read_fd, write_fd = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_fd)
        os.close(write_fd)
        claims.close()
        return EarlyScan(data)
    if pid == 0:  # the child: never returns
        _child(data, claims, read_fd, write_fd)
    os.close(write_fd)
    scan = EarlyScan(data, pid, claims, read_fd)
    secrets.STARTED[id(data)] = scan
    return scan


def _may_fork(size: int) -> bool:
    if size < max(MIN_BYTES, secrets._WINDOW + secrets._MARGIN + 1) or not hasattr(os, "fork"):
        return False
    affinity = getattr(os, "sched_getaffinity", None)
    cores = len(affinity(0)) if affinity is not None else os.cpu_count() or 1
    return cores >= 2 and _single_threaded()


def _single_threaded() -> bool:
    """No thread but this one: none started from Python, none by a library (Linux lists
    every thread of the process)."""
    if _thread._count() != 0:
        return False
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return True  # no /proc: the Python threads were counted


def _child(data: bytes, claims: mmap.mmap, read_fd: int, write_fd: int) -> NoReturn:
    """Windows from the last backwards until one the parent claimed; sent as marshal
    data. Exits without running the parent's clean-up (`os._exit`), whatever happens."""
    code = 1
    try:
        os.close(read_fd)
        done: dict[int, tuple[list[tuple[int, int, str]], int]] = {}
        for k in range(secrets.window_count(data) - 1, -1, -1):
            if claims[k] != _FREE:
                break
            claims[k] = _CHILD
            part, end = secrets.scan_window(data, k, k * secrets._WINDOW)
            done[k] = ([(m.start, m.end, m.kind) for m in part], end)
        payload = marshal.dumps(done)
        view = memoryview(payload)
        while view:
            view = view[os.write(write_fd, view) :]
        code = 0
    finally:
        os._exit(code)
