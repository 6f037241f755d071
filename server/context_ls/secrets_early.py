"""The secrets scan of a big source, begun in a forked child as soon as the bytes are read,
so it runs on a second core while this process reads the history (`check` on a 28 MB
document: the scan is ~150 ms, as long as the reading itself).

The work is cut into units (the windows of `secrets.scan_window`, or a streamed file's
chunks). The child takes them from the last backwards; once the parent asks for the
matches it takes them from the first forwards until it meets the child, then adds the
child's. Each side claims a unit in a shared byte before scanning it, and stops at a unit
the other claimed: none is missed, and one both scan is taken from the parent. Whatever
the child does (fails, is killed, sends nothing), the parent scans what it lacks itself,
so the matches are those of one scan. Only a process without threads forks (never the
language server): the CLI asks for it explicitly."""

from __future__ import annotations

import _thread
import contextlib
import marshal
import mmap
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from context_ls import secrets
from context_ls.history import position
from context_ls.secrets import SecretMatch

if TYPE_CHECKING:
    from pathlib import Path  # not imported at run time: the CLI imports this before forking

__all__ = ["EarlyScan", "FileScan", "begin_file_scan", "start_scan"]

# Below this a fork, its pipe and the parent's wait cost more than half the scan saves.
MIN_BYTES = 4 << 20
FILE_CHUNK = 8 << 20  # bytes of a streamed file scanned at a time (then to the line's end)
_FREE, _PARENT, _CHILD = 0, 1, 2

_Windows = dict[int, tuple[list[SecretMatch], int]]
_C = TypeVar("_C", bound="_Closing")


class _Units:
    """Units [0, count) done by a forked child from the last backwards (`unit(k)` gives
    marshal data), or by nobody (`pid` None: this process does them all)."""

    def __init__(self, count: int, unit: Callable[[int], object], size: int) -> None:
        self.pid: int | None = None
        self._claims: mmap.mmap | None = None
        self._fd = -1
        if count < 2 or not _may_fork(size):
            return
        secrets._bytes_re()  # compiled once, here: both sides use it
        claims: mmap.mmap | None = None
        fds: tuple[int, ...] = ()
        try:
            claims = mmap.mmap(-1, count)  # shared with the child (MAP_SHARED)
            fds = os.pipe()
            pid = os.fork()
        except OSError:  # out of memory, descriptors or processes: this process does it all
            for fd in fds:
                os.close(fd)
            if claims is not None:
                claims.close()
            return
        read_fd, write_fd = fds
        if pid == 0:  # the child: never returns
            _child(count, unit, claims, read_fd, write_fd)
        os.close(write_fd)
        self.pid, self._claims, self._fd = pid, claims, read_fd

    def claim(self, k: int) -> bool:
        """Whether unit `k` is this process's to do (the child has not taken it)."""
        claims = self._claims
        if claims is None:
            return True
        if claims[k] != _FREE:
            return False
        claims[k] = _PARENT
        return True

    def received(self) -> dict[int, Any]:
        """The child's units once it has stopped (it stops at the first unit claimed
        here), or none when it failed."""
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
        except (EOFError, ValueError, TypeError):
            return {}
        return sent if isinstance(sent, dict) else {}

    def close(self) -> None:
        """End the child when its units were never asked for (no zombie is left)."""
        if self.pid is not None:
            self._reap(kill=True)

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
            import signal  # (not at start-up: the CLI forks before it imports much)

            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:
            return False
        return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


class _Closing:
    """A scan whose child is ended when it is closed (also as a context manager)."""

    _units: _Units

    @property
    def pid(self) -> int | None:
        """The child's process id (None: no child, or done with)."""
        return self._units.pid

    def close(self) -> None:
        self._units.close()

    def __enter__(self: _C) -> _C:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class EarlyScan(_Closing):
    """The scan of `data` begun by `start_scan`, collected by `find_secrets(data)`. Close
    it (or use it as a context manager) when the source is done with."""

    def __init__(self, data: bytes, fork: bool = True) -> None:
        self.data = data
        count = secrets.window_count(len(data))
        self._units = _Units(count if fork else 0, self._window, len(data))

    def _window(self, k: int) -> object:
        part, end = secrets.scan_window(self.data, k, k * secrets._WINDOW)
        return [(m.start, m.end, m.kind) for m in part], end, self._newlines(k)

    def _newlines(self, k: int) -> list[int]:
        """The newlines in each `LineIndex` block wholly inside window `k`, from its first:
        counted by the child, which has the time, for the parent to place its findings."""
        data, block = self.data, position.BLOCK
        first = _first_block(k)
        last = min((k + 1) * secrets._WINDOW, len(data)) // block  # blocks end before this one
        # In slices: copies hot in the cache count faster than a range.
        return [data[n * block : (n + 1) * block].count(b"\n") for n in range(first, last)]

    def collect(self) -> list[SecretMatch]:
        """The matches of `data`: the windows before the child's scanned here, the child's
        taken as it sends them (any it lacks scanned here)."""
        data, units = self.data, self._units
        found: list[SecretMatch] = []
        pos = k = 0
        count = secrets.window_count(len(data))
        while k < count and units.claim(k):
            part, pos = secrets.scan_window(data, k, max(pos, k * secrets._WINDOW))
            found.extend(part)
            k += 1
        done: _Windows = {}
        newlines: dict[int, int] = {}
        with contextlib.suppress(TypeError, ValueError):
            for n, (part, end, counts) in units.received().items():
                done[n] = ([SecretMatch(*m) for m in part], end)
                first = _first_block(n)
                newlines.update(zip(range(first, first + len(counts)), counts, strict=False))
        secrets.scan_windows(data, k, pos, found, done)
        if newlines and all(type(c) is int for c in newlines.values()):
            self.newlines = newlines
            COUNTED[id(data)] = self
        return found

    def close(self) -> None:
        if secrets.STARTED.get(id(self.data)) is self:
            del secrets.STARTED[id(self.data)]
        if COUNTED.get(id(self.data)) is self:
            del COUNTED[id(self.data)]
        super().close()


def _first_block(k: int) -> int:
    """The first `LineIndex` block that starts inside window `k`."""
    return -(-k * secrets._WINDOW // position.BLOCK)


# Collected scans whose child counted newlines, by `id` of their data, until closed.
COUNTED: dict[int, EarlyScan] = {}


def newline_counts(data: bytes) -> dict[int, int]:
    """Newlines per `LineIndex` block of `data` (block number -> count), as far as the
    child of a scan of this very `data`, still open, counted them."""
    scan = COUNTED.get(id(data))
    return scan.newlines if scan is not None and scan.data is data else {}


def start_scan(data: bytes, read_as: Identity | None = None) -> EarlyScan:
    """Begin scanning `data` in a forked child when that pays: a big source, two cores this
    process may run on, and no thread but this one (forking a threaded process is unsafe).
    `read_as`: the `identity` of the file `data` was read from, the same throughout the
    read: a scan `begin_file_scan` began from that very version is taken over."""
    ahead = _AHEAD.pop(read_as[:2], None) if read_as is not None else None
    if ahead is not None:
        if read_as == ahead.identity and ahead.pid is not None:
            ahead.data = data
            secrets.STARTED[id(data)] = ahead
            return ahead
        ahead.close()  # the file changed since: its bytes are not these
    scan = EarlyScan(data, fork=id(data) not in secrets.STARTED)
    if scan.pid is not None:
        secrets.STARTED[id(data)] = scan
    return scan


Identity = tuple[int, int, int, int]  # st_dev, st_ino, st_size, st_mtime_ns


def identity(path: Path | str) -> Identity:
    """What tells one version of a file from another without reading it."""
    stat = os.stat(path)
    return stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns


class _FileAhead(EarlyScan):
    """A scan of a file begun before this process reads it (`begin_file_scan`): the child
    reads the file itself and scans only when it is still the version seen at the fork,
    unchanged throughout its read; `start_scan` hands it the bytes read here when they are
    of that version, else it is ended."""

    def __init__(self, path: str, seen: Identity) -> None:
        self.path, self.identity = path, seen
        self.data = b""  # the child reads it; the parent's comes with `start_scan`
        self._units = _Units(secrets.window_count(seen[2]), self._window, seen[2])

    def _window(self, k: int) -> object:
        if not self.data:  # the child, at its first window
            # Read, not mapped: touching the map of a file cut short meanwhile (a writer
            # that truncates, then writes) kills the process with SIGBUS, and a crash report.
            with open(self.path, "rb") as handle:
                data = handle.read()
            if identity(self.path) != self.identity or len(data) != self.identity[2]:
                raise OSError("the file changed while the scan began")  # no window is sent
            self.data = data
        return super()._window(k)


_AHEAD: dict[tuple[int, int], _FileAhead] = {}  # by (st_dev, st_ino)


def begin_file_scan(path: str) -> None:
    """Begin the secrets scan of the file at `path` in a forked child before this process
    has even imported what reads it (`check` of one big document: the child is then done
    about when the reading is). Never collected, it is ended at exit."""
    try:
        seen = identity(path)
    except OSError:
        return
    ahead = _FileAhead(path, seen)
    if ahead.pid is None:
        return
    if not _AHEAD:
        import atexit

        atexit.register(_end_unclaimed)
    _AHEAD[seen[:2]] = ahead


def _end_unclaimed() -> None:
    for ahead in list(_AHEAD.values()):
        ahead.close()
    _AHEAD.clear()


class FileScan(_Closing):
    """The secrets of a streamed file, a chunk at a time (`FILE_CHUNK` bytes, then to the
    end of the line: a line is never cut), begun in a child when `fork` (and it pays)."""

    def __init__(self, path: Path, fork: bool = True) -> None:
        self.path = path
        self.chunks = file_chunks(path)
        self._units = _Units(len(self.chunks) if fork else 0, self._chunk, self.end)

    def _chunk(self, k: int) -> object:
        return [(m.start, m.end, m.kind) for m in self.chunk_secrets(k)]

    def chunk_secrets(self, k: int) -> list[SecretMatch]:
        """The secrets of chunk `k`, at file offsets (`k` past the chunks: what was written
        after them, to the end of the file as it is now)."""
        start, end = self.chunks[k] if k < len(self.chunks) else (self.end, -1)
        with open(self.path, "rb") as handle:
            handle.seek(start)
            chunk = handle.read(end - start if end >= 0 else -1)
        return [
            SecretMatch(s + start, e + start, kind) for s, e, kind in secrets.find_secrets(chunk)
        ]

    @property
    def end(self) -> int:
        return self.chunks[-1][1] if self.chunks else 0

    def collect(self) -> list[SecretMatch]:
        """Every chunk's secrets, in order (those the child lacks scanned here)."""
        units = self._units
        mine: dict[int, list[SecretMatch]] = {}
        k = 0
        while k < len(self.chunks) and units.claim(k):
            mine[k] = self.chunk_secrets(k)
            k += 1
        sent = units.received()
        found: list[SecretMatch] = []
        for n in range(len(self.chunks)):
            part = mine.get(n)
            if part is None:
                try:
                    part = [SecretMatch(*m) for m in sent[n]]
                except (KeyError, TypeError, ValueError):
                    part = self.chunk_secrets(n)
            found.extend(part)
        found.extend(self.chunk_secrets(len(self.chunks)))  # a live file may have grown
        return found


def file_chunks(path: Path) -> list[tuple[int, int]]:
    """[start, end) of each chunk of the file as `FileScan` scans it."""
    chunks: list[tuple[int, int]] = []
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        start = 0
        while start < size:
            end = min(start + FILE_CHUNK, size)
            if end < size:
                handle.seek(end)
                end += len(handle.readline())
            chunks.append((start, end))
            start = end
    return chunks


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


def _child(
    count: int, unit: Callable[[int], object], claims: mmap.mmap, read_fd: int, write_fd: int
) -> NoReturn:
    """Units from the last backwards until one the parent claimed; sent as marshal data.
    Exits without running the parent's clean-up (`os._exit`), whatever happens."""
    code = 1
    try:
        os.close(read_fd)
        done: dict[int, object] = {}
        for k in range(count - 1, -1, -1):
            if claims[k] != _FREE:
                break
            claims[k] = _CHILD
            done[k] = unit(k)
        view = memoryview(marshal.dumps(done))
        while view:
            view = view[os.write(write_fd, view) :]
        code = 0
    finally:
        os._exit(code)
