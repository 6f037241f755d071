"""`bench/gen_rollout.py`, the project's own big-rollout generator (the tests that need a
big history use it, so they need nothing beside the repository): same arguments, same
bytes; and `check` finds exactly the faults it says it wrote."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GEN_ROLLOUT = ROOT / "bench" / "gen_rollout.py"


def _generate(out: Path, turns: int, *extra: str) -> str:
    done = subprocess.run(
        [sys.executable, str(GEN_ROLLOUT), str(turns), str(out), *extra],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def test_same_arguments_same_bytes(tmp_path: Path) -> None:
    first, again, other = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "c.jsonl"
    _generate(first, 300)
    _generate(again, 300)
    _generate(other, 300, "--seed", "8")
    assert first.read_bytes() == again.read_bytes()
    assert first.read_bytes() != other.read_bytes()
    lines = first.read_bytes().splitlines()
    assert all(json.loads(line)["type"] for line in lines)


def test_check_finds_exactly_the_written_faults(tmp_path: Path) -> None:
    out = tmp_path / "rollout.jsonl"
    said = _generate(out, 3000)
    # Calls 0, 997, 1994 and 2991 have no output; orphan_0, _1499 and _2998 no call.
    assert "3000 turns, 4 dangling calls, 3 orphan outputs" in said
    assert out.stat().st_size > 10_000_000
    done = subprocess.run(
        [sys.executable, "-m", "context_ls", "check", "--format", "json", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(done.stdout)
    [found] = report["files"]
    assert found["dialect"] == "codex"
    assert report["summary"]["by_code"] == {"H001": 4, "H002": 3}
    dangling = sorted(f["call_id"] for f in found["findings"] if f["code"] == "H001")
    assert dangling == [f"call_{i:08d}" for i in (0, 997, 1994, 2991)]


def test_bad_arguments_are_refused_clearly(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(GEN_ROLLOUT), "-1", str(tmp_path / "x.jsonl")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2 and "turns must be 0 or more" in done.stderr
    done = subprocess.run(
        [sys.executable, str(GEN_ROLLOUT), "5", str(tmp_path / "no" / "x.jsonl")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2 and "cannot write" in done.stderr
    assert "Traceback" not in done.stderr
