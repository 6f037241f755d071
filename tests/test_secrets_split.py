"""The secrets scan cut into aligned windows, and begun early in a forked child: the same
matches as the scan before either (kept here as the reference), whatever the child does."""

from __future__ import annotations

import marshal
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from context_ls import secrets, secrets_early
from context_ls.secrets import SecretMatch, find_secrets
from context_ls.secrets_early import start_scan

ANTHROPIC = "sk-ant-api03-" + "x1Y2z3" * 15 + "-AA"
PEM = "-----BEGIN RSA PRIVATE KEY-----\\nMIIEowIBAAKCAQEA\\n-----END RSA PRIVATE KEY-----"
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ"
    ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
SAMPLES = [
    ANTHROPIC,
    "AKIAIOSFODNN7EXAMPLE",
    "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
    PEM,
    "-----BEGIN EC PRIVATE KEY-----" + "Q" * 300 + "-----END EC PRIVATE KEY-----",
    "sk-proj-" + "t" * 900,  # longer than a window
    JWT,
    "x." + JWT,  # its header starts in the window before
    "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
]
MARGIN = 17_000
PARTS = st.lists(
    st.sampled_from(SAMPLES) | st.text(st.sampled_from('ab -_=\n"\\k'), max_size=120),
    max_size=40,
)


def reference(data: bytes) -> list[SecretMatch]:
    """`find_secrets` as it was before the windows were aligned (windows follow the scan)."""
    regex = secrets._bytes_re()
    size = len(data)
    if size <= secrets._WINDOW + secrets._MARGIN:
        return [SecretMatch(*secrets._span(match)) for match in regex.finditer(data)]
    found: list[SecretMatch] = []
    pos = 0
    while pos < size:
        end = min(pos + secrets._WINDOW, size)
        view_end = min(end + secrets._MARGIN, size)
        for match in regex.finditer(data, pos, view_end):
            if match.start() >= end:
                break
            if match.end() == view_end < size:
                match = regex.match(data, match.start()) or match
            found.append(SecretMatch(*secrets._span(match)))
            pos = match.end()
        pos = max(pos, end)
    return found


@contextmanager
def small_windows(window: int, min_bytes: int = 0, *, threads_seen: bool = False) -> Iterator[None]:
    """Small windows, any size worth a child; and, unless `threads_seen`, threads another
    test's library left running (dask's) do not stop the fork: this child only scans and
    writes to its pipe."""
    unseen = patch.object(secrets_early, "_single_threaded", lambda: True)
    with (
        patch.object(secrets, "_WINDOW", window),
        patch.object(secrets, "_MARGIN", MARGIN),
        patch.object(secrets_early, "MIN_BYTES", min_bytes),
        nullcontext() if threads_seen else unseen,
    ):
        yield


def forks() -> bool:
    """Whether this test process may fork (a plugin's thread forbids it)."""
    return hasattr(os, "fork") and secrets_early._may_fork(1 << 40)


def gone(pid: int) -> bool:
    """The child was reaped (no zombie left)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


@settings(max_examples=60, deadline=None)
@given(parts=PARTS, window=st.integers(40, 400))
def test_aligned_windows_find_what_the_old_scan_found(parts: list[str], window: int) -> None:
    data = ("x " * 9000 + "".join(parts)).encode()
    with small_windows(window):
        assert find_secrets(data) == reference(data)


@settings(max_examples=60, deadline=None)
@given(parts=PARTS, window=st.integers(40, 400), taken=st.sets(st.integers(0, 600)))
def test_windows_scanned_apart_merge_into_one_scan(
    parts: list[str], window: int, taken: set[int]
) -> None:
    """Any windows scanned from their own start (as the child does), the rest in order:
    a match that runs into a taken window has that window scanned again."""
    data = ("x " * 9000 + "".join(parts)).encode()
    with small_windows(window):
        done = {k: secrets.scan_window(data, k, k * window) for k in taken}
        found: list[SecretMatch] = []
        secrets.scan_windows(data, 0, 0, found, done)
        assert found == reference(data)


@pytest.mark.skipif(not forks(), reason="this process may not fork (no fork, or threads)")
@settings(max_examples=15, deadline=None)
@given(parts=PARTS, window=st.integers(200, 400), wait=st.booleans())
def test_an_early_scan_finds_what_one_scan_finds(parts: list[str], window: int, wait: bool) -> None:
    data = ("x " * 9000 + "".join(parts)).encode()
    with small_windows(window), start_scan(data) as scan:
        pid = scan.pid
        assert pid is not None
        if wait:  # until the child claims the first window (bounded: it may have failed)
            claims = scan._units._claims
            assert claims is not None
            give_up = time.monotonic() + 30
            while claims[0] == 0 and time.monotonic() < give_up:
                time.sleep(0.001)
        assert find_secrets(data) == reference(data)
        assert id(data) not in secrets.STARTED
    assert gone(pid)


@pytest.mark.skipif(not forks(), reason="this process may not fork (no fork, or threads)")
def test_a_killed_child_leaves_the_parent_to_scan_alone() -> None:
    data = ("x " * 9000 + ANTHROPIC + " b " * 9000 + PEM).encode()
    with small_windows(300), start_scan(data) as scan:
        assert scan.pid is not None
        os.kill(scan.pid, signal.SIGKILL)
        assert find_secrets(data) == reference(data)
        assert len(find_secrets(data)) == 2


class FailingMarshal:
    """The child's `marshal.dumps` fails (the parent only loads)."""

    loads = staticmethod(marshal.loads)

    @staticmethod
    def dumps(value: object) -> bytes:
        raise ValueError("cannot send")


@pytest.mark.skipif(not forks(), reason="this process may not fork (no fork, or threads)")
def test_a_child_that_fails_to_send_leaves_the_parent_to_scan_alone() -> None:
    data = ("x " * 9000 + ANTHROPIC + " b " * 9000 + PEM).encode()
    with (
        small_windows(300),
        patch.object(secrets_early, "marshal", FailingMarshal),
        start_scan(data) as scan,
    ):
        pid = scan.pid
        assert pid is not None
        received: list[object] = []
        original = scan._units.received

        def receive() -> dict[int, Any]:
            windows = original()
            received.append(windows)
            return windows

        with patch.object(scan._units, "received", receive):
            assert find_secrets(data) == reference(data)
        assert received == [{}]  # nothing came from the child
    assert gone(pid)


@pytest.mark.skipif(not forks(), reason="this process may not fork (no fork, or threads)")
def test_a_scan_never_collected_is_ended_and_reaped() -> None:
    data = ("x " * 90_000).encode()
    with small_windows(300):
        scan = start_scan(data)
        pid = scan.pid
        assert pid is not None
        scan.close()
        scan.close()
    assert gone(pid)
    assert id(data) not in secrets.STARTED


def test_no_fork_while_a_thread_runs_or_for_a_small_source() -> None:
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        with small_windows(300, threads_seen=True), start_scan(b"x " * 90_000) as scan:
            assert scan.pid is None
    finally:
        stop.set()
        thread.join()
    with start_scan(b"x " * 1000) as scan:
        assert scan.pid is None


def test_a_bytes_object_scanned_early_is_told_from_an_equal_one() -> None:
    """`find_secrets` collects only for the very object the scan began with."""
    data = ("x " * 9000 + ANTHROPIC).encode()
    with small_windows(300), start_scan(data):
        copy = bytes(bytearray(data))
        assert find_secrets(copy) == reference(copy)
        assert find_secrets(data) == reference(data)


def test_importing_compiles_nothing() -> None:
    """The big regex is compiled on first use: most commands never scan."""
    script = (
        "from context_ls import secrets\n"
        "print(secrets._bytes_re.cache_info().currsize, secrets._text_re.cache_info().currsize)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.split() == ["0", "0"]


def old_chunks(path: Path, size: int) -> list[tuple[int, int]]:
    """How the streamed scan cut a file before (read `size` bytes, then to the line's end)."""
    chunks: list[tuple[int, int]] = []
    with path.open("rb") as handle:
        offset = 0
        while chunk := handle.read(size):
            chunk += handle.readline()
            chunks.append((offset, offset + len(chunk)))
            offset += len(chunk)
    return chunks


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    lines=st.lists(st.integers(0, 300), max_size=40),
    last_newline=st.booleans(),
    size=st.integers(1, 500),
)
def test_a_file_is_cut_where_the_streamed_scan_cut_it(
    tmp_path: Path, lines: list[int], last_newline: bool, size: int
) -> None:
    data = b"\n".join(b"a" * n for n in lines) + (b"\n" if last_newline else b"")
    path = tmp_path / "cut.jsonl"
    path.write_bytes(data)
    with patch.object(secrets_early, "FILE_CHUNK", size):
        assert secrets_early.file_chunks(path) == old_chunks(path, size)


@pytest.mark.parametrize("fork", [True, False])
def test_a_streamed_file_scan_finds_what_one_scan_finds(tmp_path: Path, fork: bool) -> None:
    """Secrets in every chunk, one where a chunk ends; with a child or without."""
    line = b'{"text": "nothing to see here, only words"}\n'
    parts = [line * 700 + f'{{"key": "{ANTHROPIC}"}}\n'.encode() for _ in range(12)]
    data = b"".join(parts) + (PEM + "\n").encode()
    path = tmp_path / "big.jsonl"
    path.write_bytes(data)
    with small_windows(300), patch.object(secrets_early, "FILE_CHUNK", len(parts[0]) - 20):
        if fork and not forks():
            pytest.skip("this process may not fork (no fork, or threads)")
        with secrets_early.FileScan(path, fork=fork) as scan:
            assert (scan.pid is not None) == fork
            assert len(scan.chunks) > 10
            assert scan.collect() == reference(data)
        assert scan.pid is None
    assert len(reference(data)) == 13


@pytest.mark.parametrize("fork", [True, False])
def test_a_file_that_grows_while_it_is_read_is_scanned_to_its_end(
    tmp_path: Path, fork: bool
) -> None:
    """A live transcript: lines written after the chunks were cut are scanned too."""
    line = b'{"text": "nothing to see here, only words"}\n'
    path = tmp_path / "live.jsonl"
    path.write_bytes(line * 3000 + f'{{"key": "{ANTHROPIC}"}}\n'.encode())
    with (
        small_windows(300),
        patch.object(secrets_early, "FILE_CHUNK", 40_000),
        secrets_early.FileScan(path, fork=fork) as scan,
    ):
        with path.open("ab") as handle:
            handle.write(f'{{"later": "{ANTHROPIC}"}}\n'.encode())
        found = scan.collect()
    assert found == reference(path.read_bytes())
    assert len(found) == 2
