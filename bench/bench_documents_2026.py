"""`context-ls check --format json` on big request bodies of the 2026 dialects, against an
Anthropic document of the same conversation and size: a ~28 MB pretty-printed Bedrock
Converse body, Gemini API contents and Anthropic messages, each generated here (the same
turns, calls and planted faults in each dialect's shape). Whole-process medians of
alternating runs, peak RSS; prints figures and ratios.

    python bench/bench_documents_2026.py [runs]
"""

from __future__ import annotations

import json
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from common import DATA, compile_sources

CLI = [sys.executable, "-m", "context_ls"]
TARGET_BYTES = 28_000_000
FAULT_EVERY = 400  # a call left without its output, and an orphan output, this often

# One turn: (user text, [(call id, tool, arguments, output text or None)], closing text).
Turn = tuple[str, list[tuple[str, str, dict[str, Any], str | None]], str]


def turns(seed: int = 7) -> Iterator[Turn]:
    """An endless conversation of a coding agent: reads, greps, test runs."""
    rng = random.Random(seed)
    words = [
        "the",
        "build",
        "test",
        "file",
        "module",
        "error",
        "index",
        "cache",
        "request",
        "retry",
        "token",
        "parse",
    ]
    n = 0
    while True:
        n += 1
        calls = []
        for k in range(rng.choice((1, 1, 2, 3))):
            tool = rng.choice(("read_file", "grep", "run_tests"))
            body = " ".join(rng.choice(words) for _ in range(rng.randint(150, 500)))
            output = None if n % FAULT_EVERY == 0 and k == 0 else body
            calls.append((f"tooluse_{n:07d}x{k}", tool, {"path": f"src/m{n % 97}.py"}, output))
        text = " ".join(rng.choice(words) for _ in range(40))
        yield f"step {n}: {text}", calls, f"done with step {n}"


def orphan(n: int) -> bool:
    return n % FAULT_EVERY == FAULT_EVERY // 2


def bedrock(turn: Turn, n: int) -> list[Any]:
    ask, calls, done = turn
    uses = [{"toolUse": {"toolUseId": c, "name": t, "input": a}} for c, t, a, _ in calls]
    results = [
        {"toolResult": {"toolUseId": c, "content": [{"text": o}], "status": "success"}}
        for c, _, _, o in calls
        if o is not None
    ]
    if orphan(n):
        results.append({"toolResult": {"toolUseId": f"gone_{n}", "content": [{"text": "x"}]}})
    return [
        {"role": "user", "content": [{"text": ask}]},
        {"role": "assistant", "content": [{"text": "Looking."}, *uses]},
        {"role": "user", "content": results or [{"text": "(none)"}]},
        {"role": "assistant", "content": [{"text": done}]},
    ]


def gemini(turn: Turn, n: int) -> list[Any]:
    ask, calls, done = turn
    asked = [
        {"functionCall": {"id": c, "name": t, "args": a}, "thoughtSignature": "c2lnbmF0dXJl"}
        for c, t, a, _ in calls
    ]
    answered = [
        {"functionResponse": {"id": c, "name": t, "response": {"output": o}}}
        for c, t, _, o in calls
        if o is not None
    ]
    if orphan(n):
        answered.append({"functionResponse": {"id": f"gone_{n}", "name": "grep", "response": {}}})
    return [
        {"role": "user", "parts": [{"text": ask}]},
        {"role": "model", "parts": asked},
        {"role": "user", "parts": answered or [{"text": "(none)"}]},
        {"role": "model", "parts": [{"text": done}]},
    ]


def anthropic(turn: Turn, n: int) -> list[Any]:
    ask, calls, done = turn
    uses = [{"type": "tool_use", "id": c, "name": t, "input": a} for c, t, a, _ in calls]
    results = [
        {"type": "tool_result", "tool_use_id": c, "content": o}
        for c, _, _, o in calls
        if o is not None
    ]
    if orphan(n):
        results.append({"type": "tool_result", "tool_use_id": f"gone_{n}", "content": "x"})
    return [
        {"role": "user", "content": ask},
        {"role": "assistant", "content": [{"type": "text", "text": "Looking."}, *uses]},
        {"role": "user", "content": results or "(none)"},
        {"role": "assistant", "content": [{"type": "text", "text": done}]},
    ]


def document(name: str, key: str, shape: Callable[[Turn, int], list[Any]], count: int) -> Path:
    """The body of the first `count` turns in `shape`, made once and kept."""
    path = DATA / f"{name}-{count}.json"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        records = [
            r for n, t in zip(range(1, count + 1), turns(), strict=False) for r in shape(t, n)
        ]
        path.write_text(json.dumps({key: records}, indent=2))
    return path


def turn_count() -> int:
    """How many turns make a ~28 MB pretty-printed Bedrock body."""
    sample = 200
    size = len(
        json.dumps(
            [r for n, t in zip(range(1, sample + 1), turns(), strict=False) for r in bedrock(t, n)],
            indent=2,
        )
    )
    return int(TARGET_BYTES / size * sample)


def _time(path: Path) -> tuple[float, dict[str, Any]]:
    start = time.perf_counter()
    done = subprocess.run(
        [*CLI, "check", "--format", "json", str(path)], capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - start
    return elapsed, json.loads(done.stdout)


def _peak_rss_mb(path: Path) -> float:
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%M", *CLI, "check", "--format", "json", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    return int(done.stderr.strip().splitlines()[-1]) / 1024


def main(runs: int) -> None:
    compile_sources()
    count = turn_count()
    paths = {
        "bedrock-converse": document("bedrock", "messages", bedrock, count),
        "gemini-api": document("gemini", "contents", gemini, count),
        "anthropic": document("anthropic", "messages", anthropic, count),
    }
    times: dict[str, list[float]] = {name: [] for name in paths}
    summaries: dict[str, dict[str, Any]] = {}
    for _ in range(runs):  # alternating, so that load on the machine hits every dialect
        for name, path in paths.items():
            elapsed, out = _time(path)
            times[name].append(elapsed)
            [file] = out["files"]
            assert file["dialect"] == name, (path, file["dialect"])
            summaries[name] = out["summary"]["by_code"]
    base = statistics.median(times["anthropic"])
    print(f"{count} turns each; check --format json, median of {runs} runs:")
    for name, path in paths.items():
        median = statistics.median(times[name])
        print(
            f"  {name:17} {path.stat().st_size / 1e6:5.1f} MB  {median:6.3f} s  "
            f"x{median / base:4.2f} of anthropic  peak RSS {_peak_rss_mb(path):5.0f} MB  "
            f"findings {summaries[name]}"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
