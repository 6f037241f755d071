"""Where each coding agent keeps its sessions, and how each resumes one.

A user whose `claude --resume` fails with a 400 does not know which of dozens of files is
the broken one. This package finds them in the agents' own folders (see `layouts`), reads
just enough of each (its first bytes) to say whose session it is and for which project,
and spells the command that resumes it. Pure: no pygls, no writes, no analysis.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "AGENTS",
    "AGENT_NAMES",
    "Found",
    "Session",
    "resume_command",
    "same_or_under",
]

AGENTS = ("codex", "claude-code", "gemini")
AGENT_NAMES = {"codex": "Codex", "claude-code": "Claude Code", "gemini": "Gemini CLI"}


@dataclass(slots=True)
class Session:
    """One session file. `cwd`: the folder the agent ran in (its project), when known."""

    agent: str
    path: Path
    session_id: str | None
    cwd: str | None
    mtime_ns: int
    size: int
    ino: int


@dataclass(slots=True)
class Found:
    """What a look through the agents' folders gave: sessions, and one line per folder or
    file that could not be read or is not a session (never a traceback)."""

    sessions: list[Session]
    problems: list[str]
    searched: list[Path]  # the folders looked in (for "no sessions in …")


def same_or_under(folder: str | None, project: str) -> bool:
    """Whether `folder` is `project` or inside it (both absolute). Case does not count where
    the system ignores it (Windows: Gemini CLI's project registry keeps roots lowercased)."""
    if not folder:
        return False
    folder = os.path.normcase(os.path.normpath(folder))
    project = os.path.normcase(os.path.normpath(project))
    return folder == project or folder.startswith(project.rstrip(os.sep) + os.sep)


def resume_command(session: Session, here: str | None = None) -> str | None:
    """The command that resumes `session`, as its agent spells it; prefixed with a `cd`
    when the agent looks sessions up by project and `here` is another folder. None when
    the session id is unknown."""
    sid = session.session_id
    if not sid:
        return None
    if session.agent == "codex":
        command = f"codex resume {shlex.quote(sid)}"
    elif session.agent == "claude-code":
        command = f"claude --resume {shlex.quote(sid)}"
    else:
        command = f"gemini --resume {shlex.quote(sid)}"
    # Claude Code and Gemini CLI find a session only among the current project's; Codex
    # by id from anywhere, but it runs the resumed session in the current folder.
    cwd = session.cwd
    if cwd and (here is None or os.path.normpath(cwd) != os.path.normpath(here)):
        command = f"cd {shlex.quote(cwd)} && {command}"
    return command
