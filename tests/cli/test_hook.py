"""`context-ls hook` with the JSON Claude Code (and Codex) sends on stdin: snapshots before
compaction and at the end, a message the user sees when a resumed or failed session's
transcript is broken, and never a failure or a block of the agent."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from context_ls.cli.hook import MAX_INPUT, run_hook
from context_ls.context.snapshots import SnapshotStore

from . import homes
from .homes import CLAUDE_BROKEN, CODEX_BROKEN, needs_realdata


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, state_dir: Path) -> homes.Home:
    return homes.enter(homes.self_made_home(tmp_path), monkeypatch)


def claude_input(event: str, transcript: Path, cwd: Path, **extra: Any) -> dict[str, Any]:
    """What Claude Code writes on a command hook's stdin."""
    return {
        "session_id": transcript.name.removesuffix(".jsonl"),
        "transcript_path": str(transcript),
        "cwd": str(cwd),
        "permission_mode": "default",
        "hook_event_name": event,
        **extra,
    }


def hook(payload: Any) -> tuple[int, str, str]:
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    out, err = io.StringIO(), io.StringIO()
    code = run_hook(io.BytesIO(data), out, err)
    return code, out.getvalue(), err.getvalue()


def message(out: str) -> str:
    shown = json.loads(out)
    assert set(shown) == {"systemMessage"}  # never `continue: false` or a decision
    return str(shown["systemMessage"])


def snapshot_reasons(path: Path, state_dir: Path) -> list[str]:
    with SnapshotStore.open(state_dir) as store:
        return [record.reason for record in store.list(path)]


def test_pre_compact_and_session_end_snapshot_the_transcript(
    home: homes.Home, state_dir: Path
) -> None:
    path = home.files["claude-broken"]
    event = claude_input("PreCompact", path, home.project, trigger="auto", custom_instructions="")
    assert hook(event) == (0, "", "")
    assert hook(event) == (0, "", "")  # the same bytes are kept once
    with path.open("ab") as handle:
        handle.write(b'{"type":"summary","summary":"more"}\n')
    assert hook(claude_input("SessionEnd", path, home.project, reason="exit")) == (0, "", "")
    assert snapshot_reasons(path, state_dir) == ["SessionEnd hook (exit)", "PreCompact hook (auto)"]
    with SnapshotStore.open(state_dir) as store:
        assert store.get(path).data == path.read_bytes()


def test_a_resumed_broken_session_tells_the_user_what_to_run(home: homes.Home) -> None:
    path = home.files["claude-broken"]
    code, out, err = hook(claude_input("SessionStart", path, home.project, source="resume"))
    assert (code, err) == (0, "")
    text = message(out)
    assert "this session's transcript has 1 problem the API refuses (H001 ×1)" in text
    assert "Quit Claude Code, then run `" in text
    assert f"fix {path}`" in text
    assert text.endswith(f"and `claude --resume {CLAUDE_BROKEN}`.")


@pytest.mark.parametrize("source", ["startup", "clear", "compact"])
def test_other_session_starts_say_nothing(home: homes.Home, source: str) -> None:
    path = home.files["claude-broken"]
    assert hook(claude_input("SessionStart", path, home.project, source=source)) == (0, "", "")


def test_a_clean_resumed_session_says_nothing(home: homes.Home) -> None:
    path = home.files["claude-broken"]
    path.write_bytes(homes.claude_transcript(CLAUDE_BROKEN, str(home.project), broken=False))
    assert hook(claude_input("SessionStart", path, home.project, source="resume")) == (0, "", "")


def test_stop_failure_diagnoses_the_transcript(home: homes.Home) -> None:
    path = home.files["claude-broken"]
    event = claude_input(
        "StopFailure",
        path,
        home.project,
        error="invalid_request",
        error_details="messages.1: `tool_use` ids were found without `tool_result` blocks",
        last_assistant_message=None,
    )
    code, out, _ = hook(event)
    assert code == 0
    assert message(out).startswith(
        "context-ls: the turn ended on an API error (invalid_request), and this session's"
    )


def test_codex_hooks_send_the_same_json(home: homes.Home) -> None:
    path = home.files["codex-broken"]
    event = claude_input("SessionStart", path, home.project, source="resume", model="gpt-5")
    event["session_id"] = CODEX_BROKEN
    code, out, _ = hook(event)
    assert code == 0
    text = message(out)
    assert "Quit Codex, then run" in text
    assert text.endswith(f"and `codex resume {CODEX_BROKEN}`.")


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"not json", "the input is not a hook's JSON"),
        (b"[1, 2]", "the input is not a hook's JSON object"),
        (b" " * (MAX_INPUT + 1), "larger than a hook's JSON"),
        (
            json.dumps({"hook_event_name": "SessionEnd", "transcript_path": "/no/such.jsonl"}),
            "/no/such.jsonl: No such file or directory",
        ),
        (
            json.dumps(
                {"hook_event_name": "SessionStart", "source": "resume", "transcript_path": "/"}
            ),
            "Is a directory",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_0(home: homes.Home, data: Any, says: str) -> None:
    code, out, err = hook(data.encode() if isinstance(data, str) else data)
    assert (code, out) == (0, "")
    assert err.startswith("context-ls hook: ") and says in err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize(
    "payload",
    [
        {"hook_event_name": "SessionStart", "source": "resume", "transcript_path": None},
        {"hook_event_name": "PreToolUse", "tool_name": "Bash"},
        {"hook_event_name": "Stop", "transcript_path": "/no/such.jsonl"},
    ],
)
def test_events_without_a_transcript_or_not_ours_are_quiet(
    home: homes.Home, payload: dict[str, Any]
) -> None:
    assert hook(payload) == (0, "", "")


def test_a_state_folder_that_cannot_be_made_is_one_line(
    home: homes.Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("CONTEXT_LS_STATE_DIR", str(blocker / "state"))
    path = home.files["claude-broken"]
    code, out, err = hook(claude_input("PreCompact", path, home.project, trigger="manual"))
    assert (code, out) == (0, "")
    assert err.startswith("context-ls hook: ") and len(err.splitlines()) == 1


def test_the_command_as_claude_code_runs_it(home: homes.Home, state_dir: Path) -> None:
    """A real process: JSON on stdin, the message as JSON on stdout, exit 0."""
    path = home.files["claude-broken"]
    event = claude_input("SessionStart", path, home.project, source="resume")
    done = subprocess.run(
        [sys.executable, "-m", "context_ls", "hook"],
        input=json.dumps(event).encode(),
        capture_output=True,
        timeout=60,
        env={**os.environ},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "H001 ×1" in message(done.stdout.decode())
    garbage = subprocess.run(
        [sys.executable, "-m", "context_ls", "hook"],
        input=b"\xff\xfe",
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert (garbage.returncode, garbage.stdout) == (0, b"")
    assert len(garbage.stderr.decode().splitlines()) == 1


@needs_realdata
def test_a_real_broken_claude_transcript(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, state_dir: Path
) -> None:
    made = homes.enter(homes.realdata_home(tmp_path), monkeypatch)
    path = made.files["jnarowski__agentcmd/full-session-three.jsonl"]
    event = claude_input("SessionStart", path, made.project, source="resume")
    code, out, _ = hook(event)
    assert code == 0
    text = message(out)
    assert "3 problems the API refuses (H001 ×3)" in text
    cwd = "/Users/jnarowski/Dev/sourceborn/src/agent-workflows-monorepo-v2"
    assert text.endswith(f"`cd {cwd} && claude --resume {path.stem}`.")
    assert hook(claude_input("PreCompact", path, made.project, trigger="auto"))[0] == 0
    assert snapshot_reasons(path, state_dir) == ["PreCompact hook (auto)"]
