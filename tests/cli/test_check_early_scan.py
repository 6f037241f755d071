"""`check` begins a big file's secrets scan in a forked child while it reads the file: the
same findings as a scan in this process, the child collected, never one in a worker."""

from __future__ import annotations

import contextlib
import io
import json
import multiprocessing
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest.mock import patch

import pytest

from context_ls import secrets, secrets_early
from context_ls.cli.check import _alone, check_file
from context_ls.cli.checked import Settings
from context_ls.history import docscan, position
from context_ls.secrets import SecretMatch

from .conftest import EXAMPLES, Run

KEY = "sk-ant-api03-" + "x1Y2z3" * 15 + "-AA"


def big_document(path: Path) -> Path:
    """The Chat example with its messages repeated, a key in every hundredth one."""
    doc = json.loads((EXAMPLES / "openai-chat-messages.json").read_bytes())
    messages = []
    for n in range(400):
        messages.append({"role": "user", "content": f"turn {n} " + (KEY if n % 100 == 7 else "")})
        messages += doc["messages"]
    path.write_text(json.dumps({"messages": messages}, indent=2))
    return path


@contextmanager
def children_seen(
    kind: type[secrets_early.EarlyScan] | type[secrets_early.FileScan],
) -> Iterator[list[int | None]]:
    """The child's pid (None: no child) of every scan of `kind` collected meanwhile."""
    pids: list[int | None] = []
    original = kind.collect

    def collect(scan: secrets_early.EarlyScan | secrets_early.FileScan) -> list[SecretMatch]:
        pids.append(scan.pid)
        return original(scan)  # type: ignore[arg-type]

    with patch.object(kind, "collect", collect):
        yield pids


def test_a_big_document_is_scanned_by_a_child_with_the_same_findings(
    tmp_path: Path, cli: Run
) -> None:
    path = big_document(tmp_path / "big.json")
    with (
        patch.object(secrets, "_WINDOW", 20_000),
        patch.object(secrets, "_MARGIN", 17_000),
        patch.object(secrets_early, "MIN_BYTES", 0),
    ):
        if not secrets_early._may_fork(len(path.read_bytes())):
            pytest.skip("this process may not fork (no fork, threads, or one core)")
        with children_seen(secrets_early.EarlyScan) as pids:
            early = cli("check", "--format", "json", path)
        alone = check_file(path, True, Settings())  # no child: `collect` is not patched
    assert pids and pids[0] is not None
    [entry] = json.loads(early.out)["files"]
    assert entry["findings"] == alone.findings
    assert sum(f["code"] == "H010" for f in alone.findings) == 4


def test_h010_ignored_means_no_scan(tmp_path: Path, cli: Run) -> None:
    path = big_document(tmp_path / "big.json")
    with patch.object(secrets, "_bytes_re", side_effect=AssertionError("scanned")):
        result = cli("check", "--format", "json", "--ignore", "H010", path)
    [entry] = json.loads(result.out)["files"]
    assert entry["findings"] and all(f["code"] != "H010" for f in entry["findings"])


def _in_worker(queue: multiprocessing.Queue[bool]) -> None:
    queue.put(_alone())


def test_a_jobs_worker_does_not_fork_again() -> None:
    assert _alone()
    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("workers are not forked here")
    context = multiprocessing.get_context("fork")
    queue: multiprocessing.Queue[bool] = context.Queue()
    worker = context.Process(target=_in_worker, args=(queue,))
    worker.start()
    try:
        assert queue.get(timeout=60) is False
    finally:
        worker.join(60)


def test_a_streamed_file_asked_for_h010_is_scanned_by_a_child(tmp_path: Path, cli: Run) -> None:
    """`--select H010` on a file big enough to be streamed (the threshold lowered here)."""
    from context_ls.history import stream

    line = json.dumps({"type": "message", "role": "user", "content": "words " * 40})
    lines = [line] * 6000
    for n in (5, 2500, 5990):
        lines[n] = json.dumps({"type": "message", "role": "user", "content": f"key {KEY}"})
    path = tmp_path / "big.jsonl"
    path.write_text("\n".join(lines) + "\n")
    with (
        patch.object(stream, "STREAM_THRESHOLD", 1 << 20),
        patch.object(secrets_early, "FILE_CHUNK", 100_000),
        patch.object(secrets_early, "MIN_BYTES", 0),
        children_seen(secrets_early.FileScan) as pids,
    ):
        if not secrets_early._may_fork(path.stat().st_size):
            pytest.skip("this process may not fork (no fork, threads, or one core)")
        early = cli("check", "--format", "json", "--select", "H010", path)
        with patch("context_ls.cli.check._alone", return_value=False):
            alone = cli("check", "--format", "json", "--select", "H010", path)
    assert pids[0] is not None and pids[1] is None  # a child, then none
    assert early.out == alone.out
    [entry] = json.loads(early.out)["files"]
    assert [f["line"] for f in entry["findings"]] == [6, 2501, 5991]


@contextmanager
def small_units(path: Path) -> Iterator[None]:
    """A small file scanned as a big one: small windows, every size worth a child."""
    from context_ls.cli import main

    with (
        patch.object(secrets, "_WINDOW", 20_000),
        patch.object(secrets, "_MARGIN", 17_000),
        patch.object(secrets_early, "MIN_BYTES", 0),
        patch.object(main, "_EARLY_SCAN_BYTES", 0),
        patch.object(docscan, "MIN_BYTES", 0),  # the lean read, placed with the child's counts
        patch.object(position, "BLOCK", 4096),
    ):
        if not secrets_early._may_fork(path.stat().st_size):
            pytest.skip("this process may not fork (no fork, threads, or one core)")
        yield


def test_a_named_document_s_scan_begins_before_it_is_read(tmp_path: Path, cli: Run) -> None:
    """The child reads the file itself, before `check` has even imported its reader; the
    scan is taken over, and the findings are those of a scan in this process."""
    path = big_document(tmp_path / "big.json")
    with small_units(path), children_seen(secrets_early._FileAhead) as pids:
        early = cli("check", "--format", "json", path)
    alone = check_file(path, True, Settings())
    assert pids and pids[0] is not None
    assert not secrets_early._AHEAD
    assert json.loads(early.out)["files"][0]["findings"] == alone.findings


def test_a_file_changed_after_its_scan_began_is_scanned_as_read(tmp_path: Path) -> None:
    path = big_document(tmp_path / "big.json")
    with small_units(path):
        secrets_early.begin_file_scan(str(path))
        [ahead] = secrets_early._AHEAD.values()
        doc = json.loads(path.read_bytes())
        doc["messages"].append({"role": "user", "content": f"one more {KEY}"})
        path.write_text(json.dumps(doc, indent=2))
        with children_seen(secrets_early._FileAhead) as pids:
            found = check_file(path, True, Settings()).findings
    assert not pids and not secrets_early._AHEAD  # not taken over
    assert ahead.pid is None  # ended and reaped
    assert sum(f["code"] == "H010" for f in found) == 5  # the new key too


def test_a_scan_never_taken_over_is_ended_at_exit(tmp_path: Path) -> None:
    path = big_document(tmp_path / "big.json")
    with small_units(path):
        secrets_early.begin_file_scan(str(path))
    [ahead] = secrets_early._AHEAD.values()
    pid = ahead.pid
    assert pid is not None
    secrets_early._end_unclaimed()  # what the exit handler runs
    assert not secrets_early._AHEAD
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaped: no zombie


def test_the_child_counts_the_newlines_that_place_findings(tmp_path: Path) -> None:
    """The child sends the newlines of each block of its windows; a line index given them
    places every offset as one that counts them itself, until the scan is closed."""
    path = big_document(tmp_path / "big.json")
    data = path.read_bytes()
    with small_units(path), secrets_early.start_scan(data) as scan:
        assert scan.pid is not None
        secrets.find_secrets(data)
        known = secrets_early.newline_counts(data)
        assert known
        block = position.BLOCK
        for n, count in known.items():
            assert (n + 1) * block <= len(data)
            assert count == data.count(b"\n", n * block, (n + 1) * block)
        given, counted = position.LineIndex(data, known), position.LineIndex(data)
        for offset in range(0, len(data), 997):
            assert given.position(offset) == counted.position(offset)
    assert secrets_early.newline_counts(data) == {}


@pytest.mark.parametrize(
    ("words", "plain", "scanned"),
    [
        (["check", "DOC"], True, True),
        (["check", "--format", "json", "DOC"], True, True),
        (["check", "DOC", "--format=text"], True, True),
        (["check", "--format", "json", "--format", "github", "DOC"], True, True),
        (["check", "--select", "H010", "DOC"], False, False),  # not every rule: no scan
        (["check", "-v", "DOC"], False, True),  # read by the parser, then begun
        (["check", "--form", "json", "DOC"], False, True),  # a prefix argparse takes
        (["check", "--format", "bogus", "DOC"], False, False),  # the parser says what is wrong
        (["check", "--format", "DOC"], False, False),
        (["check", "--format"], False, False),
        (["check", "DOC", "DOC"], True, False),  # plain, but no early scan: two documents
        (["check"], False, False),
        (["normalize", "DOC"], False, False),
        ([], False, False),
    ],
)
def test_a_plain_check_is_read_as_the_parser_reads_it(
    words: list[str], plain: bool, scanned: bool, tmp_path: Path
) -> None:
    """Only `check [--format F] PATH…` is read without the parser, as the parser reads it;
    the scan of one document begins then, or once a check of it is parsed."""
    from context_ls.cli import check, main
    from context_ls.cli.parser import build_parser

    path = big_document(tmp_path / "big.json")
    words = [str(path) if word == "DOC" else word for word in words]
    read = main._plain_check(words)
    assert (read is not None) is plain
    if read is not None:
        assert vars(read) == vars(build_parser().parse_args(words))
    with (
        patch.object(main, "_begin_file_scan", return_value=True) as begin,
        patch.object(check, "run_check", return_value=0),
        contextlib.suppress(SystemExit),  # a usage error
    ):
        main.main(words)
    assert bool(begin.call_args_list) is scanned


def test_only_the_process_started_for_one_document_stops_its_collector(
    tmp_path: Path, cli: Run
) -> None:
    """`run` (the process entry) pauses the garbage collector for a lone big document and
    keeps its lean read to the end; a caller of `main` in its own process (the tests, an
    editor's host) keeps its collector, and frees what it reads."""
    import gc

    from context_ls.cli import main

    path = tmp_path / "clean.json"  # read leanly: one record kept (the last message)
    messages = [{"role": ("user", "assistant")[n % 2], "content": f"turn {n}"} for n in range(3000)]
    path.write_text(json.dumps({"messages": messages}, indent=2))
    with small_units(path):
        cli("check", "--format", "json", path)
        assert gc.isenabled() and docscan.KEPT is None
        try:
            with patch.object(sys, "stdout", io.StringIO()):
                main.main(["check", "--format", "json", str(path)], entry=True)
            assert not gc.isenabled()
            assert docscan.KEPT is not None and len(docscan.KEPT) == 1
        finally:
            gc.enable()
            docscan.KEPT = None


def test_a_file_cut_short_while_its_child_starts_never_kills_the_child(tmp_path: Path) -> None:
    """A writer that truncates, then writes (an agent saving a whole-file session): the
    child reads the file rather than mapping it, so it never meets a page gone from under
    a map (SIGBUS, and a crash report); it just sends nothing."""
    path = tmp_path / "big.json"
    record = b'{"role": "user", "content": "' + b"x" * 200 + b'"},\n'
    body = b'{"messages": [' + record * 100_000  # 23 MB
    for pause in (0.0, 0.01, 0.03, 0.06):  # the cut lands at different points of its work
        path.write_bytes(body + b'{"role": "user", "content": "end"}]}')
        secrets_early.begin_file_scan(str(path))
        if not secrets_early._AHEAD:
            pytest.skip("this process may not fork (no fork, threads, or one core)")
        [ahead] = secrets_early._AHEAD.values()
        pid = ahead.pid
        assert pid is not None
        time.sleep(pause)
        os.truncate(path, 100)
        _, status = os.waitpid(pid, 0)
        ahead._units.pid = None  # reaped here
        secrets_early._end_unclaimed()
        assert not os.WIFSIGNALED(status)


def test_the_scan_modules_import_without_unix_only_map_flags() -> None:
    """Windows' mmap has no MAP_* flags: the modules that may fork a scan still import
    there (the fork itself is asked for only where there is one)."""
    code = (
        "import mmap\n"
        "for name in [n for n in dir(mmap) if n.startswith('MAP_')]: delattr(mmap, name)\n"
        "import context_ls.secrets_early, context_ls.history.analysis, context_ls.cli.main\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
