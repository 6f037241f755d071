"""What the benchmarks share."""

from __future__ import annotations

import compileall
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "bench"
DATA = ROOT / "bench" / "data"


def compile_sources() -> None:
    """Measure `context-ls` as an installed package runs: from bytecode. Without it, a
    process started where PYTHONDONTWRITEBYTECODE is set compiles every module again
    (~40 ms of a 0.15 s `check`)."""
    compileall.compile_dir(ROOT / "server", quiet=1)


def rollout(turns: int) -> Path:
    """A Codex rollout of `turns` turns from the shared generator, made once and kept."""
    path = DATA / f"rollout-{turns}.jsonl"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        print(f"generating {path.name} ({turns} turns) …", flush=True)
        subprocess.run(
            [sys.executable, str(SHARED / "gen_rollout.py"), str(turns), str(path)], check=True
        )
    return path
