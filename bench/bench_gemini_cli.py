"""`context-ls check` on a large Gemini CLI JSONL upsert log, against a Codex rollout and a
Claude Code transcript of about the same size: whole-process times, medians of alternating
runs, and peak memory. Prints figures and ratios.

The log is written the way the CLI writes one: each answer three times (as it streamed,
with its tool calls and their results, with its tokens), `$set` lines noting the time, a
rewind now and then, and a few calls left without a result. Made once, kept in bench/data.

    python bench/bench_gemini_cli.py [megabytes]   (default 60)
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from random import Random

from common import DATA, compile_sources, rollout

CLI = [sys.executable, "-m", "context_ls", "check", "--format", "json"]
RUNS = 3


def _line(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def gemini_log(megabytes: int) -> Path:
    """A session log of about `megabytes` MB (made once)."""
    path = DATA / f"gemini-cli-{megabytes}mb.jsonl"
    if path.exists():
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    print(f"generating {path.name} …", flush=True)
    rng = Random(15)
    target = megabytes * 1_000_000
    size = 0
    with path.open("wb") as out:
        head = {"sessionId": "b3c0", "projectHash": "9f" * 32, "startTime": "2026-03-01T10:00:00Z"}
        size += out.write(_line({**head, "lastUpdated": head["startTime"], "kind": "main"}))
        turn = 0
        while size < target:
            size += sum(out.write(line) for line in _turn(rng, turn))
            turn += 1
    return path


def _turn(rng: Random, t: int) -> list[bytes]:
    stamp = f"2026-03-01T{10 + t // 3600 % 10}:{t // 60 % 60:02d}:{t % 60:02d}.000Z"
    user = {"id": f"u-{t}", "timestamp": stamp, "type": "user", "content": f"step {t}"}
    calls = []
    for k in range(rng.randint(1, 4)):
        call_id = f"run_shell_command-{1770000000000 + 10 * t + k}-{rng.getrandbits(40):010x}"
        body = "\n".join(
            f"line {n}: {'x' * rng.randint(20, 90)}" for n in range(rng.randint(5, 60))
        )
        part = {"functionResponse": {"id": call_id, "name": "run_shell_command",
                                     "response": {"output": body}}}  # fmt: skip
        entry = {"id": call_id, "name": "run_shell_command", "args": {"command": f"make {k}"},
                 "result": [part], "status": "success", "timestamp": stamp,
                 "resultDisplay": body[:200], "displayName": "Shell", "description": "",
                 "renderOutputAsMarkdown": False}  # fmt: skip
        if t % 997 == 5 and k == 0:  # the CLI died while it ran
            del entry["result"]
            entry["status"] = "executing"
        calls.append(entry)
    answer = {"id": f"g-{t}", "timestamp": stamp, "type": "gemini", "content": "",
              "thoughts": [{"subject": "Plan", "description": "Run it.", "timestamp": stamp}],
              "model": "gemini-2.5-pro"}  # fmt: skip
    with_calls = {**answer, "toolCalls": calls}
    counted = {
        **with_calls,
        "tokens": {"input": 9000 + t, "output": 40, "cached": 0, "total": 9040},
    }
    lines = [_line(user), _line(answer), _line({"$set": {"lastUpdated": stamp}})]
    lines += [_line(with_calls), _line(counted), _line({"$set": {"lastUpdated": stamp}})]
    if t % 500 == 499:  # the user rewinds the last prompt and asks again
        lines.append(_line({"$rewindTo": f"u-{t}"}))
    return lines


def _timed(path: Path) -> tuple[float, dict[str, int]]:
    start = time.perf_counter()
    done = subprocess.run([*CLI, str(path)], capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        sys.exit(f"check {path.name} failed ({done.returncode}): {done.stderr.strip()}")
    return elapsed, json.loads(done.stdout)["summary"]["by_code"]


def _peak_rss_mb(path: Path) -> float | None:
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%M", *CLI, str(path)], capture_output=True, text=True, check=False
    )
    try:
        return int(done.stderr.strip().splitlines()[-1]) / 1024
    except (ValueError, IndexError):
        return None


def main() -> None:
    megabytes = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    compile_sources()
    gemini = gemini_log(megabytes)
    codex = rollout(max(100, 5800 * megabytes // 25))  # 5800 turns make ~25 MB
    files = {"gemini-cli": gemini, "codex": codex}
    claude = DATA / "claude-code-39mb.jsonl"  # bench_sessions.py makes it
    if claude.exists():
        files["claude-code"] = claude
    times: dict[str, list[float]] = {name: [] for name in files}
    found: dict[str, dict[str, int]] = {}
    for _ in range(RUNS):  # alternating, so a busy moment hurts them alike
        for name, path in files.items():
            elapsed, found[name] = _timed(path)
            times[name].append(elapsed)
    base = statistics.median(times["codex"]) / (codex.stat().st_size / 1e6)
    for name, path in files.items():
        mb = path.stat().st_size / 1e6
        median = statistics.median(times[name])
        rss = _peak_rss_mb(path)
        memory = f", peak RSS {rss:.0f} MB" if rss is not None else ""
        print(
            f"{name:12} {mb:6.1f} MB  check median {median:.3f} s  ({median / mb * 1000:.1f} ms/MB,"
            f" {median / mb / base:.2f}x codex per MB){memory}  findings {found[name]}"
        )


if __name__ == "__main__":
    main()
