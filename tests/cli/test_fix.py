"""`context-ls fix`: check, snapshot, normalize, check again, then what changed and the
resume command; refused (nothing written) while the agent still writes the file."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from context_ls import compression

from . import homes
from .conftest import Run
from .homes import CLAUDE_BROKEN, CODEX_BROKEN, CODEX_CLEAN, needs_realdata


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> homes.Home:
    return homes.enter(homes.self_made_home(tmp_path), monkeypatch)


def problems(cli: Run, path: Path) -> list[str]:
    result = cli("check", "--format", "json", path)
    assert result.code in (0, 1), result.err
    return [f["code"] for f in json.loads(result.out)["files"][0]["findings"]]


def snapshots(cli: Run, path: Path) -> list[dict]:
    return json.loads(cli("snapshot", "list", "--format", "json", path).out)


def test_fix_a_codex_rollout(cli: Run, home: homes.Home) -> None:
    path = home.files["codex-broken"]
    before = path.read_bytes()
    result = cli("fix", path)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == f"{path}: 1 problem (H001 ×1)"
    assert lines[1].startswith("  line 3: H001 call call_1 (shell) has no output")
    assert lines[2] == "Repaired H001 ×1 with 1 edit:"
    assert lines[3] == "  line 3: Insert a synthetic output for call_1"
    assert "undo with `context-ls snapshot restore" in lines[4]
    assert lines[-2:] == [
        "Checked again: no problems left.",
        f"Resume with: codex resume {CODEX_BROKEN}",
    ]
    assert problems(cli, path) == []
    taken = snapshots(cli, path)
    assert [s["reason"] for s in taken] == ["fix"] and taken[0]["id"] in lines[4]
    assert cli("snapshot", "restore", path).code == 0
    assert path.read_bytes() == before


def test_fix_a_claude_code_transcript_by_session_id(cli: Run, home: homes.Home) -> None:
    result = cli("fix", CLAUDE_BROKEN)
    assert result.code == 0, result.err
    assert result.out.startswith(f"{home.files['claude-broken']}: 1 problem (H001 ×1)")
    assert result.out.endswith(f"Resume with: claude --resume {CLAUDE_BROKEN}\n")
    assert problems(cli, home.files["claude-broken"]) == []


def test_fix_latest_takes_the_newest_session_of_this_project(cli: Run, home: homes.Home) -> None:
    for age, name in enumerate(["codex-zst", "claude-broken", "codex-broken", "codex-elsewhere"]):
        stamp = 1_800_000_000 - age * 60
        os.utime(home.files[name], (stamp, stamp))
    os.utime(home.files["codex-elsewhere"], (1_900_000_000, 1_900_000_000))  # other project
    result = cli("fix", "--latest")
    assert result.code == 0, result.err
    path = home.files["codex-zst"]
    assert result.out.startswith(f"{path}: 1 problem")
    # Written back compressed, as Codex keeps it.
    assert compression.is_compressed_file(path)
    assert problems(cli, path) == []
    result = cli("fix", "--latest", "--agent", "claude-code")
    assert result.out.startswith(f"{home.files['claude-broken']}: 1 problem")


def test_a_clean_session_is_left_alone(cli: Run, home: homes.Home) -> None:
    path = home.files["codex-clean"]
    before = path.read_bytes()
    result = cli("fix", path)
    assert result.code == 0
    assert result.out == (
        f"{path}: no problems found; nothing to fix.\n"
        f"Resume with: cd {home.project}/sub && codex resume {CODEX_CLEAN}\n"
    )
    assert path.read_bytes() == before and snapshots(cli, path) == []


@homes.needs_proc
def test_refused_while_the_agent_still_writes(cli: Run, home: homes.Home) -> None:
    path = home.files["codex-broken"]
    before = path.read_bytes()
    with homes.appending(path) as pid:
        result = cli("fix", path)
    assert result.code == 2
    assert len(result.err.splitlines()) == 1
    assert f"(pid {pid}) has it open for appending" in result.err
    assert "Stop python" in result.err or "Quit" in result.err
    assert result.err.rstrip().endswith("Nothing was written.")
    assert path.read_bytes() == before and snapshots(cli, path) == []


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["0199a1b2"], "0199a1b2: more than one session id starts so; give more characters"),
        (["nowhere.jsonl"], "nowhere.jsonl: no such file"),
        (["0000dead"], "0000dead: no such file, and no session has that id"),
        ([], "give a session file, a session id, or --latest"),
        (["--latest", "x.jsonl"], "not both"),
    ],
)
def test_usage_errors_are_one_line(cli: Run, home: homes.Home, argv: list[str], says: str) -> None:
    result = cli("fix", *argv)
    assert result.code == 2
    assert len(result.err.splitlines()) == 1 and says in result.err


def test_latest_in_a_project_without_sessions(
    cli: Run, home: homes.Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.chdir(empty)
    result = cli("fix", "--latest")
    assert result.code == 2 and len(result.err.splitlines()) == 1
    assert f"no sessions of {empty} in " in result.err


def test_fix_a_gemini_session(cli: Run, home: homes.Home) -> None:
    """A Gemini CLI session whose call never returned: the call gets the cancelled result
    the CLI itself records, and the resume command is Gemini's."""
    path = home.files["gemini-hashed"]
    before = path.read_bytes()
    assert problems(cli, path) == ["H001"]
    result = cli("fix", path)
    assert result.code == 0, result.err
    assert result.out.startswith(f"{path}: 1 problem (H001 ×1)")
    assert "Checked again: no problems left." in result.out
    assert "gemini --resume " in result.out.splitlines()[-1]
    assert problems(cli, path) == []
    assert cli("snapshot", "restore", path).code == 0
    assert path.read_bytes() == before


def test_a_foreign_file_is_refused_in_one_line(cli: Run, tmp_path: Path) -> None:
    foreign = tmp_path / "package.json"
    foreign.write_text('{"name": "left-pad"}')
    result = cli("fix", foreign)
    assert result.code == 2 and len(result.err.splitlines()) == 1
    assert "not a session context-ls can read" in result.err
    assert foreign.read_text() == '{"name": "left-pad"}'


@needs_realdata
@pytest.mark.parametrize("name", [*homes.REAL_CODEX, *homes.REAL_CLAUDE])
def test_real_sessions(
    cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """Every real session: repaired and clean afterwards, or says what a person must do."""
    made = homes.enter(homes.realdata_home(tmp_path), monkeypatch)
    path = made.files[name]
    found = problems(cli, path)
    result = cli("fix", path)
    assert "Traceback" not in result.err
    if not found:
        assert result.code == 0 and "nothing to fix" in result.out
        return
    assert result.code in (0, 1), result.err
    resume = result.out.splitlines()[-1]
    assert resume.startswith(("Resume with: cd ", "Resume (it may still fail"))
    assert ("codex resume " if "rollout-" in name else "claude --resume ") in resume
    if result.code == 0:
        assert [c for c in problems(cli, path) if c not in ("H008", "H010")] == []
    else:
        assert "Left for a person: " in result.out


def test_no_resume_command_for_a_file_the_agent_does_not_keep(
    cli: Run, home: homes.Home, tmp_path: Path
) -> None:
    """`codex resume` looks only in Codex's own folder: a copy elsewhere gets no command."""
    copy = tmp_path / "rollout-copy.jsonl"
    copy.write_bytes(home.files["codex-broken"].read_bytes())
    result = cli("fix", copy)
    assert result.code == 0
    assert result.out.splitlines()[-1] == "Checked again: no problems left."
