"""The CLI on Gemini CLI sessions: check, normalize (JSONL: the repaired messages are
appended; JSON: edited in place), trim and explain."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from history._gen_gemini_cli import (
    ERROR_TEXT,
    UNANSWERED_IN_CONTENT,
    Session,
    Turn,
    render_json,
)

from .conftest import EXAMPLES, Run

EXAMPLE = "gemini-cli-session.jsonl"


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / EXAMPLE
    shutil.copyfile(EXAMPLES / EXAMPLE, path)
    return path


@pytest.fixture
def session_json(tmp_path: Path) -> Path:
    path = tmp_path / "session-2026-03-01T10-00-0d3f6c1e.json"
    path.write_bytes(render_json(Session([Turn(["ok", "no-result"]), Turn(["twice"])])))
    return path


def test_check_reports_the_live_versions_only(cli: Run, log: Path) -> None:
    result = cli("check", log)
    assert result.code == 1
    lines = [line for line in result.out.splitlines() if ": H0" in line]
    # The rewound call (line 3) is not reported; the answer's last version is (line 13).
    assert [(line.split(":")[1], line.split(" ")[1]) for line in lines] == [
        ("7", "H002"),
        ("13", "H001"),
    ]
    assert ERROR_TEXT in result.out
    report = json.loads(cli("check", "--format", "json", log).out)
    assert report["files"][0]["dialect"] == "gemini-cli"
    assert report["files"][0]["records"] == 14


def test_normalize_appends_and_then_checks_clean(cli: Run, log: Path) -> None:
    original = log.read_bytes()
    diff = cli("normalize", log)
    assert diff.code == 0 and '"status":"cancelled"' in diff.out
    assert log.read_bytes() == original
    assert cli("normalize", "--write", log).code == 0
    repaired = log.read_bytes()
    assert repaired.startswith(original)  # the log only grows, as the CLI writes it
    assert len(repaired.splitlines()) == len(original.splitlines()) + 2
    assert cli("check", log).code == 0
    assert cli("normalize", "--check", log).code == 0
    assert cli("snapshot", "restore", log).code == 0
    assert log.read_bytes() == original


def test_normalize_edits_a_json_session_in_place(cli: Run, session_json: Path) -> None:
    original = session_json.read_bytes()
    assert cli("check", session_json).code == 1
    assert cli("normalize", "--write", session_json).code == 0
    repaired = session_json.read_bytes()
    assert cli("check", session_json).code == 0
    session = json.loads(repaired)
    assert [len(m.get("toolCalls", [])) for m in session["messages"]] == [0, 2, 0, 1]
    # Only lines of the two repaired calls changed.
    before, after = original.splitlines(), repaired.splitlines()
    assert before[:40] == after[:40]


def test_trim_a_json_session(cli: Run, session_json: Path) -> None:
    assert cli("normalize", "--write", session_json).code == 0
    assert cli("trim", session_json, "--keep", "2", "--write").code == 0
    trimmed = json.loads(session_json.read_bytes())
    assert [m["type"] for m in trimmed["messages"]] == ["user", "gemini"]
    assert cli("check", session_json).code == 0


def test_trim_a_log_appends_a_checkpoint(cli: Run, log: Path) -> None:
    """`trim` on the upsert log removes no line: one `$set.messages` checkpoint holds the
    last live messages from a prompt on, as the CLI writes one."""
    assert cli("normalize", "--write", log).code == 0
    repaired = log.read_bytes()
    assert cli("trim", log, "--keep", "2", "--write").code == 0
    trimmed = log.read_bytes()
    assert trimmed.startswith(repaired)
    added = trimmed[len(repaired) :].splitlines()
    assert len(added) == 1
    kept = json.loads(added[0])["$set"]["messages"]
    assert [m["type"] for m in kept] == ["user", "gemini", "gemini"]
    assert cli("check", log).code == 0
    report = json.loads(cli("check", "--format", "json", log).out)
    assert report["files"][0]["dialect"] == "gemini-cli"


def test_dialect_flag_and_explain(cli: Run, log: Path) -> None:
    assert cli("check", "--dialect", "gemini-cli", log).code == 1
    assert cli("explain", "H001").code == 0
    other = cli("check", "--dialect", "gemini-cli", EXAMPLES / "native-tools.jsonl")
    assert other.code == 2 and "no gemini-cli records" in other.err


def test_calls_and_responses_in_content_end_to_end(cli: Run, tmp_path: Path) -> None:
    """A session after `/compress`: a call written only in `content` and never answered
    is reported (it used to pass as clean), and the repair adds its response after it."""
    path = tmp_path / "session-2026-06-01T10-00-0d3f6c1e.json"
    path.write_text(json.dumps(UNANSWERED_IN_CONTENT))
    result = cli("check", path)
    assert result.code == 1 and "H001" in result.out and "read_file__1" in result.out
    assert cli("normalize", "--write", path).code == 0
    assert cli("check", path).code == 0
    ids = [m["id"] for m in json.loads(path.read_text())["messages"]]
    assert ids == ["u1", "g1", "g1_response", "g2"]
