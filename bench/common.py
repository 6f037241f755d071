"""What the benchmarks share."""

from __future__ import annotations

import compileall
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# ../shared/bench (beside the repository in CI, not in a plain clone): the speed floor and
# the generator the published figures were measured with. Optional: see `rollout`.
SHARED = ROOT.parent / "shared" / "bench"
OWN_GENERATOR = ROOT / "bench" / "gen_rollout.py"
DATA = ROOT / "bench" / "data"


def compile_sources() -> None:
    """Measure `context-ls` as an installed package runs: from bytecode. Without it, a
    process started where PYTHONDONTWRITEBYTECODE is set compiles every module again
    (~40 ms of a 0.15 s `check`)."""
    compileall.compile_dir(ROOT / "server", quiet=1)


def rollout(turns: int) -> Path:
    """A Codex rollout of `turns` turns, made once and kept: from ../shared/bench's
    generator when it is there (the README's figures were measured on its files), else from
    the project's own `bench/gen_rollout.py` (same fault pattern, ~7% bigger files)."""
    shared = SHARED / "gen_rollout.py"
    if shared.exists():
        generator, path = shared, DATA / f"rollout-{turns}.jsonl"
    else:
        generator, path = OWN_GENERATOR, DATA / f"rollout-own-{turns}.jsonl"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        print(f"generating {path.name} ({turns} turns, {generator}) …", flush=True)
        subprocess.run([sys.executable, str(generator), str(turns), str(path)], check=True)
    return path
