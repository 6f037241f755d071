"""`check --jobs N` on fine-tuning data sets: cut into byte ranges at line boundaries and
checked in processes, a data set gives the findings `--jobs 1` gives, in file order, in
every output format; and the lean pass finds what the engine's full read finds."""

from __future__ import annotations

import io
import json
import tempfile
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from context_ls.cli import jobs, progress
from context_ls.cli.check import run_check
from context_ls.cli.files import UsageError
from context_ls.cli.main import build_parser
from context_ls.history.api import analyze
from context_ls.history.dialects.finetune_scan import cut
from context_ls.history.plain import finding_dict
from dataset_rows import DONE, SHAPES, USER, datasets

from .conftest import EXAMPLES, Run


def _run(paths: list[Path], jobs_: int, fmt: str = "json", *extra: str) -> tuple[int, str, str]:
    args = build_parser().parse_args(["check", "--format", fmt, *extra, *map(str, paths)])
    args.jobs = jobs_  # (also `--jobs` once the parser has it)
    out, err = io.StringIO(), io.StringIO()
    code = run_check(args, out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def cut_small(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ranges of a few hundred bytes, workers even for little work, and findings placed by
    the workers (with one job they are placed in the process itself)."""
    monkeypatch.setattr(jobs, "PIECE", 200)
    monkeypatch.setattr(jobs, "PLACE_HERE", 0)
    monkeypatch.setattr(jobs, "MIN_PARALLEL_BYTES", 0)
    monkeypatch.setattr(jobs, "MIN_PARALLEL_FILES", 0)


@pytest.mark.slow
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(datasets(), min_size=1, max_size=3), st.integers(2, 4))
def test_jobs_give_the_findings_of_one_job_in_file_order(
    cut_small: None, data: list[bytes], n: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, content in enumerate(data):
            path = Path(tmp) / f"train-{i}.jsonl"
            path.write_bytes(content)
            paths.append(path)
        for fmt in ("json", "text", "github"):
            one = _run(paths, 1, fmt)
            assert _run(paths, n, fmt) == one
        report = json.loads(_run(paths, n)[1])
        for entry in report["files"]:
            places = [(f["line"], f["column"]) for f in entry["findings"]]
            assert places == sorted(places)


@settings(max_examples=40, deadline=None)
@given(datasets())
def test_the_lean_pass_finds_what_the_full_read_finds(data: bytes) -> None:
    """Every line the typed decode calls clean is one the engine finds nothing in."""
    analysis = analyze(data, "openai-finetune")
    full = sorted(
        (finding_dict(analysis, f) for f in analysis.findings),
        key=lambda f: (f["line"], f["column"], f["code"]),
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "train.jsonl"
        path.write_bytes(data)
        code, out, _err = _run([path], 1, "json", "--dialect", "openai-finetune")
    report = json.loads(out)["files"][0]
    assert report["findings"] == full
    assert report["records"] == analysis.history.record_count
    assert code == (1 if full else 0)


def test_a_big_data_set_is_cut_at_line_boundaries(tmp_path: Path) -> None:
    lines = [json.dumps({"messages": [USER, DONE], "n": "x" * n}) for n in range(200)]
    path = tmp_path / "train.jsonl"
    data = ("\n".join(lines) + "\n").encode()
    path.write_bytes(data)
    for pieces in (1, 2, 3, 7, 50, 500):
        ranges = cut(str(path), len(data), pieces)
        assert ranges[0][0] == 0 and ranges[-1][1] == len(data)
        assert all(a[1] == b[0] for a, b in pairwise(ranges))
        assert all(data[start - 1 : start] == b"\n" for start, _ in ranges[1:])
        assert len(ranges) <= pieces


def test_jobs_must_be_a_positive_number(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(UsageError):
        jobs.resolve_jobs(0)
    monkeypatch.setenv("CONTEXT_LS_JOBS", "3")
    assert jobs.resolve_jobs(None) == 3
    assert jobs.resolve_jobs(1) == 1
    monkeypatch.setenv("CONTEXT_LS_JOBS", "many")
    with pytest.raises(UsageError):
        jobs.resolve_jobs(None)
    monkeypatch.delenv("CONTEXT_LS_JOBS")
    assert jobs.resolve_jobs(None) >= 1


def test_the_command_line_takes_jobs(cli: Run, tmp_path: Path) -> None:
    """`-j/--jobs N` reaches `check`: any N prints what one job prints; 0 is refused."""
    paths = [EXAMPLES / "native-tools.jsonl", EXAMPLES / "openai-chat-messages.json"]
    one = cli("check", "--format", "json", "--jobs", "1", *paths)
    two = cli("check", "--format", "json", "-j", "2", *paths)
    assert one.code == two.code == 1 and one.out == two.out
    refused = cli("check", "--jobs", "0", *paths)
    assert refused.code == 2 and "--jobs 0: give 1 or more" in refused.err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_shows_on_a_terminal_only(
    cut_small: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(progress, "MIN_BYTES", 0)
    monkeypatch.setattr(progress, "INTERVAL", 0)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("TERM", raising=False)
    path = tmp_path / "train.jsonl"
    rows = [{"messages": SHAPES["dangling" if i % 5 else "healthy"]} for i in range(40)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    args = build_parser().parse_args(["check", str(path)])
    args.jobs = 2
    plain_err, terminal = io.StringIO(), _Terminal()
    assert run_check(args, io.StringIO(), plain_err) == 1
    assert plain_err.getvalue() == ""
    assert run_check(args, io.StringIO(), terminal) == 1
    drawn = terminal.getvalue()
    assert "█" in drawn and "1/1 files" in drawn and drawn.endswith("\r")
    monkeypatch.setenv("CI", "true")
    ci = _Terminal()
    assert run_check(args, io.StringIO(), ci) == 1
    assert ci.getvalue() == ""


def test_files_of_every_dialect_spread_over_processes_give_the_same_report(
    cut_small: None, tmp_path: Path
) -> None:
    """Files of other dialects go to the workers whole (never cut): same output, same order,
    skipped and unreadable files included."""
    (tmp_path / "package.json").write_text('{"name": "x"}')
    (tmp_path / "broken.jsonl").write_bytes(b"\xff\xfe\n")
    paths = [EXAMPLES, tmp_path]
    for fmt in ("json", "text", "github"):
        one = _run(paths, 1, fmt, "--verbose") if fmt == "text" else _run(paths, 1, fmt)
        many = _run(paths, 3, fmt, "--verbose") if fmt == "text" else _run(paths, 3, fmt)
        assert many == one
    assert json.loads(_run(paths, 3)[1])["summary"]["histories"] >= 5
