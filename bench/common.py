"""What the benchmarks share."""

from __future__ import annotations

import compileall
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# ../shared/bench (beside the repository in CI, not in a plain clone): the speed floor and
# the generator the published figures were measured with. Optional: see `rollout`.
SHARED = ROOT.parent / "shared" / "bench"
OWN_GENERATOR = ROOT / "bench" / "gen_rollout.py"
DATA = ROOT / "bench" / "data"


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """A process's resident memory (or `field` of /proc/PID/status, in kB there), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


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


def chat_document(fifth: bool) -> Path | None:
    """The ~28 MB pretty-printed Chat Completions history of ../shared/bench/gen_chat.py
    (or, `fifth`, a document of its first fifth of messages, ~5.8 MB), made once and kept;
    None when the generator is not there (a plain clone)."""
    generator = SHARED / "gen_chat.py"
    if not generator.exists():
        return None
    whole = DATA / "chat.json"
    if not whole.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        print(f"generating {whole.name} ({generator}) …", flush=True)
        subprocess.run([sys.executable, str(generator), str(whole)], check=True)
    if not fifth:
        return whole
    part = DATA / "chat-fifth.json"
    if not part.exists():
        document = json.loads(whole.read_bytes())
        messages = document["messages"]
        document["messages"] = messages[: len(messages) // 5]
        part.write_text(json.dumps(document, indent=2))
    return part


CLAUDE_SOURCE = SHARED.parent / "realdata" / "jnarowski__agentcmd" / "full-session-four.jsonl"


def claude_jsonl(size: int = 39_000_000, unique_ids: bool = False) -> Path | None:
    """A ~39 MB Claude Code JSONL: the lines of a real session (../shared/realdata)
    repeated; None when that file is not there. Repeated as they are, every copy's ids
    repeat the first's (~10k findings: a copy's calls all answered twice); `unique_ids`
    gives each copy ids of its own (a long healthy session: no finding)."""
    if not CLAUDE_SOURCE.exists():
        return None
    path = DATA / f"claude-code-39mb{'-unique' if unique_ids else ''}.jsonl"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        lines = CLAUDE_SOURCE.read_bytes()
        if not lines.endswith(b"\n"):
            lines += b"\n"
        copies = size // len(lines) + 1
        if not unique_ids:
            path.write_bytes(lines * copies)
        else:
            path.write_bytes(b"".join(_own_ids(lines, n) for n in range(copies)))
    return path


_UUID = re.compile(rb"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{6})[0-9a-f]{6}")
_TOOL_ID = re.compile(rb"\b((?:toolu|msg)_[A-Za-z0-9]+)")


def _own_ids(lines: bytes, copy: int) -> bytes:
    """`lines` with the uuids, tool-use and message ids of copy number `copy`."""
    if not copy:
        return lines
    tag = b"%06x" % copy
    lines = _UUID.sub(lambda m: m.group(1) + tag, lines)
    return _TOOL_ID.sub(lambda m: m.group(1) + b"x" + tag, lines)
