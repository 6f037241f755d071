"""`normalize --write`, `trim --write` and `snapshot restore` never race a running agent:
a file another process holds open for writing, whose Codex thread lock is held, or that
changed since it was read is refused (exit 2, untouched) unless `--force`; and a writer
appending while a repair runs loses nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from context_ls import fileio
from context_ls.cli import repair
from context_ls.history.api import normalize_bytes
from writer_children import LOCKER, Child, reap

from .conftest import EXAMPLES, Run

needs_proc_or_lsof = pytest.mark.skipif(
    not os.path.isdir("/proc/self/fd") and sys.platform != "darwin",
    reason="needs /proc (Linux) or lsof (macOS) to see other processes' open files",
)

THREAD = "0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

# Opens argv[1] for appending and keeps it open; on each line of stdin appends that line;
# says "ready" after each step. What Codex does with its rollout.
APPENDER = """
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND)
print("ready", flush=True)
for line in sys.stdin:
    os.write(fd, line.encode())
    print("ready", flush=True)
"""

# Appends argv[2] tool calls to argv[1], one every 5 ms, each with its own
# open/append/close (as Claude Code appends), then exits. Each call is still without its
# output, so every repair has something to do.
TICKER = """
import sys, time
for n in range(int(sys.argv[2])):
    with open(sys.argv[1], "ab") as handle:
        handle.write(b'{"timestamp":"2026-01-01T00:01:00.000Z","type":"response_item",'
                     b'"payload":{"type":"function_call","name":"shell","arguments":"{}",'
                     b'"call_id":"call_tick_%d"}}\\n' % n)
    time.sleep(0.005)
"""


def broken_rollout() -> bytes:
    """The crashed example without its half-written last line: two missing outputs and an
    orphan, all fixable, and a file that ends with a newline (as a live one does)."""
    data = (EXAMPLES / "codex-rollout-crashed.jsonl").read_bytes()
    return data[: data.rindex(b"\n") + 1]


class Agent(Child):
    """A child process that keeps the file open for appending until stopped."""

    def __init__(self, path: Path, code: str = APPENDER) -> None:
        super().__init__(code, str(path))

    def append(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line)
        self.process.stdin.flush()
        self.expect_ready()


@pytest.fixture
def agents() -> Iterator[list[Agent]]:
    started: list[Agent] = []
    yield started
    reap(started)


@pytest.fixture
def history(tmp_path: Path) -> Path:
    path = tmp_path / "rollout.jsonl"
    path.write_bytes(broken_rollout())
    return path


LINE = '{"timestamp":"2026-01-01T00:02:00.000Z","type":"event_msg","payload":{"type":"x"}}\n'


@needs_proc_or_lsof
@pytest.mark.parametrize(
    "argv",
    [("normalize", "--write"), ("trim", "--keep", "3", "--write")],
    ids=["normalize", "trim"],
)
def test_a_file_held_open_for_appending_is_refused_and_the_next_line_survives(
    cli: Run, history: Path, agents: list[Agent], argv: tuple[str, ...]
) -> None:
    before = history.read_bytes()
    agent = Agent(history)
    agents.append(agent)
    result = cli(argv[0], history, *argv[1:])
    assert result.code == 2
    assert f"pid {agent.pid}" in result.err
    assert "--force" in result.err and "Nothing was written" in result.err
    assert history.read_bytes() == before
    assert "written (snapshot" not in result.err
    assert cli("snapshot", "list", history).out.startswith("no snapshots")
    agent.append(LINE)  # the agent goes on: its line lands in the file people read
    assert history.read_bytes() == before + LINE.encode()


@needs_proc_or_lsof
def test_the_message_names_the_process_and_how_to_stop_it(
    cli: Run, history: Path, agents: list[Agent]
) -> None:
    agent = Agent(history)
    agents.append(agent)
    command = (
        Path(f"/proc/{agent.pid}/comm").read_text().strip()
        if os.path.isdir("/proc/self/fd")
        else ""
    )
    err = cli("normalize", "--write", history).err
    first = err.splitlines()[0]
    assert first.startswith(f"context-ls: error: {history}: ")
    assert f"(pid {agent.pid}) has it open for" in first
    if command:
        assert f"Stop {command} (pid {agent.pid}) first" in first
    assert err.splitlines()[-1] == "0 file(s) normalized, 1 refused"


@needs_proc_or_lsof
def test_other_files_are_still_repaired_and_the_exit_code_says_one_was_refused(
    cli: Run, history: Path, tmp_path: Path, agents: list[Agent]
) -> None:
    other = tmp_path / "other.jsonl"
    other.write_bytes(broken_rollout())
    agents.append(Agent(history))
    result = cli("normalize", "--write", history, other)
    assert result.code == 2
    assert other.read_bytes() == normalize_bytes(broken_rollout())
    assert history.read_bytes() == broken_rollout()
    assert "1 file(s) normalized, 1 refused" in result.err


@needs_proc_or_lsof
def test_a_restore_is_refused_too(cli: Run, history: Path, agents: list[Agent]) -> None:
    assert cli("normalize", "--write", history).code == 0
    repaired = history.read_bytes()
    agent = Agent(history)
    agents.append(agent)
    result = cli("snapshot", "restore", history)
    assert result.code == 2
    assert f"pid {agent.pid}" in result.err
    assert history.read_bytes() == repaired
    assert len(cli("snapshot", "list", history, "--format", "json").out.split('"id"')) == 2
    forced = cli("snapshot", "restore", "--force", history)
    assert forced.code == 0, forced.err
    assert history.read_bytes() == broken_rollout()


@needs_proc_or_lsof
def test_force_writes_anyway(cli: Run, history: Path, agents: list[Agent]) -> None:
    agent = Agent(history)
    agents.append(agent)
    result = cli("normalize", "--write", "--force", history)
    assert result.code == 0, result.err
    assert history.read_bytes() == normalize_bytes(broken_rollout())
    # It still writes to the file it holds, which is no longer the history: said so.
    assert f"(pid {agent.pid}) has the replaced file open for appending" in result.err
    assert "what it writes from now on is lost" in result.err


def test_nothing_is_asked_when_nothing_is_written(
    cli: Run, history: Path, agents: list[Agent], monkeypatch: pytest.MonkeyPatch
) -> None:
    """--diff and --check never write: they never scan the processes either."""
    monkeypatch.setattr(repair, "_refuse_writers", lambda *a: pytest.fail("scanned"))
    agents.append(Agent(history))
    assert cli("normalize", history).code == 0
    assert cli("normalize", "--check", history).code == 1


@pytest.mark.skipif(sys.platform == "win32", reason="needs flock")
def test_a_held_codex_thread_lock_is_refused(
    cli: Run, tmp_path: Path, agents: list[Agent], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Codex holds `thread-writer-locks/<thread id>.lock` while a thread runs; the
    rollout is named by that id (here through `$CODEX_HOME`, the rollout elsewhere)."""
    home = tmp_path / "codex-home"
    (home / "thread-writer-locks").mkdir(parents=True)
    lock = home / "thread-writer-locks" / f"{THREAD}.lock"
    lock.touch()
    monkeypatch.setenv("CODEX_HOME", str(home))
    path = tmp_path / f"rollout-2026-01-01T00-00-00-{THREAD}.jsonl"
    path.write_bytes(broken_rollout())
    # A lock file nobody holds (left by a killed Codex) is no reason to refuse.
    assert cli("normalize", "--check", path).code == 1
    locker = Agent(lock, LOCKER)
    agents.append(locker)
    result = cli("normalize", "--write", path)
    assert result.code == 2
    assert "holds Codex's writer lock for this thread" in result.err
    assert "Quit Codex" in result.err
    assert path.read_bytes() == broken_rollout()
    locker.stop()
    assert cli("normalize", "--write", path).code == 0
    assert path.read_bytes() == normalize_bytes(broken_rollout())


# changed since read ---------------------------------------------------------------------


def _append_during_analysis(monkeypatch: pytest.MonkeyPatch, path: Path, line: bytes) -> None:
    """The agent writes a line while the repair is being worked out."""
    real = repair.analyze

    def analyze_then_append(*args: object, **kwargs: object) -> object:
        result = real(*args, **kwargs)  # type: ignore[arg-type]
        with open(path, "ab") as handle:
            handle.write(line)
        return result

    monkeypatch.setattr(repair, "analyze", analyze_then_append)


def test_a_file_that_grew_since_it_was_read_is_refused(
    cli: Run, history: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _append_during_analysis(monkeypatch, history, LINE.encode())
    result = cli("normalize", "--write", history)
    assert result.code == 2
    assert "changed on disk since it was read (it grew by" in result.err
    assert history.read_bytes() == broken_rollout() + LINE.encode()


def test_force_keeps_what_was_appended_after_the_repair(
    cli: Run, history: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _append_during_analysis(monkeypatch, history, LINE.encode())
    result = cli("normalize", "--write", "--force", history)
    assert result.code == 0, result.err
    assert history.read_bytes() == normalize_bytes(broken_rollout()) + LINE.encode()


def test_a_file_rewritten_since_it_was_read_is_refused_even_with_force(
    cli: Run, history: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The repair was worked out for other bytes: writing it would undo someone's edit."""
    real = repair.analyze

    def analyze_then_edit(*args: object, **kwargs: object) -> object:
        result = real(*args, **kwargs)  # type: ignore[arg-type]
        history.write_bytes(b"{}\n" + broken_rollout()[3:])
        return result

    monkeypatch.setattr(repair, "analyze", analyze_then_edit)
    result = cli("normalize", "--write", "--force", history)
    assert result.code == 2
    assert "changed on disk since it was read" in result.err
    assert history.read_bytes() == b"{}\n" + broken_rollout()[3:]


# a writer appending every 5 ms ----------------------------------------------------------


def leases_work(folder: Path) -> bool:
    """Whether the kernel gives file leases in `folder` (Linux, a local filesystem)."""
    if not fileio.LEASES:
        return False
    import fcntl

    probe = folder / ".lease-probe"
    fd = os.open(probe, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_WRLCK)
        fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_UNLCK)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)
        probe.unlink()


def _tick_number(line: bytes) -> int:
    return int(line.rsplit(b"_", 1)[1].split(b'"')[0])


@pytest.mark.parametrize("leases", [True, False], ids=["leases", "no-leases"])
@pytest.mark.parametrize("force", [False, True], ids=["refuse-or-write", "force"])
def test_a_writer_appending_every_5ms_during_repairs_loses_nothing(
    cli: Run, history: Path, force: bool, leases: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Repairs run back to back while a writer appends a line every 5 ms: each repair is
    refused or written, and every line the writer wrote is in the file exactly once.
    With leases (Linux) also in the order it wrote them: its next line waits for those
    carried over from the replaced file."""
    if leases and not leases_work(history.parent):
        pytest.skip("no file leases on this filesystem")
    monkeypatch.setattr(fileio, "LEASES", leases)
    count = 300
    ticker = subprocess.Popen([sys.executable, "-c", TICKER, str(history), str(count)])
    outcomes: list[int] = []
    try:
        while ticker.poll() is None:
            argv = ["normalize", "--write", *(["--force"] if force else []), history]
            outcomes.append(cli(*argv).code)
    finally:
        ticker.wait(timeout=60)
    assert set(outcomes) <= {0, 2}
    data = history.read_bytes()
    calls = [line for line in data.splitlines(keepends=True) if b'"type":"function_call"' in line]
    ticks = [line for line in calls if b"call_tick_" in line]
    expected = [
        b'{"timestamp":"2026-01-01T00:01:00.000Z","type":"response_item","payload":'
        b'{"type":"function_call","name":"shell","arguments":"{}","call_id":"call_tick_%d"}}\n' % n
        for n in range(count)
    ]
    assert sorted(ticks, key=_tick_number) == expected  # each exactly once
    if leases:
        assert ticks == expected  # and in order
    # Once the writer is gone the repair goes through, and it is the repair of everything.
    assert cli("normalize", "--write", history).code == 0
    if leases:
        assert history.read_bytes() == normalize_bytes(broken_rollout() + b"".join(ticks))


def test_a_writer_thread_in_this_process_is_covered_by_the_fingerprint(
    cli: Run, history: Path
) -> None:
    """Our own descriptors are not scanned (the pid is ours): a thread appending here is
    still caught by the changed-since-read check or carried over, never lost."""
    stop = threading.Event()
    written: list[int] = []

    def tick() -> None:
        n = 0
        while not stop.is_set():
            with open(history, "ab") as handle:
                handle.write(b'{"type":"event_msg","payload":{"text":"own %d"}}\n' % n)
            written.append(n)
            n += 1
            stop.wait(0.005)

    thread = threading.Thread(target=tick)
    thread.start()
    try:
        for _ in range(20):
            assert cli("normalize", "--write", history).code in (0, 2)
    finally:
        stop.set()
        thread.join()
    data = history.read_bytes()
    assert all(data.count(b'"own %d"' % n) == 1 for n in written)
