"""`context-ls sessions`: the agents' sessions found where each agent keeps them, with
their problems, live writers and resume commands, in text and JSON."""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from context_ls.agents import Session, counts, resume_command
from context_ls.agents import survey as surveying
from context_ls.agents.listing import list_sessions

from . import homes
from .conftest import Run
from .homes import (
    CLAUDE_BROKEN,
    CODEX_BROKEN,
    CODEX_CLEAN,
    CODEX_ELSEWHERE,
    CODEX_ZST,
    GEMINI_HASHED,
    GEMINI_SHORT,
    needs_realdata,
)

KEYS = {"path", "agent", "session_id", "modified", "records", "findings", "live", "resume"}


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> homes.Home:
    return homes.enter(homes.self_made_home(tmp_path), monkeypatch)


def listing(cli: Run, *argv: str) -> list[dict]:
    result = cli("sessions", "--format", "json", *argv)
    assert result.code == 0, result.err
    rows = json.loads(result.out)
    assert all(set(row) == KEYS for row in rows)
    return rows


def by_id(rows: list[dict]) -> dict[str, dict]:
    return {row["session_id"]: row for row in rows}


def test_this_project_of_every_agent(cli: Run, home: homes.Home) -> None:
    rows = by_id(listing(cli))
    assert set(rows) == {
        CODEX_BROKEN,
        CODEX_CLEAN,
        CODEX_ZST,
        CLAUDE_BROKEN,
        GEMINI_HASHED,
        GEMINI_SHORT,
    }
    broken = rows[CODEX_BROKEN]
    assert broken["agent"] == "codex"
    assert broken["path"] == str(home.files["codex-broken"])
    assert broken["findings"] == {"H001": 1}
    assert broken["records"] == 4
    assert broken["live"] is False
    assert broken["resume"] == f"codex resume {CODEX_BROKEN}"
    assert rows[CODEX_CLEAN]["findings"] == {}
    assert rows[CODEX_ZST]["findings"] == {"H001": 1}  # the compressed rollout is read too
    # A session run in a folder below the project resumes from there.
    assert rows[CODEX_CLEAN]["resume"] == f"cd {home.project}/sub && codex resume {CODEX_CLEAN}"
    claude = rows[CLAUDE_BROKEN]
    assert (claude["agent"], claude["findings"]) == ("claude-code", {"H001": 1})
    assert claude["resume"] == f"claude --resume {CLAUDE_BROKEN}"
    # Gemini CLI: the whole-file JSON in the project's sha256 folder, the upsert log in
    # the folder its project registry names.
    hashed, short = rows[GEMINI_HASHED], rows[GEMINI_SHORT]
    assert (hashed["agent"], hashed["records"], hashed["findings"]) == ("gemini", 2, {"H001": 1})
    assert (short["agent"], short["records"], short["findings"]) == ("gemini", 5, {})
    for sid in (GEMINI_HASHED, GEMINI_SHORT):
        assert rows[sid]["resume"] == f"gemini --resume {sid}"


def test_sub_agent_files_are_not_sessions(cli: Run, home: homes.Home) -> None:
    paths = {row["path"] for row in listing(cli, "--all")}
    assert str(home.files["claude-subagent"]) not in paths
    assert str(home.files["gemini-subagent"]) not in paths  # chats/<parent session id>/


def test_gemini_sessions_of_this_project_with_their_problems(
    cli: Run, home: homes.Home, tmp_path: Path
) -> None:
    rows = listing(cli, "--agent", "gemini")
    assert [row["session_id"] for row in rows] == [GEMINI_SHORT, GEMINI_HASHED]
    assert [row["findings"] for row in rows] == [{}, {"H001": 1}]
    text = cli("sessions", "--agent", "gemini").out
    assert "2 records, 1 problem: H001 ×1" in text
    assert f"fix:    context-ls fix {home.files['gemini-hashed']}" in text
    assert text.rstrip().endswith(f"2 sessions of {home.project}, 1 with problems.")
    # From another folder, the resume command goes to the project first: Gemini CLI looks
    # sessions up among the current project's.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.chdir(elsewhere)
    rows = listing(cli, "--agent", "gemini", "--all")
    assert {row["resume"] for row in rows} == {
        f"cd {home.project} && gemini --resume {sid}" for sid in (GEMINI_SHORT, GEMINI_HASHED)
    }


def test_a_gemini_project_is_found_by_the_sha256_of_its_root(
    cli: Run, home: homes.Home, tmp_path: Path
) -> None:
    """Without the project registry and its marker, the legacy folder named by the sha256
    of the project root (as Gemini CLI computes it) still belongs to the project."""
    (home.root / ".gemini/projects.json").unlink()
    (home.root / ".gemini/tmp/proj/.project_root").unlink()
    assert [row["session_id"] for row in listing(cli, "--agent", "gemini")] == [GEMINI_HASHED]
    # An editor's workspace folder through a symbolic link: the CLI hashed the folder as
    # the system reports it (links resolved).
    link = tmp_path / "link"
    link.symlink_to(home.project)
    rows = list_sessions([str(link)], ["gemini"], spread=False).sessions
    assert [row["session_id"] for row in rows] == [GEMINI_HASHED]


def test_all_lists_every_project_newest_first(cli: Run, home: homes.Home) -> None:
    for age, name in enumerate(["codex-elsewhere", "claude-other", "codex-broken"]):
        stamp = 1_800_000_000 - age * 3600
        os.utime(home.files[name], (stamp, stamp))
    rows = listing(cli, "--all")
    ids = [row["session_id"] for row in rows]
    assert {CODEX_ELSEWHERE, "5f2b8c1e-0000-4000-8000-000000000002"} <= set(ids)
    assert ids[:3] == [CODEX_ELSEWHERE, "5f2b8c1e-0000-4000-8000-000000000002", CODEX_BROKEN]
    modified = [row["modified"] for row in rows]
    assert modified == sorted(modified, reverse=True)
    assert rows[0]["modified"] == "2027-01-15T08:00:00+00:00"
    other = str(home.project.parent / "other")
    assert rows[0]["resume"] == f"cd {other} && codex resume {CODEX_ELSEWHERE}"


def test_one_agent(cli: Run, home: homes.Home) -> None:
    rows = listing(cli, "--agent", "claude-code", "--all")
    assert {row["agent"] for row in rows} == {"claude-code"}
    assert len(rows) == 2


def test_text_says_what_is_wrong_and_what_to_run(cli: Run, home: homes.Home) -> None:
    result = cli("sessions")
    assert result.code == 0
    block = next(b for b in result.out.split("\n\n") if CODEX_BROKEN in b)
    assert str(home.files["codex-broken"]) in block
    assert "4 records, 1 problem: H001 ×1" in block
    assert f"fix:    context-ls fix {home.files['codex-broken']}" in block
    assert f"resume: codex resume {CODEX_BROKEN}" in block
    assert result.out.rstrip().endswith(f"6 sessions of {home.project}, 4 with problems.")


def test_no_sessions_says_where_it_looked(
    cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    homes.use_home(monkeypatch, tmp_path)
    monkeypatch.chdir(tmp_path)
    result = cli("sessions")
    assert result.code == 0
    assert f"No sessions of {tmp_path} in {tmp_path}/.codex/sessions" in result.out
    assert "`--all` lists every project" in result.out


def test_agent_folders_from_the_environment(
    cli: Run, home: homes.Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    (home.root / ".codex").rename(moved / "codex")
    (home.root / ".claude").rename(moved / "claude")
    (home.root / ".gemini").rename(moved / ".gemini")
    monkeypatch.setenv("CODEX_HOME", str(moved / "codex"))
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(moved / "claude"))
    monkeypatch.setenv("GEMINI_CLI_HOME", str(moved))
    # Gemini's project registry names the project by its path: it still matches.
    assert len(listing(cli)) == 6


def test_counts_are_cached_by_size_mtime_and_inode(
    cli: Run, home: homes.Home, monkeypatch: pytest.MonkeyPatch, state_dir: Path
) -> None:
    first = listing(cli)
    assert (state_dir / surveying.CACHE_NAME).is_file()

    def no_analysis(session: Session) -> None:
        raise AssertionError(f"{session.path} analysed again")

    monkeypatch.setattr(counts, "analyse", no_analysis)
    assert listing(cli) == first
    monkeypatch.undo()
    homes.use_home(monkeypatch, home.root)
    monkeypatch.chdir(home.project)
    path = home.files["codex-broken"]
    path.write_bytes(homes.codex_rollout(CODEX_BROKEN, str(home.project), broken=False))
    assert by_id(listing(cli))[CODEX_BROKEN]["findings"] == {}


def test_a_broken_cache_is_ignored(cli: Run, home: homes.Home, state_dir: Path) -> None:
    first = listing(cli)
    (state_dir / surveying.CACHE_NAME).write_bytes(b'{"version": 1, "files": [1, 2')
    assert listing(cli) == first


def test_foreign_files_get_one_line_each(cli: Run, home: homes.Home) -> None:
    day = home.files["codex-broken"].parent
    (day / "rollout-2026-01-02T09-00-00-notes.jsonl").write_bytes(b"just some notes\n")
    (day / "notes.txt").write_text("not named like a rollout: not looked at")
    folder = home.files["claude-broken"].parent
    (folder / "package.jsonl").write_text('{"name": "left-pad", "version": "1.0.0"}\n')
    result = cli("sessions", "--all")
    assert result.code == 0
    lines = result.err.splitlines()
    assert f"{day}/rollout-2026-01-02T09-00-00-notes.jsonl: not a Codex session" in result.err
    assert f"{folder}/package.jsonl: not a Claude Code session" in result.err
    assert len(lines) == 2 and "Traceback" not in result.err
    # The next listing (from the cache) says so again.
    assert cli("sessions", "--all").err == result.err


def test_a_gemini_chat_the_engine_cannot_read_gets_one_line(cli: Run, home: homes.Home) -> None:
    chats = home.files["gemini-short"].parent
    (chats / "session-2026-01-03T00-00-deadbeef.json").write_text('{"sessionId": 1, "notes": []}')
    result = cli("sessions", "--agent", "gemini")
    assert result.code == 0 and "Traceback" not in result.err
    assert result.err == (
        f"{chats}/session-2026-01-03T00-00-deadbeef.json: not a Gemini CLI session"
        " (no records the engine reads); skipped\n"
    )
    assert "2 sessions of" in result.out


def test_unreadable_folders_get_one_line_each(cli: Run, home: homes.Home, tmp_path: Path) -> None:
    projects = home.root / ".claude" / "projects"
    (home.root / ".claude").rename(tmp_path / "claude-away")
    (home.root / ".claude").mkdir()
    projects.write_text("a file where a folder should be")
    loop = home.root / ".gemini" / "tmp"
    os.rename(loop, tmp_path / "gemini-away")
    loop.symlink_to(loop)  # a symlink loop: reading it fails
    result = cli("sessions", "--format", "json")
    assert result.code == 0
    assert {row["agent"] for row in json.loads(result.out)} == {"codex"}
    lines = result.err.splitlines()
    assert len(lines) == 2 and "Traceback" not in result.err
    assert lines[0].startswith(f"{projects}: cannot read (Not a directory)")
    assert lines[1].startswith(f"{loop}: cannot read (")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads folders whatever their mode")
def test_a_folder_without_permission(cli: Run, home: homes.Home) -> None:
    folder = home.files["claude-broken"].parent
    folder.chmod(0)
    try:
        result = cli("sessions")
    finally:
        folder.chmod(0o755)
    assert result.code == 0
    assert result.err == f"{folder}: cannot read (Permission denied); its sessions are not listed\n"


@homes.needs_proc
def test_a_rollout_codex_still_appends_to_is_live(cli: Run, home: homes.Home) -> None:
    path = home.files["codex-broken"]
    with homes.appending(path) as pid:
        rows = by_id(listing(cli))
        text = cli("sessions").out
    assert rows[CODEX_BROKEN]["live"] is True
    assert rows[CODEX_CLEAN]["live"] is False
    assert f"(pid {pid}) has it open for appending" in text
    assert "before fixing it" in text


def test_usage_errors_are_one_line(cli: Run, home: homes.Home) -> None:
    result = cli("sessions", "--agent", "cursor")
    assert result.code == 2 and len(result.err.splitlines()) == 1


@given(
    agent=st.sampled_from(["codex", "claude-code", "gemini"]),
    sid=st.text(min_size=1, max_size=40).filter(lambda s: "\0" not in s),
    cwd=st.text(min_size=1, max_size=40).filter(lambda s: "\0" not in s).map(lambda s: "/" + s),
)
def test_resume_commands_survive_the_shell(agent: str, sid: str, cwd: str) -> None:
    """Whatever the id and folder hold, the shell hands them back as one word each."""
    session = Session(agent, Path("/x"), sid, cwd, 0, 0, 0)
    words = shlex.split(resume_command(session, "/elsewhere") or "")
    program = {"codex": ["codex", "resume"], "claude-code": ["claude", "--resume"]}
    assert words[-3:] == [*program.get(agent, ["gemini", "--resume"]), sid][-3:]
    if os.path.normpath(cwd) != "/elsewhere":
        assert words[:3] == ["cd", cwd, "&&"]


# the real files ---------------------------------------------------------------------


@pytest.fixture
def real_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> homes.Home:
    return homes.enter(homes.realdata_home(tmp_path), monkeypatch)


@needs_realdata
def test_real_sessions_agree_with_check(cli: Run, real_home: homes.Home) -> None:
    rows = listing(cli, "--all")
    paths = {row["path"]: row for row in rows}
    expected = [*homes.REAL_CODEX, *homes.REAL_CLAUDE, *homes.REAL_GEMINI]
    assert set(paths) == {str(real_home.files[name]) for name in expected}
    checked = json.loads(cli("check", "--format", "json", real_home.root).out)
    assert len(checked["files"]) == len(expected)
    for file in checked["files"]:
        row = paths[file["path"]]
        codes: dict[str, int] = {}
        for finding in file["findings"]:
            codes[finding["code"]] = codes.get(finding["code"], 0) + 1
        assert (row["records"], row["findings"]) == (file["records"], codes), file["path"]
    madshn = paths[str(real_home.files[homes.REAL_CODEX[1]])]
    assert madshn["session_id"] == "019c8a53-a0dd-7130-bcd7-95445d84846a"
    assert madshn["findings"] == {"H001": 1}
    gemini = paths[str(real_home.files[homes.REAL_GEMINI[0]])]
    assert gemini["session_id"] == "981c87cb-90ef-4c7f-948d-23173ff43e4e"
    assert (gemini["records"], gemini["findings"]) == (18, {})


@needs_realdata
def test_real_project_filter(
    cli: Run, real_home: homes.Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(surveying, "here", lambda: "/home/marco/projects/spotter")
    rows = listing(cli)
    assert [row["path"] for row in rows] == [
        str(real_home.files["marot__spotter/tool_heavy.jsonl"])
    ]
    assert rows[0]["resume"] == f"claude --resume {rows[0]['session_id']}"
    monkeypatch.setattr(surveying, "here", lambda: "/redacted/path/59b923df4d")
    assert [row["agent"] for row in listing(cli)] == ["codex", "codex"]


def test_many_files_are_analysed_over_processes_alike(
    cli: Run, home: homes.Home, monkeypatch: pytest.MonkeyPatch, state_dir: Path
) -> None:
    one_by_one = listing(cli, "--all")
    (state_dir / surveying.CACHE_NAME).unlink()
    monkeypatch.setattr(counts, "POOL_FROM", 2)
    assert listing(cli, "--all") == one_by_one


@homes.needs_proc
def test_writers_are_found_while_the_processes_analyse(
    cli: Run, home: homes.Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(counts, "POOL_FROM", 2)
    with homes.appending(home.files["claude-broken"]):
        rows = by_id(listing(cli))
    assert [sid for sid, row in rows.items() if row["live"]] == [CLAUDE_BROKEN]


def test_windows_folders_match_whatever_their_case(monkeypatch: pytest.MonkeyPatch) -> None:
    """Gemini CLI keeps Windows project roots lowercased in its registry."""
    import ntpath

    import context_ls.agents as agents

    class WindowsOs:
        path = ntpath
        sep = "\\"

    monkeypatch.setattr(agents, "os", WindowsOs)
    assert agents.same_or_under("c:\\users\\ann\\proj", "C:\\Users\\Ann\\Proj")
    assert agents.same_or_under("c:\\users\\ann\\proj\\sub", "C:\\Users\\Ann\\Proj")
    assert not agents.same_or_under("c:\\users\\ann\\project", "C:\\Users\\Ann\\Proj")
