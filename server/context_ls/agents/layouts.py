"""The folders each agent writes its sessions to, as the agents lay them out:

- Codex: `$CODEX_HOME/sessions` (default `~/.codex/sessions`), `YYYY/MM/DD/rollout-<time>-
  <uuid>.jsonl` or `.jsonl.zst`; the first line is `session_meta`, whose payload names the
  session (`id`) and the folder Codex ran in (`cwd`).
- Claude Code: `$CLAUDE_CONFIG_DIR/projects` (default `~/.claude/projects`),
  `<cwd, every character but letters and digits made '-'>/<sessionId>.jsonl`; sub-agents
  under `<sessionId>/subagents/` are not sessions of their own (they are not resumed).
- Gemini CLI: `$GEMINI_CLI_HOME/.gemini/tmp` (default `~/.gemini/tmp`),
  `<project>/chats/session-<time>-<id8>.json|jsonl`, where `<project>` was the sha256 of
  the project root and is now a short name kept in `~/.gemini/projects.json`
  (`{"projects": {root: name}}`), with the root also written in `<project>/.project_root`.
  Sub-agent chats sit in `chats/<parent session id>/`.

`known`: what an earlier look saw of each path (by `str(path)`); a file whose size, mtime
and inode are unchanged is not opened again."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterator, Mapping
from functools import partial
from pathlib import Path

import msgspec

from context_ls import compression
from context_ls.agents import Found, Session, same_or_under
from context_ls.history.dialects import codex

HEAD = 16384  # bytes read from each file: enough for the fields that name a session
CODEX_HEAD = 1 << 18  # a session_meta line carries the base instructions: read further

_STRING = r'"((?:[^"\\]|\\.)*)"'
_CWD = re.compile(rb'"cwd"\s*:\s*' + _STRING.encode())
_SESSION_ID = re.compile(rb'"sessionId"\s*:\s*' + _STRING.encode())
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_CLAUDE_SESSION = re.compile(r"\A(?!agent-).*\.jsonl\Z")  # agent-*: old sub-agent files
_ROLLOUT = re.compile(r"\Arollout-.*\.jsonl(?:\.zst)?\Z")
Batch = Callable[[list[Session]], None]  # told of sessions as soon as they are found
_GEMINI_CHAT = re.compile(r"\Asession-.*\.jsonl?\Z")


def codex_sessions() -> Path:
    home = os.environ.get("CODEX_HOME")
    return Path(home).expanduser() / "sessions" if home else Path.home() / ".codex" / "sessions"


def claude_projects() -> Path:
    config = os.environ.get("CLAUDE_CONFIG_DIR")
    base = Path(config).expanduser() if config else Path.home() / ".claude"
    return base / "projects"


def gemini_home() -> Path:
    home = os.environ.get("GEMINI_CLI_HOME")
    return (Path(home).expanduser() if home else Path.home()) / ".gemini"


def claude_folder_names(project: str) -> set[str]:
    """The names Claude Code has given `project`'s folder: every character but ASCII
    letters and digits made `-` (older versions: only `/`)."""
    return {re.sub(r"[^A-Za-z0-9]", "-", project), project.replace("/", "-")}


# reading a little of each file ------------------------------------------------------


def _head(path: Path, limit: int) -> bytes:
    """The first `limit` bytes of the file's content (decompressed when it is zstd)."""
    with path.open("rb") as handle:
        raw = handle.read(limit)
    if not compression.is_zstd(raw):
        return raw
    head = b""
    for chunk in compression.chunks(path):
        head += chunk
        if len(head) >= limit:
            break
    return head[:limit]


def _short_head(path: Path) -> bytes:
    return _head(path, HEAD)


def _codex_head(path: Path) -> bytes:
    """What `codex_head` reads of a rollout: its first line whole, when it ends within
    `CODEX_HEAD` (most end well within `HEAD`, and a listing reads thousands)."""
    head = _head(path, HEAD)
    return head if b"\n" in head else _head(path, CODEX_HEAD)


def _string(match: re.Match[bytes] | None) -> str | None:
    if match is None:
        return None
    try:
        value = msgspec.json.decode(b'"' + match.group(1) + b'"')
    except msgspec.DecodeError:
        return None
    return value if isinstance(value, str) and value else None


def codex_head(head: bytes) -> tuple[str | None, str | None]:
    """(session id, cwd) from a rollout's first line: its `session_meta` payload; from the
    first `"cwd"` written in it when the line is longer than what was read."""
    end = head.find(b"\n")
    if end >= 0:
        meta = codex.session_meta(head[:end])
        if meta is None or not all(v is None or isinstance(v, str) for v in (meta.id, meta.cwd)):
            return None, None
        return meta.id, meta.cwd
    return None, _string(_CWD.search(head))


# the three layouts ------------------------------------------------------------------


def _stat_files(
    folder: Path, wanted: re.Pattern[str], problems: list[str]
) -> Iterator[tuple[Path, os.stat_result]]:
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if wanted.match(entry.name) and entry.is_file():
                    try:
                        yield Path(entry.path), entry.stat()
                    except OSError as error:
                        problems.append(_unreadable(Path(entry.path), error))
    except FileNotFoundError:
        return
    except OSError as error:
        problems.append(_unreadable(folder, error))


def _subfolders(folder: Path, problems: list[str]) -> list[Path]:
    try:
        with os.scandir(folder) as entries:
            return sorted(
                Path(e.path) for e in entries if e.is_dir() and not e.name.startswith(".")
            )
    except FileNotFoundError:
        return []
    except OSError as error:
        problems.append(_unreadable(folder, error))
        return []


def _unreadable(path: Path, error: OSError) -> str:
    return f"{path}: cannot read ({error.strerror or error}); its sessions are not listed"


def _unchanged(known: Mapping[str, Session], path: Path, st: os.stat_result) -> Session | None:
    seen = known.get(str(path))
    if seen and (seen.mtime_ns, seen.size, seen.ino) == (st.st_mtime_ns, st.st_size, st.st_ino):
        return seen
    return None


def _session(
    agent: str, path: Path, st: os.stat_result, sid: str | None, cwd: str | None
) -> Session:
    return Session(agent, path, sid, cwd, st.st_mtime_ns, st.st_size, st.st_ino)


def _read(
    known: Mapping[str, Session],
    path: Path,
    st: os.stat_result,
    head_of: Callable[[Path], bytes],
    problems: list[str],
    parse: Callable[[Path, os.stat_result, bytes], Session],
) -> Session | None:
    """The session a file holds: as seen before when unchanged, else from its first bytes."""
    session = _unchanged(known, path, st)
    if session is not None:
        return session
    try:
        head = head_of(path)
    except OSError as error:
        problems.append(f"{path}: cannot read ({error.strerror or error})")
        return None
    return parse(path, st, head)


def _codex_session(path: Path, st: os.stat_result, head: bytes) -> Session:
    sid, cwd = codex_head(head)
    from_name = _UUID.search(path.name)
    return _session("codex", path, st, sid or (from_name.group(0) if from_name else None), cwd)


def _claude_session(path: Path, st: os.stat_result, head: bytes) -> Session:
    cwd = _string(_CWD.search(head))
    return _session("claude-code", path, st, claude_session_id(path, head), cwd)


def _gemini_session(path: Path, st: os.stat_result, head: bytes, root: str | None) -> Session:
    return _session("gemini", path, st, _string(_SESSION_ID.search(head)), root)


def find_codex(
    project: str | None, known: Mapping[str, Session], each: Batch | None = None
) -> Found:
    """Codex rollouts; of `project` (and folders under it) unless None. `each`: told of
    each day's sessions as soon as they are found."""
    root = codex_sessions()
    found = Found([], [], [root])
    for year in _subfolders(root, found.problems):
        for month in _subfolders(year, found.problems):
            for day in _subfolders(month, found.problems):
                day_sessions = _codex_day(day, project, known, found.problems)
                found.sessions += day_sessions
                if each is not None and day_sessions:
                    each(day_sessions)
    return found


def _codex_day(
    day: Path, project: str | None, known: Mapping[str, Session], problems: list[str]
) -> list[Session]:
    files: dict[str, tuple[Path, os.stat_result]] = {}
    for path, st in _stat_files(day, _ROLLOUT, problems):
        plain = str(compression.plain_name(path))
        # Codex reads the plain file when both are there.
        if plain not in files or not path.name.endswith(compression.SUFFIX):
            files[plain] = (path, st)
    sessions = []
    for path, st in files.values():
        session = _read(known, path, st, _codex_head, problems, _codex_session)
        if session is None:
            continue
        if project is None or same_or_under(session.cwd, project):
            sessions.append(session)
    return sessions


def claude_session_id(path: Path, head: bytes) -> str | None:
    """Claude Code names the file after the session (`--resume` looks the name up); lines
    copied from an earlier session keep that one's `sessionId`, so the name wins."""
    stem = path.name.removesuffix(".jsonl")
    if _UUID.fullmatch(stem):
        return stem
    return _string(_SESSION_ID.search(head)) or stem


def find_claude(
    project: str | None, known: Mapping[str, Session], each: Batch | None = None
) -> Found:
    """Claude Code transcripts; of `project` (and folders under it) unless None. `each`:
    told of each project folder's sessions as soon as they are found."""
    root = claude_projects()
    found = Found([], [], [root])
    names = claude_folder_names(project) if project else set()
    for folder in _subfolders(root, found.problems):
        name = folder.name
        exact = name in names
        # A folder under the project has a name that goes on from the project's.
        if project is not None and not exact and not any(name.startswith(n + "-") for n in names):
            continue
        first = len(found.sessions)
        for path, st in _stat_files(folder, _CLAUDE_SESSION, found.problems):
            session = _read(known, path, st, _short_head, found.problems, _claude_session)
            if session is None:
                continue
            # The project's own folder is where `claude --resume` looks: its files count
            # whatever cwd they name; a folder below it counts by the cwd in the file.
            if project is None or exact or same_or_under(session.cwd, project):
                found.sessions.append(session)
        if each is not None and len(found.sessions) > first:
            each(found.sessions[first:])
    return found


def gemini_projects(
    home: Path, problems: list[str], folders: list[Path] | None = None
) -> dict[str, str]:
    """Project folder name under `tmp` -> project root, from `projects.json` and the
    `.project_root` files (of `folders`, the folders under `tmp`, when already listed)."""
    roots: dict[str, str] = {}
    registry = home / "projects.json"
    try:
        data = msgspec.json.decode(registry.read_bytes())
    except FileNotFoundError:
        data = None
    except (OSError, msgspec.DecodeError) as error:
        problems.append(f"{registry}: cannot read ({getattr(error, 'strerror', None) or error})")
        data = None
    projects = data.get("projects") if isinstance(data, dict) else None
    if isinstance(projects, dict):
        for root, name in projects.items():
            if isinstance(root, str) and isinstance(name, str):
                roots[name] = root
    for folder in _subfolders(home / "tmp", problems) if folders is None else folders:
        try:
            marker = (folder / ".project_root").read_text("utf-8").strip()
        except (OSError, UnicodeDecodeError):
            continue
        if marker:
            roots[folder.name] = marker
    return roots


def find_gemini(
    project: str | None, known: Mapping[str, Session], each: Batch | None = None
) -> Found:
    """Gemini CLI chats; of `project` (and folders under it) unless None. `each`: told of
    each project folder's sessions as soon as they are found."""
    home = gemini_home()
    tmp = home / "tmp"
    found = Found([], [], [tmp])
    folders = _subfolders(tmp, found.problems)
    roots = gemini_projects(home, found.problems, folders)
    if project is not None:  # the legacy folder name: the root's sha256
        roots.setdefault(hashlib.sha256(project.encode("utf-8")).hexdigest(), project)
    for folder in folders:
        root = roots.get(folder.name)
        if project is not None and not same_or_under(root, project):
            continue
        first = len(found.sessions)
        for path, st in _stat_files(folder / "chats", _GEMINI_CHAT, found.problems):
            session = _read(
                known, path, st, _short_head, found.problems, partial(_gemini_session, root=root)
            )
            if session is None:
                continue
            found.sessions.append(session)
        if each is not None and len(found.sessions) > first:
            each(found.sessions[first:])
    return found


FINDERS = {"codex": find_codex, "claude-code": find_claude, "gemini": find_gemini}


def kept_by_agent(session: Session) -> bool:
    """Whether the file is where its agent looks sessions up (`--resume` finds only those)."""
    roots = {"codex": codex_sessions(), "claude-code": claude_projects(), "gemini": gemini_home()}
    root = os.path.realpath(roots[session.agent])
    return same_or_under(os.path.realpath(session.path), root)


def session_of(path: Path, dialect: str | None) -> Session | None:
    """The session a file named on the command line (or by a hook) holds, told by the
    dialect the engine read in it: agent, id and project from its first bytes."""
    if dialect is None:
        return None
    st = path.stat()
    if dialect == "codex":
        return _codex_session(path, st, _codex_head(path))
    if dialect == "claude-code":
        return _claude_session(path, st, _head(path, HEAD))
    if dialect.startswith("gemini"):
        roots = gemini_projects(gemini_home(), [])
        return _gemini_session(path, st, _head(path, HEAD), roots.get(path.parent.parent.name))
    return None
