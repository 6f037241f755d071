"""The CLI on Gemini API contents and Bedrock Converse bodies: `check` names the dialect,
the line and Gemini's or Bedrock's answer; `normalize --write` repairs them (call parts and
their thoughtSignature untouched); `trim` keeps pairs; `report` draws their calls."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from .conftest import EXAMPLES, Run

GEMINI = "gemini-api-contents.json"
BEDROCK = "bedrock-converse-messages.json"
PLANTED = {
    GEMINI: ("gemini-api", ["H001", "H006", "H004", "H002"]),
    BEDROCK: ("bedrock-converse", ["H006", "H004", "H001", "H002"]),
}


@pytest.fixture
def work(tmp_path: Path) -> Path:
    for name in PLANTED:
        shutil.copy(EXAMPLES / name, tmp_path / name)
    return tmp_path


def checked(cli: Run, path: Path, *flags: str) -> dict:
    result = cli("check", "--format", "json", *flags, path)
    [file] = json.loads(result.out)["files"]
    return file


@pytest.mark.parametrize("name", sorted(PLANTED))
def test_check_names_the_dialect_and_the_planted_faults(cli: Run, name: str) -> None:
    result = cli("check", "--format", "json", EXAMPLES / name)
    assert result.code == 1
    [file] = json.loads(result.out)["files"]
    dialect, planted = PLANTED[name]
    assert file["dialect"] == dialect
    assert [f["code"] for f in file["findings"]] == planted
    assert all(f["fixable"] for f in file["findings"])


def test_check_text_points_at_the_call_turn_and_quotes_gemini(cli: Run) -> None:
    result = cli("check", EXAMPLES / GEMINI)
    lines = (EXAMPLES / GEMINI).read_text(encoding="utf-8").splitlines()
    first = result.out.splitlines()[0]
    where, _, message = first.partition(": H001 [missing-output] ")
    line, column = map(int, where.rsplit(":", 2)[1:])
    assert lines[line - 1][column - 1] == "{"  # the model turn holding the call
    assert "list_commits" in "\n".join(lines[line - 1 : line + 30])
    assert "call turn 3, part 2 (list_commits) has no output" in message
    assert "number of function response parts is equal to the number of function call" in message


def test_check_quotes_bedrock_with_the_message_index(cli: Run) -> None:
    file = checked(cli, EXAMPLES / BEDROCK)
    h001 = next(f for f in file["findings"] if f["code"] == "H001")
    body = json.loads((EXAMPLES / BEDROCK).read_text(encoding="utf-8"))
    call_at = next(
        n
        for n, m in enumerate(body["messages"])
        if any(b.get("toolUse", {}).get("toolUseId") == h001["call_id"] for b in m["content"])
    )
    assert f"Expected toolResult blocks at messages.{call_at + 1}.content" in h001["message"]


@pytest.mark.parametrize("name", sorted(PLANTED))
def test_normalize_write_repairs_and_keeps_call_parts(cli: Run, work: Path, name: str) -> None:
    path = work / name
    before = json.loads(path.read_text(encoding="utf-8"))
    assert cli("normalize", "--check", path).code == 1
    assert cli("normalize", "--write", path).code == 0
    assert cli("check", path).code == 0
    assert cli("normalize", "--check", path).code == 0
    after = json.loads(path.read_text(encoding="utf-8"))
    key = "contents" if name == GEMINI else "messages"
    role = "model" if name == GEMINI else "assistant"
    assert [m for m in before[key] if m["role"] == role] == [
        m for m in after[key] if m["role"] == role
    ]
    assert {k: v for k, v in before.items() if k != key} == {
        k: v for k, v in after.items() if k != key
    }


def test_normalize_keeps_thought_signatures_byte_for_byte(cli: Run, work: Path) -> None:
    path = work / GEMINI
    signatures = [line for line in path.read_bytes().splitlines() if b'"thoughtSignature"' in line]
    assert len(signatures) == 2
    assert cli("normalize", "--write", path).code == 0
    data = path.read_bytes()
    assert all(line in data.splitlines() for line in signatures)


def test_trim_of_the_repaired_bedrock_body_keeps_pairs(cli: Run, work: Path) -> None:
    """Its last five messages hold no plain user message, which a kept part starts with."""
    path = work / BEDROCK
    assert cli("normalize", "--write", path).code == 0
    assert cli("trim", path, "--keep", "6", "--write").code == 0
    file = checked(cli, path)
    assert (file["dialect"], file["findings"], file["records"]) == ("bedrock-converse", [], 6)


def test_trim_of_gemini_contents_starts_at_a_user_turn(cli: Run, tmp_path: Path) -> None:
    def turn(role: str, *parts: dict) -> dict:
        return {"role": role, "parts": list(parts)}

    contents = []
    for n in range(3):
        call = {"functionCall": {"name": "ls", "args": {"n": n}}, "thoughtSignature": "c2ln"}
        contents += [
            turn("user", {"text": f"task {n}"}),
            turn("model", call),
            turn("user", {"functionResponse": {"name": "ls", "response": {"output": n}}}),
            turn("model", {"text": f"done {n}"}),
        ]
    path = tmp_path / "checkpoint.json"
    path.write_text(json.dumps({"history": contents}, indent=2), encoding="utf-8")
    assert cli("trim", path, "--keep", "5", "--write").code == 0
    kept = json.loads(path.read_text(encoding="utf-8"))["history"]
    assert kept == contents[-4:]
    assert checked(cli, path)["findings"] == []


def test_a_forced_dialect_that_does_not_fit_is_refused(cli: Run) -> None:
    result = cli("check", "--dialect", "gemini-api", EXAMPLES / BEDROCK)
    assert result.code == 2
    assert "no gemini-api records" in result.err and "bedrock-converse" in result.err


@pytest.mark.parametrize("name", sorted(PLANTED))
def test_report_draws_the_calls(cli: Run, work: Path, name: str) -> None:
    out = work / "report.html"
    assert cli("report", "--output", out, work / name).code == 0
    page = out.read_text(encoding="utf-8")
    tool = "list_commits" if name == GEMINI else "run_sql"
    assert tool in page and PLANTED[name][0] in page


def test_explain_names_their_repairs(cli: Run) -> None:
    result = cli("explain", "H001")
    assert result.code == 0
    assert "Bedrock" in result.out and "Gemini API" in result.out
    assert "Bedrock" in cli("explain", "results-not-first").out
