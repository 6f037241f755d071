"""A big Codex rollout (the JSONL file Codex CLI writes under ~/.codex/sessions) of a given
number of turns, for tests and benchmarks that need size without needing anything beside
the repository. The same arguments always give the same bytes.

    python bench/gen_rollout.py TURNS OUT [--seed N]

Each turn is a reasoning summary, one tool call and its output, and a token count; every
25th turn starts with a user prompt, every 7th call is an `apply_patch` custom tool call.
The known faults, and the only findings `context-ls check` gives on the file:
- turn i's call has no output when i % 997 == 0 (H001): turns 0, 997, 1994, …;
- after turn i an output answers no call when i % 1499 == 0 (H002): `orphan_0`, …

Sizes: about 4.6 KB a turn (1,400 turns ≈ 6.4 MB, 11,600 ≈ 54 MB, 60,000 ≈ 280 MB).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

__all__ = ["DANGLING_EVERY", "ORPHAN_EVERY", "expected_faults", "write_rollout"]

DANGLING_EVERY = 997
ORPHAN_EVERY = 1499
PROMPT_EVERY = 25
PATCH_EVERY = 7
START = datetime(2026, 1, 5, 9, 0, 0, tzinfo=timezone.utc)
CWD = "/home/dev/src/inventory"

_FILES = ["src/inventory/store.py", "src/inventory/api.py", "tests/test_store.py", "README.md"]
_WORDS = [
    "stock",
    "item",
    "count",
    "warehouse",
    "order",
    "ship",
    "restock",
    "level",
    "sku",
    "price",
    "batch",
    "query",
    "cache",
    "index",
    "record",
    "audit",
    "report",
    "total",
    "limit",
    "offset",
    "cursor",
    "page",
    "filter",
]
_ASKS = [
    "Add pagination to the items endpoint.",
    "Why does the restock job count items twice?",
    "Write tests for the audit report.",
    "Rename `sku` to `code` everywhere, keeping the API stable.",
]


def expected_faults(turns: int) -> tuple[int, int]:
    """(calls without output, outputs without call) in a rollout of `turns` turns."""
    dangling = len(range(0, turns, DANGLING_EVERY))
    orphans = len(range(0, turns, ORPHAN_EVERY))
    return dangling, orphans


def _code_lines(rng: random.Random, count: int) -> str:
    """A `rg`/`sed`-like listing: numbered lines of plausible Python."""
    lines = []
    for number in range(1, count + 1):
        words = rng.choices(_WORDS, k=rng.randint(2, 6))
        lines.append(f"L{number}:     {'_'.join(words[:2])} = {' + '.join(words[2:]) or '0'}")
    return "\n".join(lines) + "\n"


def _stamp(seconds: float) -> str:
    moment = START + timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _turn(emit: Callable[[float, str, dict[str, Any]], None], rng: random.Random, i: int) -> None:
    """Turn `i`: what Codex writes for one model step with one tool call."""
    clock = i * 3.0
    if i % PROMPT_EVERY == 0:
        ask = _ASKS[(i // PROMPT_EVERY) % len(_ASKS)]
        emit(clock, "turn_context", {"cwd": CWD, "approval_policy": "on-request", "model": "m"})
        emit(clock, "event_msg", {"type": "user_message", "message": ask, "kind": "plain"})
        content = [{"type": "input_text", "text": ask}]
        emit(clock, "response_item", {"type": "message", "role": "user", "content": content})
    thought = " ".join(rng.choices(_WORDS, k=rng.randint(8, 60)))
    summary = [{"type": "summary_text", "text": f"**Checking {rng.choice(_WORDS)}**\n\n{thought}"}]
    emit(clock + 0.5, "response_item", {"type": "reasoning", "summary": summary})
    call_id = f"call_{i:08d}"
    path = _FILES[i % len(_FILES)]
    if i % PATCH_EVERY == PATCH_EVERY - 1:
        patch = f"*** Begin Patch\n*** Update File: {path}\n@@\n-{thought[:60]}\n+{thought[:58]}\n"
        call = {"type": "custom_tool_call", "status": "completed", "call_id": call_id}
        emit(clock + 1, "response_item", {**call, "name": "apply_patch", "input": patch})
        result: dict[str, Any] = {"output": f"Success. Updated the following files:\nM {path}\n"}
        output = {"type": "custom_tool_call_output", "call_id": call_id}
        output["output"] = json.dumps({**result, "metadata": {"exit_code": 0}})
    else:
        command = ["bash", "-lc", f"rg -n {rng.choice(_WORDS)}_{i} {path}"]
        arguments = json.dumps({"command": command, "workdir": CWD, "timeout_ms": 120000})
        call = {"type": "function_call", "name": "shell", "arguments": arguments}
        emit(clock + 1, "response_item", {**call, "call_id": call_id})
        listing = _code_lines(rng, rng.randint(20, 180))
        result = {"output": listing, "metadata": {"exit_code": 0, "duration_seconds": 0.1}}
        output = {"type": "function_call_output", "call_id": call_id, "output": json.dumps(result)}
    if i % DANGLING_EVERY:
        emit(clock + 2, "response_item", output)
    if i % ORPHAN_EVERY == 0:
        late = {"type": "function_call_output", "call_id": f"orphan_{i}", "output": "late"}
        emit(clock + 2, "response_item", late)
    used = 1200 * (i + 1)
    usage = {"input_tokens": used, "output_tokens": used // 10, "total_tokens": used + used // 10}
    emit(clock + 2.5, "event_msg", {"type": "token_count", "info": {"total_token_usage": usage}})
    if i % PROMPT_EVERY == PROMPT_EVERY - 1:
        text = [{"type": "output_text", "text": f"Done: {thought[:200]}"}]
        emit(
            clock + 2.9, "response_item", {"type": "message", "role": "assistant", "content": text}
        )


def write_rollout(out: Path, turns: int, *, seed: int = 7) -> tuple[int, int]:
    """Write the rollout; returns (calls without output, outputs without call)."""
    rng = random.Random(seed)
    with out.open("w", encoding="utf-8", newline="\n") as handle:

        def emit(seconds: float, kind: str, payload: dict[str, Any]) -> None:
            record = {"timestamp": _stamp(seconds), "type": kind, "payload": payload}
            handle.write(json.dumps(record, separators=(",", ":")) + "\n")

        meta = {"id": f"0199a000-0000-7000-8000-{seed:012d}", "timestamp": _stamp(0), "cwd": CWD}
        emit(0, "session_meta", {**meta, "originator": "codex_cli_rs", "cli_version": "0.63.0"})
        for i in range(turns):
            _turn(emit, rng, i)
    return expected_faults(turns)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("turns", type=int, help="number of turns (one tool call each)")
    parser.add_argument("out", type=Path, help="the .jsonl file to write")
    parser.add_argument("--seed", type=int, default=7, help="same seed, same bytes (default 7)")
    args = parser.parse_args(argv)
    if args.turns < 0:
        parser.error("turns must be 0 or more")
    try:
        dangling, orphans = write_rollout(args.out, args.turns, seed=args.seed)
    except OSError as exc:
        print(f"gen_rollout: cannot write {args.out}: {exc.strerror}", file=sys.stderr)
        return 2
    print(f"{args.out}: {args.turns} turns, {dangling} dangling calls, {orphans} orphan outputs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
