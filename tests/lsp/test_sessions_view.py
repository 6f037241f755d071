"""`contextLs/sessions`, what VS Code's "Agent Sessions" view asks: the workspace's agent
sessions from a real server over stdio, in a fake HOME laid out as the agents lay it out.
The rows must be those of `context-ls sessions --format json`, live writers included."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pygls.exceptions import JsonRpcException

from cli.homes import (
    CLAUDE_BROKEN,
    CODEX_BROKEN,
    CODEX_CLEAN,
    CODEX_ZST,
    GEMINI_HASHED,
    GEMINI_SHORT,
    appending,
    codex_rollout,
    needs_proc,
    self_made_home,
    use_home,
)
from context_ls.cli.main import main
from context_ls.lsp.features.sessions import SESSIONS, folders_of

from .conftest import Session, Start

THIS_PROJECT = {CODEX_BROKEN, CODEX_CLEAN, CODEX_ZST, CLAUDE_BROKEN, GEMINI_HASHED, GEMINI_SHORT}


def plain(value: Any) -> Any:
    """pygls hands a custom request's result back as namedtuples: as JSON again."""
    if hasattr(value, "_asdict"):
        return {k: plain(v) for k, v in value._asdict().items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


async def ask(session: Session, params: dict[str, Any] | None = None) -> dict[str, Any]:
    result = await session.client.protocol.send_request_async(SESSIONS, params or {})
    return plain(result)  # type: ignore[no-any-return]


def cli_json(capsys: pytest.CaptureFixture[str], *argv: str) -> list[dict[str, Any]]:
    capsys.readouterr()
    assert main(["sessions", "--format", "json", *argv]) == 0
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The fake home as the server's HOME (the server inherits the environment)."""
    made = self_made_home(tmp_path)
    use_home(monkeypatch, made.root)
    return made


async def test_the_rows_are_those_of_the_command_line(
    start: Start, home: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    session = await start()
    answer = await ask(session, {"folders": [str(home.project)]})
    monkeypatch.chdir(home.project)
    assert answer["sessions"] == cli_json(capsys)
    assert {row["session_id"] for row in answer["sessions"]} == THIS_PROJECT
    broken = {row["session_id"]: row for row in answer["sessions"]}
    assert broken[CODEX_BROKEN]["findings"] == {"H001": 1}
    assert broken[CODEX_CLEAN]["findings"] == {}
    assert broken[GEMINI_HASHED]["findings"] == {"H001": 1}  # its call never returned
    assert broken[CLAUDE_BROKEN]["resume"] == f"claude --resume {CLAUDE_BROKEN}"
    root = home.root
    assert answer["searched"] == [
        str(root / ".codex/sessions"),
        str(root / ".claude/projects"),
        str(root / ".gemini/tmp"),
    ]


async def test_file_uris_and_every_project(
    start: Start, home: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    session = await start()
    by_uri = await ask(session, {"folders": [home.project.as_uri()]})
    assert {row["session_id"] for row in by_uri["sessions"]} == THIS_PROJECT
    everything = await ask(session, {"all": True})
    monkeypatch.chdir(home.project)
    listed = cli_json(capsys, "--all")
    assert [r["path"] for r in everything["sessions"]] == [r["path"] for r in listed]
    assert len(everything["sessions"]) > len(THIS_PROJECT)


async def test_without_folders_the_workspace_is_the_project(start: Start, home: Any) -> None:
    session = await start()
    sid = "0199a1b2-0000-7000-8000-0000000000aa"
    home.write(
        "codex-workspace",
        f".codex/sessions/2026/01/04/rollout-2026-01-04T03-04-05-{sid}.jsonl",
        codex_rollout(sid, str(session.workspace), broken=True),
    )
    answer = await ask(session)
    assert [row["session_id"] for row in answer["sessions"]] == [sid]
    assert answer["sessions"][0]["resume"] == f"codex resume {sid}"  # no `cd`: run from there


async def test_a_symlinked_folder_finds_the_sessions_of_where_it_leads(
    start: Start, home: Any, tmp_path: Path
) -> None:
    link = tmp_path / "link"
    link.symlink_to(home.project)
    session = await start()
    answer = await ask(session, {"folders": [str(link)]})
    assert {row["session_id"] for row in answer["sessions"]} == THIS_PROJECT
    paths = [row["path"] for row in answer["sessions"]]
    assert len(paths) == len(set(paths))  # each file once, though both spellings match it


@needs_proc
async def test_a_session_an_agent_still_writes_is_live(start: Start, home: Any) -> None:
    session = await start()
    with appending(home.files["claude-broken"]):
        answer = await ask(session, {"folders": [str(home.project)]})
    live = {row["session_id"] for row in answer["sessions"] if row["live"]}
    assert live == {CLAUDE_BROKEN}
    after = await ask(session, {"folders": [str(home.project)]})
    assert not any(row["live"] for row in after["sessions"])


async def test_an_unreadable_agent_folder_is_a_problem_line(start: Start, home: Any) -> None:
    folder = home.root / ".claude/projects"
    moved = folder.rename(home.root / "claude-projects")
    folder.write_text("not a folder")  # unreadable as a folder, whoever runs the test
    session = await start()
    answer = await ask(session, {"folders": [str(home.project)]})
    assert any(p.startswith(f"{folder}: cannot read") for p in answer["problems"])
    assert CLAUDE_BROKEN not in {row["session_id"] for row in answer["sessions"]}
    assert CODEX_BROKEN in {row["session_id"] for row in answer["sessions"]}
    folder.unlink()
    moved.rename(folder)
    again = await ask(session, {"folders": [str(home.project)]})
    assert CLAUDE_BROKEN in {row["session_id"] for row in again["sessions"]}


@pytest.mark.parametrize("bad", [{"folders": "/tmp"}, {"folders": ["relative/dir"]}])
async def test_bad_params_are_an_error_and_the_server_goes_on(
    start: Start, home: Any, bad: dict[str, Any]
) -> None:
    session = await start()
    with pytest.raises(JsonRpcException, match="folders"):
        await ask(session, bad)
    answer = await ask(session, {"folders": [str(home.project)]})
    assert answer["sessions"]


@given(st.lists(st.text(st.sampled_from("ab/. é"), max_size=12), max_size=4))
def test_folders_are_absolute_and_normal(names: list[str]) -> None:
    given_folders = ["/" + name for name in names]
    folders = folders_of({"folders": given_folders}, [])
    assert folders is not None and len(folders) == len(given_folders)
    assert all(f == os.path.normpath(f) and os.path.isabs(f) for f in folders)
    assert folders_of({"all": True, "folders": given_folders}, []) is None
    assert folders_of(None, ["/ws"]) == ["/ws"]
