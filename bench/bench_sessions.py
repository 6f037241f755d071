"""`context-ls sessions` on a home with 2,000 sessions:
`python bench/bench_sessions.py [N] [--runs R]`.

Generates (seeded, in a temporary folder) N sessions laid out as the agents lay them out:
60% Codex rollouts over two months of date folders, 30% Claude Code transcripts over 30
projects, 10% Gemini CLI sessions (half whole-file JSON, half JSONL logs) over 10 projects;
10 to 150 turns each, one in 20 with a call that has no output. Then times the whole
command, as a process:

- cold: `sessions --all --format json` with an empty state folder (every file analysed),
  R times (3 by default), each with a new state folder: on a shared machine one run says
  little, so each is printed and the best is the figure;
- warm: the same again (counts from the cache, files only stat'ed);
- project: `sessions` of one project (what a user types first), cold and warm.

The goal is a listing under 2 s; the figures are printed, not asserted. Each also shows the
CPU time the command used (all its processes): on a shared machine the wall time depends on
what else runs, the CPU time much less.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SEED = 17


def _codex(rng: random.Random, sid: str, cwd: str, turns: int, broken: bool) -> str:
    t = "2026-03-01T10:00:00.000Z"
    meta = {
        "id": sid,
        "timestamp": t,
        "cwd": cwd,
        "originator": "codex_cli_rs",
        "cli_version": "0.60.0",
        "base_instructions": {"text": "x" * 4000},
    }
    lines = [{"timestamp": t, "type": "session_meta", "payload": meta}]
    for n in range(turns):
        call = f"call_{n}"
        lines.append(
            {
                "timestamp": t,
                "type": "response_item",
                "payload": {
                    "type": "function_call",
                    "name": "shell",
                    "call_id": call,
                    "arguments": json.dumps(
                        {"command": ["rg", "-n", f"word{rng.randint(0, 999)}"]}
                    ),
                },
            }
        )
        if not (broken and n == turns - 1):
            lines.append(
                {
                    "timestamp": t,
                    "type": "response_item",
                    "payload": {
                        "type": "function_call_output",
                        "call_id": call,
                        "output": "src/a.py:1:x" * rng.randint(1, 20),
                    },
                }
            )
        lines.append({"timestamp": t, "type": "event_msg", "payload": {"type": "token_count"}})
    return "".join(json.dumps(v) + "\n" for v in lines)


def _claude(rng: random.Random, sid: str, cwd: str, turns: int, broken: bool) -> str:
    base = {
        "isSidechain": False,
        "userType": "external",
        "cwd": cwd,
        "sessionId": sid,
        "version": "2.1.38",
    }
    t = "2026-03-01T10:00:00.000Z"
    lines = [
        {
            **base,
            "parentUuid": None,
            "type": "user",
            "uuid": "u0",
            "timestamp": t,
            "message": {"role": "user", "content": "go"},
        }
    ]
    parent = "u0"
    for n in range(turns):
        tool = f"toolu_{n}"
        lines.append(
            {
                **base,
                "parentUuid": parent,
                "type": "assistant",
                "uuid": f"a{n}",
                "timestamp": t,
                "message": {
                    "id": f"msg_{n}",
                    "role": "assistant",
                    "content": [
                        {
                            "type": "tool_use",
                            "id": tool,
                            "name": "Read",
                            "input": {"file_path": f"f{n}.py"},
                        }
                    ],
                },
            }
        )
        parent = f"a{n}"
        if broken and n == turns - 1:
            break
        lines.append(
            {
                **base,
                "parentUuid": parent,
                "type": "user",
                "uuid": f"r{n}",
                "timestamp": t,
                "message": {
                    "role": "user",
                    "content": [
                        {
                            "type": "tool_result",
                            "tool_use_id": tool,
                            "content": "y" * rng.randint(50, 900),
                        }
                    ],
                },
            }
        )
        parent = f"r{n}"
    return "".join(json.dumps(v) + "\n" for v in lines)


def _gemini(sid: str, project_hash: str, turns: int, broken: bool, log: bool) -> str:
    """A Gemini CLI session: the whole-file JSON (older CLI) or the JSONL upsert log (newer:
    the metadata, then each message each time it changes). Each answer calls a tool whose
    result it carries; the last call has none when `broken`."""
    t = "2026-03-01T10:00:00.000Z"
    messages: list[dict[str, object]] = []
    for n in range(turns):
        messages.append({"id": f"u{n}", "timestamp": t, "type": "user", "content": "z" * 200})
        call: dict[str, object] = {
            "id": f"read_file-{n}",
            "name": "read_file",
            "args": {"absolute_path": f"/w/f{n}.py"},
            "status": "success",
            "timestamp": t,
        }
        if not (broken and n == turns - 1):
            response = {"id": f"read_file-{n}", "name": "read_file", "response": {"output": "y"}}
            call["result"] = [{"functionResponse": response}]
        messages.append(
            {"id": f"g{n}", "timestamp": t, "type": "gemini", "content": "", "toolCalls": [call]}
        )
    meta = {"sessionId": sid, "projectHash": project_hash, "startTime": t, "lastUpdated": t}
    if not log:
        return json.dumps({**meta, "messages": messages}, indent=2)
    lines = [{**meta, "kind": "main"}, *messages, {"$set": {"lastUpdated": t}}]
    return "".join(json.dumps(v) + "\n" for v in lines)


def make_home(root: Path, count: int, projects: list[str]) -> int:
    """Writes `count` sessions of `projects` (30) under `root`; returns their size."""
    rng = random.Random(SEED)
    total = 0
    for n in range(count):
        sid = f"019c{n:04x}-0000-7000-8000-{rng.getrandbits(48):012x}"
        turns = rng.randint(10, 150)
        broken = n % 20 == 0
        kind = n % 10
        if kind < 6:
            day = 1 + n % 28
            month = 1 + (n // 28) % 2
            folder = root / f".codex/sessions/2026/{month:02d}/{day:02d}"
            path = folder / f"rollout-2026-{month:02d}-{day:02d}T10-00-00-{sid}.jsonl"
            text = _codex(rng, sid, projects[n % 30], turns, broken)
        elif kind < 9:
            cwd = projects[n % 30]
            path = root / ".claude/projects" / re.sub(r"[^A-Za-z0-9]", "-", cwd) / f"{sid}.jsonl"
            text = _claude(rng, sid, cwd, turns, broken)
        else:
            project = hashlib.sha256(projects[n % 10].encode()).hexdigest()
            log = n % 20 == 19  # every other Gemini CLI session: the newer JSONL log
            name = f"session-2026-03-01T10-00-{sid[:8]}.json{'l' if log else ''}"
            path = root / ".gemini/tmp" / project / "chats" / name
            text = _gemini(sid, project, turns, n % 200 == 9, log)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = text.encode()
        path.write_bytes(data)
        stamp = 1_770_000_000 + n * 60
        os.utime(path, (stamp, stamp))
        total += len(data)
    return total


def _cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def timed(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, int]:
    """Seconds for one run of the command, the CPU seconds it used, and how many sessions
    it printed."""
    start, cpu = time.perf_counter(), _cpu()
    done = subprocess.run(
        [sys.executable, "-m", "context_ls", *argv],
        env=env,
        cwd=cwd,
        capture_output=True,
        check=True,
    )
    took = time.perf_counter() - start
    listed = (
        len(json.loads(done.stdout)) if "--format" in argv else done.stdout.count(b"\n  resume: ")
    )
    return took, _cpu() - cpu, listed


def _line(name: str, wall: float, cpu: float, goal: bool = True) -> str:
    verdict = ("  under 2 s" if wall < 2 else "  OVER 2 s") if goal else ""
    return f"{name:32s} {wall:6.2f} s{verdict}  (CPU {cpu:.2f} s)"


def _arguments(argv: list[str]) -> tuple[int, int]:
    """(sessions, cold runs) from `[N] [--runs R]`."""
    runs = 3
    if "--runs" in argv:
        at = argv.index("--runs")
        runs = max(1, int(argv[at + 1]))
        argv = argv[:at] + argv[at + 2 :]
    return (int(argv[0]) if argv else 2000), runs


def main() -> int:
    count, runs = _arguments(sys.argv[1:])
    with tempfile.TemporaryDirectory(prefix="bench-sessions-") as tmp:
        root = Path(tmp) / "home"
        projects = [str(Path(tmp) / "src" / f"project-{n:02d}") for n in range(30)]
        for folder in projects:
            Path(folder).mkdir(parents=True)
        started = time.perf_counter()
        size = make_home(root, count, projects)
        print(
            f"{count} sessions, {size / 1e6:.1f} MB, generated in {time.perf_counter() - started:.1f} s"
        )
        env = {**os.environ, "HOME": str(root), "CONTEXT_LS_STATE_DIR": str(Path(tmp) / "state")}
        for name in ("CODEX_HOME", "CLAUDE_CONFIG_DIR", "GEMINI_CLI_HOME"):
            env.pop(name, None)
        listing = ["sessions", "--all", "--format", "json"]
        here = ["sessions", "--format", "json"]
        first_env = {**env, "CONTEXT_LS_STATE_DIR": str(Path(tmp) / "state-project")}
        first, first_cpu, in_project = timed(here, first_env, Path(projects[3]))
        colds = []
        for run in range(runs):
            state = Path(tmp) / f"state-cold-{run}"
            colds.append(timed(listing, {**env, "CONTEXT_LS_STATE_DIR": str(state)}, Path(tmp)))
        cold, cold_cpu, listed = min(colds)
        timed(listing, env, Path(tmp))  # fills the cache the warm runs read
        warm, warm_cpu, _ = min(timed(listing, env, Path(tmp)) for _ in range(3))
        one, one_cpu, _ = timed(here, env, Path(projects[3]))
        print(f"listed {listed} sessions on {os.cpu_count()} cores")
        if runs > 1:
            each = ", ".join(f"{wall:.2f} s (CPU {cpu:.2f} s)" for wall, cpu, _ in colds)
            print(f"cold runs: {each}")
        print(_line("cold (every file analysed):", cold, cold_cpu))
        print(_line("warm (counts from the cache):", warm, warm_cpu))
        print(_line(f"one project ({in_project} listed), cold:", first, first_cpu))
        print(_line(f"one project ({in_project} listed), warm:", one, one_cpu, goal=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
