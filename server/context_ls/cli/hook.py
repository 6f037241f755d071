"""`context-ls hook`: run by Claude Code (or Codex) hooks with the hook's JSON on stdin
(`session_id`, `transcript_path`, `cwd`, `hook_event_name`, and per event `source`,
`trigger`, `reason`, `error`…).

- `PreCompact`, `SessionEnd`: snapshot the transcript (compaction rewrites what the model
  sees, and a session that ended is the one a later `--resume` loads).
- `StopFailure` (a turn ended on an API error) and `SessionStart` with source `resume`:
  check the transcript and, when it has problems that make the API refuse it, tell the
  user what is wrong and the one command that repairs it. Claude Code shows a hook's
  `systemMessage` (JSON on stdout, exit 0) to the user.

It never blocks the agent and never fails it: whatever goes wrong is one line on stderr,
and the exit code is always 0.

Codex's lifecycle hooks (`~/.codex/hooks.json`) send this JSON too; it has no `StopFailure`.
Its older `notify` program is not served: Codex runs it only after a turn that completed
(never on the API error that stops a resume), passes no transcript path, and shows nothing
it prints."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from collections import Counter
from pathlib import Path
from typing import Any, BinaryIO, TextIO

import msgspec

MAX_INPUT = 1 << 20  # a hook's JSON is a few hundred bytes; more is not a hook's


def run_hook(
    stdin: BinaryIO | None = None, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    if stdin is None:
        if sys.stdin is None or sys.stdin.isatty():  # run by hand: say what it wants
            err.write("context-ls hook: reads a Claude Code or Codex hook's JSON on stdin\n")
            return 0
        stdin = sys.stdin.buffer
    try:
        message = handle(stdin.read(MAX_INPUT + 1))
    except Exception as error:
        err.write(f"context-ls hook: {_reason(error)}\n")
        return 0
    if message:
        out.write(msgspec.json.encode({"systemMessage": message}).decode() + "\n")
    return 0


class HookInputError(Exception):
    """The input is not a hook's JSON: said in one line on stderr."""


def _reason(error: Exception) -> str:
    if isinstance(error, OSError):
        name = f"{error.filename}: " if error.filename else ""
        return f"{name}{error.strerror or error}"
    return str(error) or type(error).__name__


def handle(data: bytes) -> str | None:
    """What to show the user for one hook input (None: nothing)."""
    if len(data) > MAX_INPUT:
        raise HookInputError("the input is larger than a hook's JSON; ignored")
    try:
        payload = msgspec.json.decode(data)
    except msgspec.DecodeError as error:
        raise HookInputError(f"the input is not a hook's JSON ({error}); ignored") from None
    if not isinstance(payload, dict):
        raise HookInputError("the input is not a hook's JSON object; ignored")
    event = payload.get("hook_event_name")
    transcript = payload.get("transcript_path")
    if not isinstance(transcript, str) or not transcript:
        return None  # e.g. Codex before its rollout exists
    path = Path(os.path.expanduser(transcript))
    if event in ("PreCompact", "SessionEnd"):
        detail = payload.get("trigger") or payload.get("reason")
        snapshot(path, f"{event} hook" + (f" ({detail})" if isinstance(detail, str) else ""))
        return None
    if event == "StopFailure":
        kind = payload.get("error") or payload.get("error_type")
        what = f"the turn ended on an API error{f' ({kind})' if isinstance(kind, str) else ''}"
        return diagnose(path, payload, f"{what}, and ")
    if event == "SessionStart" and payload.get("source") == "resume":
        return diagnose(path, payload, "")
    return None


def snapshot(path: Path, reason: str) -> None:
    """Keep the transcript's bytes, unless the newest snapshot already holds them."""
    from context_ls.context.snapshots import SnapshotStore

    data = path.read_bytes()
    with SnapshotStore.open() as store:
        records = store.list(path)
        if records and records[0].size == len(data) and store.get(path, records[0].id).data == data:
            return
        store.save(path, data, reason)


def diagnose(path: Path, payload: dict[str, Any], lead: str) -> str | None:
    """The message for a transcript with problems that make the API refuse it (`lead`
    goes before it: what happened)."""
    from context_ls.agents import AGENT_NAMES, resume_command
    from context_ls.agents.layouts import kept_by_agent, session_of
    from context_ls.history.api import Options, analyze_path

    analysis = analyze_path(path, None, Options(detect_secrets=False), findings_only=True)
    blocking = Counter(f.code for f in analysis.findings if f.severity == "error")
    if not analysis.is_history or not blocking:
        return None
    session = session_of(path, analysis.dialect)
    sid = payload.get("session_id")
    if session is not None and isinstance(sid, str) and sid:
        session.session_id = sid
    cwd = payload.get("cwd")
    here = cwd if isinstance(cwd, str) else None
    n = sum(blocking.values())
    codes = ", ".join(f"{code} ×{count}" for code, count in sorted(blocking.items()))
    agent = AGENT_NAMES[session.agent] if session is not None else "the agent"
    text = (
        f"context-ls: {lead}this session's transcript has {n} problem{'s' if n != 1 else ''}"
        f" the API refuses ({codes}). Quit {agent}, then run"
        f" `{fix_command()} {shlex.quote(str(path))}`"
    )
    known = session is not None and kept_by_agent(session)
    resume = resume_command(session, here) if session is not None and known else None
    return text + (f" and `{resume}`." if resume else ".")


def fix_command() -> str:
    """How the user runs this tool: `context-ls` when it is on PATH."""
    if shutil.which("context-ls"):
        return "context-ls fix"
    return f"{shlex.quote(sys.executable)} -m context_ls fix"
