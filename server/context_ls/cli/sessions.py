"""`context-ls sessions`: the agents' sessions of this project (or of all), newest first,
each with its problems, whether the agent still writes it, and the command that resumes
it. What a user needs when `--resume` fails and they do not know which file is broken."""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

import msgspec

from context_ls.agents import AGENT_NAMES, AGENTS, resume_command
from context_ls.agents import survey as surveying
from context_ls.agents.listing import session_row
from context_ls.agents.survey import Surveyed, survey
from context_ls.cli.files import UsageError


def agents_of(name: str | None) -> tuple[str, ...]:
    if name is None:
        return AGENTS
    if name not in AGENTS:
        raise UsageError(f"unknown agent {name!r}; one of: {', '.join(AGENTS)}")
    return (name,)


def run_sessions(args: Any, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    agents = agents_of(args.agent)
    project = None if args.all else surveying.here()
    from context_ls.cli.progress import Progress

    listed, found = survey(
        agents, project, getattr(args, "state_dir", None), progress=lambda n: Progress(n, err)
    )
    for problem in found.problems:
        err.write(f"{problem}\n")
    cwd = surveying.here()
    if args.format == "json":
        rows = [session_row(item, cwd) for item in listed]
        out.write(msgspec.json.encode(rows).decode() + "\n")
        return 0
    for item in listed:
        out.write(describe(item, cwd) + "\n")
    out.write(summary(listed, project, [str(p) for p in found.searched]) + "\n")
    return 0


def counts_text(findings: dict[str, int]) -> str:
    """`H001 ×2, H009 ×1`"""
    return ", ".join(f"{code} ×{n}" for code, n in sorted(findings.items()))


def problems_text(item: Surveyed) -> str:
    records = f"{item.records} record{'s' if item.records != 1 else ''}"
    if not item.problems:
        return f"{records}, no problems"
    n = item.problems
    return f"{records}, {n} problem{'s' if n != 1 else ''}: {counts_text(item.findings)}"


def describe(item: Surveyed, cwd: str) -> str:
    """One session as a short block: what it is, where, what is wrong, what to run."""
    import shlex

    from context_ls.writers import describe_writers, stop_advice

    session = item.session
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(session.mtime_ns / 1e9))
    lines = [
        f"{AGENT_NAMES[session.agent]}  {when}  {session.session_id or '(no session id)'}",
        f"  {session.path}",
        f"  {problems_text(item)}",
    ]
    if session.cwd and session.cwd != cwd:
        lines.append(f"  project: {session.cwd}")
    if item.writers:
        lines.append(f"  still written: {describe_writers(item.writers)}")
        lines.append(f"  {stop_advice(item.writers)} before fixing it")
    if item.problems:
        lines.append(f"  fix:    context-ls fix {shlex.quote(str(session.path))}")
    resume = resume_command(session, cwd)
    if resume:
        lines.append(f"  resume: {resume}")
    return "\n".join(lines) + "\n"


def summary(listed: list[Surveyed], project: str | None, searched: list[str]) -> str:
    whose = f"of {project}" if project else "of every project"
    if not listed:
        where = ", ".join(searched)
        more = "; `--all` lists every project" if project else ""
        return f"No sessions {whose} in {where}{more}."
    broken = sum(1 for item in listed if item.problems)
    n = len(listed)
    text = f"{n} session{'s' if n != 1 else ''} {whose}"
    text += f", {broken} with problems" if broken else ", no problems found"
    return text + "."
