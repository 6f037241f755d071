"""The agents' sessions as plain rows: what `context-ls sessions --format json` prints and
what an editor's session view shows (`list_sessions`, for one or more workspace folders).
Both go through `survey` and `session_row`, so the command line and the editor list the
same sessions with the same counts and resume commands."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from context_ls.agents import AGENTS, resume_command
from context_ls.agents.survey import Surveyed, attach_writers, survey


def iso(mtime_ns: int) -> str:
    return datetime.fromtimestamp(mtime_ns / 1e9, tz=timezone.utc).isoformat(timespec="seconds")


def session_row(item: Surveyed, here: str | None) -> dict[str, Any]:
    """`{path, agent, session_id, modified, records, findings, live, resume}`; `here`: the
    folder the resume command is run from (a `cd` is prefixed when the agent needs one)."""
    session = item.session
    return {
        "path": str(session.path),
        "agent": session.agent,
        "session_id": session.session_id,
        "modified": iso(session.mtime_ns),
        "records": item.records,
        "findings": item.findings,
        "live": bool(item.writers),
        "resume": resume_command(session, here),
    }


@dataclass(slots=True)
class Listing:
    """Rows newest first; the folders looked in (an editor watches them); one line per
    folder or file that could not be read or is not a session."""

    sessions: list[dict[str, Any]] = field(default_factory=list)
    searched: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"sessions": self.sessions, "searched": self.searched, "problems": self.problems}


def _spellings(folder: str) -> list[str]:
    """A project as given and where it really leads: agents record the folder they ran in
    as the system reports it, which resolves symbolic links."""
    real = os.path.realpath(folder)
    return [folder] if real == folder else [folder, real]


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def list_sessions(
    projects: Sequence[str] | None,
    agents: Sequence[str] = AGENTS,
    state_dir: str | Path | None = None,
    *,
    here: str | None = None,
    spread: bool = True,
) -> Listing:
    """The sessions of `projects` (absolute folders, e.g. an editor's workspace folders;
    every project's when None), newest first, each file once, with the resume command
    spelled from the project it was found under (from `here` when listing every project)."""
    wanted: list[tuple[str | None, str | None]] = (
        [(None, here)]
        if projects is None
        else [(spelling, folder) for folder in projects for spelling in _spellings(folder)]
    )
    listing = Listing()
    seen: dict[str, tuple[Surveyed, str | None]] = {}
    for project, here in wanted:
        listed, found = survey(agents, project, state_dir, writers=False, spread=spread)
        for item in listed:
            seen.setdefault(str(item.session.path), (item, here))
        listing.searched += [str(p) for p in found.searched]
        listing.problems += found.problems
    items = sorted(seen.values(), key=lambda pair: pair[0].session.mtime_ns, reverse=True)
    if items:
        attach_writers([item for item, _ in items])  # one scan of the processes for all
    listing.sessions = [session_row(item, here) for item, here in items]
    listing.searched = _unique(listing.searched)
    listing.problems = _unique(listing.problems)
    return listing
