"""Writer detection (`context_ls.writers`) and the checked write of `fileio.atomic_write`:
who holds a file open for writing, Codex's per-thread writer lock, and whether a file is
still what was read."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from context_ls import fileio, writers
from context_ls.fileio import FileChangedError, atomic_write
from context_ls.writers import (
    LOCK_HOW,
    Writer,
    codex_homes,
    codex_lock_paths,
    codex_thread_ids,
    describe_writers,
    homes_by_folder,
    live_writers,
    open_writers,
    open_writers_many,
    read_with_fingerprint,
)
from writer_children import HOLDER, LOCKER, Child, reap

HAS_PROC = os.path.isdir("/proc/self/fd")
needs_proc = pytest.mark.skipif(not HAS_PROC, reason="needs Linux /proc")
needs_flock = pytest.mark.skipif(sys.platform == "win32", reason="needs flock")

THREAD = "0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"


@pytest.fixture
def holder() -> Iterator[type[Child]]:
    children: list[Child] = []

    class Tracked(Child):
        def __init__(self, code: str, *args: str) -> None:
            super().__init__(code, *args)
            children.append(self)

    yield Tracked
    reap(children)


# open writers -------------------------------------------------------------------------


@needs_proc
@pytest.mark.parametrize(
    ("mode", "how"),
    [
        ("append", "has it open for appending"),
        ("write", "has it open for writing"),
        ("rdwr", "has it open for writing"),
    ],
)
def test_a_process_holding_the_file_for_writing_is_named(
    tmp_path: Path, holder: type[Child], mode: str, how: str
) -> None:
    target = tmp_path / "rollout.jsonl"
    target.write_text("{}\n")
    child = holder(HOLDER, str(target), mode)
    found = open_writers(target)
    assert found == [Writer(child.pid, Path(f"/proc/{child.pid}/comm").read_text().strip(), how)]
    child.stop()
    assert open_writers(target) == []


@needs_proc
def test_readers_and_this_process_are_not_writers(tmp_path: Path, holder: type[Child]) -> None:
    target = tmp_path / "rollout.jsonl"
    target.write_text("{}\n")
    holder(HOLDER, str(target), "read")
    with open(target, "ab"):  # our own descriptor never counts
        assert open_writers(target) == []


@needs_proc
def test_one_scan_answers_for_many_files_and_through_a_symlink(
    tmp_path: Path, holder: type[Child]
) -> None:
    written = tmp_path / "a.jsonl"
    quiet = tmp_path / "b.jsonl"
    written.write_text("{}\n")
    quiet.write_text("{}\n")
    link = tmp_path / "link.jsonl"
    link.symlink_to(written)
    child = holder(HOLDER, str(written), "append")
    found = open_writers_many([link, quiet])
    assert [w.pid for w in found[str(link)]] == [child.pid]
    assert found[str(quiet)] == []


def test_a_missing_file_has_no_writers(tmp_path: Path) -> None:
    assert open_writers(tmp_path / "gone.jsonl") == []
    assert live_writers(tmp_path / "gone.jsonl") == []


def _fake_proc(root: Path, target: Path) -> None:
    """A /proc with four processes: one appends to `target`, one reads it, one is not ours
    to read (its fd folder cannot be listed), one vanished (no fd folder)."""
    (root / "self" / "fd").mkdir(parents=True)
    for pid, flags in ((101, "02102001"), (102, "0100000")):
        fd = root / str(pid) / "fd"
        info = root / str(pid) / "fdinfo"
        fd.mkdir(parents=True)
        info.mkdir()
        (fd / "7").symlink_to(target)
        (fd / "8").symlink_to(root)  # something else
        (info / "7").write_text(f"pos:\t0\nflags:\t{flags}\nmnt_id:\t24\n")
        (root / str(pid) / "comm").write_text(f"agent{pid}\n")
    (root / "103").mkdir()
    (root / "103" / "fd").write_text("listing this fails like a permission error does")
    (root / "104").mkdir()


def test_unreadable_and_vanished_processes_are_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "rollout.jsonl"
    target.write_text("{}\n")
    _fake_proc(tmp_path / "proc", target)
    monkeypatch.setattr(writers, "PROC", str(tmp_path / "proc"))
    assert open_writers(target) == [Writer(101, "agent101", "has it open for appending")]


@pytest.mark.skipif(writers.shutil.which("lsof") is None, reason="needs lsof")
def test_without_proc_lsof_finds_the_writer(
    tmp_path: Path, holder: type[Child], monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "rollout.jsonl"
    target.write_text("{}\n")
    child = holder(HOLDER, str(target), "append")
    holder(HOLDER, str(target), "read")
    monkeypatch.setattr(writers, "PROC", str(tmp_path / "no-proc"))
    found = open_writers(target)
    assert [(w.pid, w.how) for w in found] == [(child.pid, "has it open for writing")]


def test_describe_writers_names_each_process_once() -> None:
    text = describe_writers(
        [
            Writer(12, "codex", "has it open for appending"),
            Writer(12, "codex", LOCK_HOW),
            Writer(None, "codex", LOCK_HOW),
        ]
    )
    assert text == (f"codex (pid 12) has it open for appending and {LOCK_HOW}; codex {LOCK_HOW}")


# Codex's writer lock ------------------------------------------------------------------


def _codex_home(tmp_path: Path) -> tuple[Path, Path, Path]:
    home = tmp_path / "codex-home"
    rollout = home / "sessions" / "2026" / "01" / "01"
    rollout.mkdir(parents=True)
    path = rollout / f"rollout-2026-01-01T00-00-00-{THREAD}.jsonl"
    path.write_text(f'{{"type":"session_meta","payload":{{"id":"{THREAD}"}}}}\n')
    (home / "thread-writer-locks").mkdir()
    lock = home / "thread-writer-locks" / f"{THREAD}.lock"
    lock.touch()
    return home, path, lock


def test_the_thread_id_comes_from_session_meta_and_the_name(tmp_path: Path) -> None:
    other = "0199ffff-0000-7000-8000-000000000001"
    head = f'{{"timestamp":"t","type":"session_meta","payload":{{"id":"{other}"}}}}\n{{}}'
    named = f"rollout-2026-01-01T00-00-00-{THREAD}.jsonl"
    assert codex_thread_ids(named, head.encode()) == [other, THREAD]
    assert codex_thread_ids(named, head.replace(other, THREAD).encode()) == [THREAD]
    assert codex_thread_ids(named, b'{"type":"response_item"}\n') == [THREAD]
    assert codex_thread_ids(named + ".zst", b"") == [THREAD]
    assert codex_thread_ids("session.jsonl", b"") == []
    # Without a head the file's first line is read.
    on_disk = tmp_path / "session.jsonl"
    on_disk.write_text(head)
    assert codex_thread_ids(on_disk) == [other]
    # An id becomes a path segment: anything but a uuid is ignored.
    evil = b'{"type":"session_meta","payload":{"id":"../../etc/passwd"}}\n'
    assert codex_thread_ids("session.jsonl", evil) == []


def test_codex_homes_start_with_the_one_the_rollout_lives_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home, path, _ = _codex_home(tmp_path)
    monkeypatch.setenv("CODEX_HOME", str(tmp_path / "elsewhere"))
    homes = codex_homes(path)
    assert homes[:2] == [os.path.realpath(home), os.path.realpath(tmp_path / "elsewhere")]
    assert homes[-1] == os.path.realpath(os.path.expanduser("~/.codex"))


def _linked_homes(tmp_path: Path) -> list[str]:
    """Rollouts reached plainly, through a linked folder, as links into another home, by
    relative and odd paths: where resolving once per folder could go wrong."""
    _, path, _ = _codex_home(tmp_path)
    day = path.parent
    (day / "second.jsonl").write_text("{}\n")
    other = tmp_path / "other-home" / "sessions" / "2026"
    other.mkdir(parents=True)
    (other / path.name).symlink_to(path)  # a link: its homes are where it leads
    (other / "plain.jsonl").write_text("{}\n")
    (tmp_path / "linked-day").symlink_to(day)
    (tmp_path / "dangling.jsonl").symlink_to(tmp_path / "nowhere")
    return [
        str(path),
        str(day / "second.jsonl"),
        str(other / path.name),
        str(other / "plain.jsonl"),
        str(tmp_path / "linked-day" / path.name),
        str(tmp_path / "dangling.jsonl"),
        str(tmp_path / "missing.jsonl"),
        os.path.relpath(path),
        str(day) + "/.",
        str(day) + "/..",
    ]


def test_homes_and_real_names_resolved_once_per_folder_are_those_of_each_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CODEX_HOME", str(tmp_path / "other-home"))
    paths = _linked_homes(tmp_path)

    @settings(max_examples=40, deadline=None)
    @given(st.lists(st.sampled_from(paths), max_size=12))
    def check(order: list[str]) -> None:
        homes = homes_by_folder()  # fresh: the order decides which file fills the memo
        for path in order:
            assert homes(path) == codex_homes(path), path
            assert writers._real_name(path) == os.path.basename(os.path.realpath(path)), path

    check()
    assert homes_by_folder()(paths[2])[0] == os.path.realpath(tmp_path / "codex-home")


@needs_flock
def test_a_held_codex_lock_is_a_writer_and_a_leftover_one_is_not(
    tmp_path: Path, holder: type[Child]
) -> None:
    _, path, lock = _codex_home(tmp_path)
    assert codex_lock_paths(path) == [str(lock)]
    assert live_writers(path) == []  # the file a killed Codex leaves behind
    child = holder(LOCKER, str(lock))
    found = live_writers(path, path.read_bytes())
    assert [(w.pid, w.how) for w in found] == [(child.pid if HAS_PROC else None, LOCK_HOW)]
    child.stop()
    assert live_writers(path) == []


@needs_flock
def test_without_proc_locks_flock_itself_tells(
    tmp_path: Path, holder: type[Child], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, path, lock = _codex_home(tmp_path)
    holder(LOCKER, str(lock))
    monkeypatch.setattr(writers, "PROC", str(tmp_path / "no-proc"))
    monkeypatch.setattr(writers.shutil, "which", lambda name: None)  # and no lsof
    assert [(w.pid, w.command, w.how) for w in live_writers(path)] == [(None, "codex", LOCK_HOW)]


@needs_proc
def test_the_lock_and_the_open_rollout_are_found_in_one_scan(
    tmp_path: Path, holder: type[Child], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, path, lock = _codex_home(tmp_path)
    locker = holder(LOCKER, str(lock))
    appender = holder(HOLDER, str(path), "append")
    scans = []
    real = writers._scan_proc
    monkeypatch.setattr(writers, "_scan_proc", lambda t: scans.append(t) or real(t))
    found = live_writers(path)
    assert len(scans) == 1
    assert {(w.pid, w.how) for w in found} == {
        (appender.pid, "has it open for appending"),
        (locker.pid, LOCK_HOW),
    }


# fingerprints -------------------------------------------------------------------------


def test_a_fingerprint_says_how_the_file_changed(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    path.write_bytes(b"one\ntwo\n")
    data, fp = read_with_fingerprint(path)
    assert data == b"one\ntwo\n"
    assert fp.changed(path) is None
    with open(path, "ab") as handle:
        handle.write(b"three\n")
    assert fp.changed(path) == "it grew by 6 bytes"
    assert fp.appended(path) == b"three\n"
    path.write_bytes(b"one\n")
    assert fp.changed(path) == "it shrank by 4 bytes"
    # Same size, same mtime: only the content tells.
    path.write_bytes(b"ONE\ntwo\n")
    os.utime(path, ns=(fp.mtime_ns, fp.mtime_ns))
    assert fp.changed(path, content=False) is None
    assert fp.changed(path) == "its content changed"
    assert fp.appended(path) is None
    other = tmp_path / "other"
    other.write_bytes(b"one\ntwo\n")
    os.replace(other, path)
    assert fp.changed(path) == "it was replaced by another file"
    path.unlink()
    assert fp.changed(path) == "it was deleted"


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=2000), st.binary(max_size=200), st.data())
def test_appends_are_told_apart_from_edits(
    tmp_path_factory: pytest.TempPathFactory, before: bytes, added: bytes, data: st.DataObject
) -> None:
    path = tmp_path_factory.mktemp("fp") / "h.jsonl"
    path.write_bytes(before)
    _, fp = read_with_fingerprint(path)
    with open(path, "ab") as handle:
        handle.write(added)
    assert fp.appended(path) == added
    assert (fp.changed(path) is None) == (not added)
    if before:
        index = data.draw(st.integers(0, len(before) - 1))
        flipped = bytes([before[index] ^ 0xFF])
        path.write_bytes(before[:index] + flipped + before[index + 1 :] + added)
        assert fp.appended(path) is None
        assert fp.changed(path) is not None


# the checked write --------------------------------------------------------------------


def test_a_checked_write_refuses_a_changed_file_and_leaves_it_alone(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    path.write_bytes(b"old\n")
    _, fp = read_with_fingerprint(path)
    with open(path, "ab") as handle:
        handle.write(b"late\n")
    with pytest.raises(FileChangedError, match="grew by 5 bytes"):
        atomic_write(path, b"new\n", expected=fp)
    assert path.read_bytes() == b"old\nlate\n"
    assert [p.name for p in tmp_path.iterdir()] == ["h.jsonl"]  # no temp file left


def test_a_checked_write_of_an_unchanged_file_writes(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    path.write_bytes(b"old\n")
    _, fp = read_with_fingerprint(path)
    assert atomic_write(path, b"new\n", expected=fp) == (0, [])
    assert path.read_bytes() == b"new\n"


def test_lines_appended_to_the_old_file_during_the_rename_are_carried_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer that appends in the instant between the check and the rename writes into
    the replaced inode: those bytes end up at the end of the new file."""
    path = tmp_path / "h.jsonl"
    path.write_bytes(b"old\n")
    _, fp = read_with_fingerprint(path)
    real_replace = os.replace

    def late_writer_then_replace(src: str, dst: str | Path) -> None:
        with open(path, "ab") as handle:  # the agent, just too late for the check
            handle.write(b'{"late":1}\n')
        real_replace(src, dst)

    monkeypatch.setattr(fileio.os, "replace", late_writer_then_replace)
    assert atomic_write(path, b"new\n", expected=fp).carried == len(b'{"late":1}\n')
    assert path.read_bytes() == b'new\n{"late":1}\n'


# Holds argv[1] open for appending, says "ready", waits until the file at that path is
# another file (it was replaced), then appends one line to the old one and exits.
LATE_APPENDER = """
import os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND)
ino = os.fstat(fd).st_ino
print("ready", flush=True)
while os.stat(sys.argv[1]).st_ino == ino:
    time.sleep(0.001)
os.write(fd, b'{"after":"rename"}\\n')
"""


@needs_proc
def test_a_writer_that_opened_the_file_before_the_rename_is_drained(
    tmp_path: Path, holder: type[Child], monkeypatch: pytest.MonkeyPatch
) -> None:
    """It writes into the replaced file after the rename: the write waits for it to let
    go and carries its line over."""
    monkeypatch.setattr(fileio, "DRAIN_SECONDS", 60.0)  # however slow the machine is
    path = tmp_path / "h.jsonl"
    path.write_bytes(b"old\n")
    _, fp = read_with_fingerprint(path)
    holder(LATE_APPENDER, str(path))
    replaced = atomic_write(path, b"new\n", expected=fp)
    assert replaced == (len(b'{"after":"rename"}\n'), [])
    assert path.read_bytes() == b'new\n{"after":"rename"}\n'


@needs_proc
def test_a_writer_that_keeps_the_old_file_is_reported(
    tmp_path: Path, holder: type[Child], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fileio, "DRAIN_SECONDS", 0.0)
    path = tmp_path / "h.jsonl"
    path.write_bytes(b"old\n")
    _, fp = read_with_fingerprint(path)
    child = holder(HOLDER, str(path), "append")
    replaced = atomic_write(path, b"new\n", expected=fp)
    assert [w.pid for w in replaced.still_writing] == [child.pid]
    assert path.read_bytes() == b"new\n"
