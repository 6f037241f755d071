"""The agents' sessions with what the engine says of each: records, findings per code, and
whether a writer still holds the file.

Listing must stay quick on a home with thousands of sessions, so a file is analysed only
when it changed since the last listing: the counts are kept in a small cache in the state
folder, keyed by path and checked against size, mtime and inode. The analysis is `check`'s
(`counts`), so `sessions` and `check` agree on the counts."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from context_ls import __version__
from context_ls.agents import AGENT_NAMES, AGENTS, Found, Session, counts
from context_ls.agents.counts import Steps
from context_ls.agents.layouts import FINDERS, Batch

CACHE_NAME = "sessions-cache.json"
CACHE_VERSION = 2  # 2: Gemini CLI sessions are read (1 kept them unknown)
CACHE_LIMIT = 20000  # entries kept; the oldest files go first


@dataclass(slots=True)
class Surveyed:
    """A session and the engine's word on it: its records and findings per code."""

    session: Session
    dialect: str | None = None
    records: int = 0
    findings: dict[str, int] = field(default_factory=dict)
    writers: list[Any] = field(default_factory=list)  # context_ls.writers.Writer

    @property
    def problems(self) -> int:
        return sum(self.findings.values())


class _Entry(msgspec.Struct, array_like=True):
    mtime_ns: int
    size: int
    ino: int
    agent: str
    session_id: str | None
    cwd: str | None
    dialect: str | None
    records: int | None
    findings: dict[str, int] | None


class _Cache(msgspec.Struct):
    version: int = CACHE_VERSION
    files: dict[str, _Entry] = {}
    engine: str = ""  # the context-ls that counted: another one may count otherwise


def _cache_path(state_dir: str | Path | None) -> Path | None:
    from context_ls.context.errors import ContextError
    from context_ls.context.paths import state_dir as resolve

    try:
        return resolve(state_dir) / CACHE_NAME
    except (ContextError, OSError):
        return None  # no state folder: every listing analyses every file


def load_cache(path: Path | None) -> dict[str, _Entry]:
    if path is None:
        return {}
    try:
        cache = msgspec.json.decode(path.read_bytes(), type=_Cache)
    except (OSError, msgspec.DecodeError, msgspec.ValidationError):
        return {}
    current = (cache.version, cache.engine) == (CACHE_VERSION, __version__)
    return cache.files if current else {}


def save_cache(path: Path | None, files: dict[str, _Entry]) -> None:
    if path is None:
        return
    from context_ls.fileio import atomic_write

    if len(files) > CACHE_LIMIT:
        newest = sorted(files.items(), key=lambda kv: kv[1].mtime_ns, reverse=True)
        files = dict(newest[:CACHE_LIMIT])
    # A cache that cannot be written costs time, never a result.
    with contextlib.suppress(OSError):
        atomic_write(path, msgspec.json.encode(_Cache(CACHE_VERSION, files, __version__)))


def _known(cache: Mapping[str, _Entry]) -> dict[str, Session]:
    return {
        key: Session(e.agent, Path(key), e.session_id, e.cwd, e.mtime_ns, e.size, e.ino)
        for key, e in cache.items()
    }


def find_sessions(
    agents: Iterable[str],
    project: str | None,
    known: Mapping[str, Session] | None = None,
    each: Batch | None = None,
) -> Found:
    """The sessions of `agents` (of `project`, or all when None), newest first. `each`:
    told of each folder's sessions as soon as they are found."""
    found = Found([], [], [])
    for agent in agents:
        part = FINDERS[agent](project, known or {}, each)
        found.sessions += part.sessions
        found.problems += part.problems
        found.searched += part.searched
    found.sessions.sort(key=lambda s: s.mtime_ns, reverse=True)
    return found


def not_a_session(agent: str) -> str:
    return f"not a {AGENT_NAMES[agent]} session (no records the engine reads); skipped"


def _stamp(session: Session) -> tuple[int, int, int]:
    return session.mtime_ns, session.size, session.ino


def survey(
    agents: Iterable[str] = AGENTS,
    project: str | None = None,
    state_dir: str | Path | None = None,
    *,
    writers: bool = True,
    progress: Callable[[int], Steps] | None = None,
    spread: bool = True,
) -> tuple[list[Surveyed], Found]:
    """Every session of `agents` (of `project`, or all when None) with its counts, newest
    first; `Found.problems` also holds the files that are no session."""
    cache_file = _cache_path(state_dir)
    cache = load_cache(cache_file)
    listed: list[Surveyed] = []
    held: dict[str, list[Any]] = {}
    with counts.Analyser(spread) as analyser:

        def changed_since(sessions: list[Session]) -> None:
            """Files the cache cannot answer for go to the analysis as soon as found."""
            analyser.add(
                [
                    s
                    for s in sessions
                    if (e := cache.get(str(s.path))) is None
                    or (e.mtime_ns, e.size, e.ino) != _stamp(s)
                ]
            )

        found = find_sessions(agents, project, _known(cache), changed_since)
        # Who writes the files is asked while the other processes analyse them.
        wanted = [str(s.path) for s in found.sessions] if writers else []
        analysed = analyser.results(progress, lambda: held.update(writers_of(wanted)))
        stale = analyser.sessions
    results = dict(zip([str(s.path) for s in stale], analysed, strict=True))
    for session in found.sessions:
        key = str(session.path)
        if key in results:
            dialect, records, findings, unreadable = results[key]
            if unreadable is not None:
                found.problems.append(f"{session.path}: {unreadable}")
                continue
            sid, cwd = session.session_id, session.cwd
            cache[key] = _Entry(
                *_stamp(session), session.agent, sid, cwd, dialect, records, findings
            )
        entry = cache[key]
        if entry.dialect is None:
            found.problems.append(f"{session.path}: {not_a_session(session.agent)}")
            continue
        listed.append(Surveyed(session, entry.dialect, entry.records or 0, entry.findings or {}))
    changed = bool(results)
    if changed:
        save_cache(cache_file, cache)
    for item in listed:
        item.writers = held.get(str(item.session.path), [])
    return listed, found


def attach_writers(listed: list[Surveyed]) -> None:
    """Who still writes each file: one scan of the processes for all of them."""
    held = writers_of([str(s.session.path) for s in listed])
    for item in listed:
        item.writers = held.get(str(item.session.path), [])


def writers_of(paths: list[str]) -> dict[str, list[Any]]:
    """The live writers (`context_ls.writers.Writer`) of each path that has any, from one
    scan of the processes; a Codex rollout's thread is told by its name (Codex names it
    after the thread). None known when the processes cannot be looked at."""
    if not paths:
        return {}
    from context_ls.writers import live_writers_many

    try:
        return live_writers_many(paths, dict.fromkeys(paths, b""))
    except OSError:
        return {}


def here() -> str:
    """The current project: the folder the command runs in."""
    return os.getcwd()
