"""`context_ls.datasets.check_row`: one data set line's findings, the ones `check` prints
for it; and the Dask recipe of docs/datasets.md, run as written on a local cluster of two
worker processes over sharded JSONL, giving exactly the CLI's findings."""

from __future__ import annotations

import io
import json
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

from context_ls.cli.check import run_check
from context_ls.cli.main import build_parser
from context_ls.datasets import FIELDS, check_row
from dataset_rows import DONE, datasets
from dataset_rows import ask as _ask
from dataset_rows import call as _call

DOC = Path(__file__).resolve().parents[1] / "docs" / "datasets.md"
TOOLS = [{"type": "function", "function": {"name": "shell", "parameters": {}}}]
USER = {"role": "user", "content": "héllo"}
KEY = "sk-proj-" + "A1b2C3d4E5f6G7h8I9j0" * 2


def _row(*messages: Any, tools: bool = True) -> str:
    return json.dumps({"messages": list(messages), **({"tools": TOOLS} if tools else {})})


LINES = [
    _row(USER, _ask(_call("c1"))),  # the target: no output by design
    _row(USER, _ask(_call("c1")), USER, DONE),  # H001
    _row(USER, {"role": "tool", "tool_call_id": "c9", "content": "x"}, DONE),  # H002
    _row(USER, _ask(_call("c1", "rm", {"a": 1})), DONE),  # H014, H015
    _row({"role": "robot", "content": "x"}, DONE, tools=False),  # H016
    "",
    "not json",  # H007
    _row({"role": "user", "content": f"key {KEY}"}, DONE),  # H010
]


def _cli(paths: list[Path]) -> dict[str, Any]:
    args = build_parser().parse_args(["check", "--format", "json", *map(str, paths)])
    args.jobs = 1
    out = io.StringIO()
    run_check(args, out, io.StringIO())
    report: dict[str, Any] = json.loads(out.getvalue())
    return report


def _shards(folder: Path, count: int) -> list[Path]:
    paths = []
    for n in range(count):
        lines = LINES[n % len(LINES) :] + LINES[: n % len(LINES)] + LINES[:2]
        path = folder / f"shard-{n:02d}.jsonl"
        path.write_text("\n".join([_row(USER, DONE), *lines]) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def test_check_row_gives_what_check_prints_for_that_line(tmp_path: Path) -> None:
    (path,) = _shards(tmp_path, 1)
    report = _cli([path])["files"][0]
    assert {f["code"] for f in report["findings"]} >= {"H001", "H002", "H007", "H010", "H016"}
    rows = path.read_text(encoding="utf-8").splitlines(keepends=True)
    by_row = [f for n, line in enumerate(rows, 1) for f in check_row(line, n)]
    assert by_row == report["findings"]
    for finding in by_row:
        assert tuple(finding) == FIELDS
        assert json.loads(json.dumps(finding)) == finding  # plain JSON values only


def test_check_row_takes_bytes_and_one_line_only() -> None:
    line = _row(USER, _ask(_call("c1")), USER, DONE)
    assert check_row(line.encode(), 4) == check_row(line + "\r\n", 4)
    assert check_row(line, 4)[0]["message"].startswith("line 4, message 2: call c1")
    assert check_row("   \n") == []
    assert check_row(b"\xff\xfe not utf-8")[0]["code"] == "H007"
    assert check_row("\ufeff" + line) == check_row(line)  # the first line's byte-order mark
    assert [f["code"] for f in check_row(_row({"role": "user", "content": KEY}, DONE))] == ["H010"]
    assert check_row(_row({"role": "user", "content": KEY}, DONE), secrets=False) == []
    with pytest.raises(ValueError, match="one line"):
        check_row(line + "\n" + line)
    with pytest.raises(ValueError, match="1-based"):
        check_row(line, 0)


@settings(max_examples=40, deadline=None)
@given(datasets())
def test_check_row_over_the_lines_of_any_data_set_gives_the_cli_findings(data: bytes) -> None:
    """Line by line, as a pipeline maps rows (a final newline kept: `check_row` cannot
    know it is the file's last line)."""
    data = data if data.endswith(b"\n") else data + b"\n"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "train.jsonl"
        path.write_bytes(data)
        expected = _cli([path])["files"][0]["findings"]
    rows = data.split(b"\n")
    assert [f for n, row in enumerate(rows, 1) for f in check_row(row, n)] == expected


def _recipe() -> dict[str, Any]:
    """The first Python block of docs/datasets.md (the recipe), run as written."""
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    namespace: dict[str, Any] = {}
    exec(compile(blocks[0], str(DOC), "exec"), namespace)
    return namespace


@pytest.mark.slow
def test_the_dask_recipe_on_two_workers_gives_the_cli_findings(tmp_path: Path) -> None:
    pytest.importorskip("dask.bag", reason="the dask extra is not installed")
    distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")
    paths = _shards(tmp_path, 6)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        assert len(client.scheduler_info()["workers"]) == 2
        found = _recipe()["check_shards"](str(tmp_path / "shard-*.jsonl"))
    expected = [
        {"path": Path(entry["path"]).resolve(), **f}
        for entry in _cli(paths)["files"]
        for f in entry["findings"]
    ]
    got = [{**f, "path": Path(f["path"]).resolve()} for f in found]
    assert len(got) > 20
    assert got == expected
