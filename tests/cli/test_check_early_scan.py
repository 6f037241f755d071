"""`check` begins a big file's secrets scan in a forked child while it reads the file: the
same findings as a scan in this process, the child collected, never one in a worker."""

from __future__ import annotations

import json
import multiprocessing
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest.mock import patch

import pytest

from context_ls import secrets, secrets_early
from context_ls.cli.check import _alone, check_file
from context_ls.cli.checked import Settings
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
