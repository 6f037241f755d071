"""The context-ls CLI: check, normalize, trim, snapshot, explain."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from context_ls.cli.main import main
from context_ls.history.rules import RULES

from .conftest import EXAMPLES, REPO, Run

EXPECTED = json.loads((EXAMPLES / "EXPECTED.json").read_text())
TEXT_LINE = re.compile(
    r"^(?P<path>.+):(?P<line>\d+):(?P<col>\d+): (?P<code>H\d{3}) \[(?P<rule>[a-z-]+)\] (?P<message>.+)$"
)
FINDING_KEYS = {
    "code",
    "rule",
    "severity",
    "message",
    "call_id",
    "line",
    "column",
    "end_line",
    "end_column",
    "fixable",
}
FILE_KEYS = {"path", "dialect", "records", "findings"}


@pytest.fixture
def work(tmp_path: Path) -> Path:
    folder = tmp_path / "work"
    folder.mkdir()
    for name in EXPECTED:
        shutil.copyfile(EXAMPLES / name, folder / name)
    return folder


def one_json(out: str) -> dict:
    value = json.loads(out)  # exactly one JSON document
    assert isinstance(value, dict) and set(value) == {"files", "summary"}
    return value


# --- check ---------------------------------------------------------------------------------------


def test_check_clean_file_exits_0(cli: Run) -> None:
    result = cli("check", EXAMPLES / "clean-codex-rollout.jsonl")
    assert result.code == 0
    assert not [line for line in result.out.splitlines() if TEXT_LINE.match(line)]


def test_check_findings_exit_1_text_format(cli: Run) -> None:
    path = EXAMPLES / "native-tools.jsonl"
    result = cli("check", path)
    assert result.code == 1
    matches = [TEXT_LINE.match(line) for line in result.out.splitlines()]
    findings = [m for m in matches if m]
    assert [(m["code"]) for m in findings] == ["H008", "H001", "H002"]
    for m in findings:
        assert m["path"] == str(path)
        assert int(m["line"]) >= 1 and int(m["col"]) >= 1
    assert {m["rule"] for m in findings} == {"invalid-status", "missing-output", "orphan-output"}


def test_check_folder_json_lists_every_file(cli: Run, work: Path) -> None:
    (work / "package.json").write_text('{"name": "x", "version": "1.0.0", "dependencies": {}}')
    (work / "sub").mkdir()
    (work / "sub" / "tsconfig.json").write_text('{"compilerOptions": {"strict": true}}')
    (work / "notes.txt").write_text("not looked at")
    result = cli("check", "--format", "json", work)
    assert result.code == 1
    report = one_json(result.out)
    by_name = {Path(f["path"]).name: f for f in report["files"]}
    assert set(by_name) == set(EXPECTED) | {"package.json", "tsconfig.json"}
    for name, f in by_name.items():
        assert set(f) >= FILE_KEYS
        if name in EXPECTED:
            assert f["dialect"] == EXPECTED[name]["dialect"]
            got = sorted(((x["code"], x["call_id"]) for x in f["findings"]), key=repr)
            want = sorted(((x["code"], x["call_id"]) for x in EXPECTED[name]["findings"]), key=repr)
            assert got == want
            assert f["records"] > 0
        else:
            assert f["dialect"] is None and f["findings"] == []
        for x in f["findings"]:
            assert set(x) == FINDING_KEYS
            assert x["line"] >= 1 and x["column"] >= 1
            assert (x["end_line"], x["end_column"]) >= (x["line"], x["column"])
            assert x["severity"] in ("error", "warning", "info")
            assert isinstance(x["fixable"], bool)
    summary = report["summary"]
    total = sum(len(f["findings"]) for f in report["files"])
    assert summary["findings"] == total
    assert summary["files"] == len(report["files"])
    assert summary["histories"] == len(EXPECTED)


def test_check_json_non_history_only_exits_0(cli: Run, tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{"editor.fontSize": 14}')
    result = cli("check", "--format", "json", path)
    assert result.code == 0
    [f] = one_json(result.out)["files"]
    assert f["dialect"] is None and f["findings"] == []


def test_check_github_format(cli: Run) -> None:
    result = cli("check", "--format", "github", EXAMPLES / "native-tools.jsonl")
    assert result.code == 1
    lines = [line for line in result.out.splitlines() if line]
    assert len(lines) == 3
    pattern = re.compile(
        r"^::(error|warning|notice) file=[^,]+,line=\d+,col=\d+,endLine=\d+,endColumn=\d+,title=H\d{3} [a-z-]+::.+$"
    )
    for line in lines:
        assert pattern.match(line), line
    assert lines[0].startswith("::warning ") and "title=H008 invalid-status" in lines[0]
    assert lines[1].startswith("::error ") and "title=H001 missing-output" in lines[1]


@pytest.mark.parametrize(
    ("flags", "codes"),
    [
        (["--select", "H001"], ["H001"]),
        (["--select", "H001,H002"], ["H001", "H002"]),
        (["--select", "missing-output"], ["H001"]),
        (["--ignore", "H008"], ["H001", "H002"]),
        (["--ignore", "H001,invalid-status"], ["H002"]),
        (["--select", "H00"], ["H008", "H001", "H002"]),
    ],
)
def test_check_select_and_ignore(cli: Run, flags: list[str], codes: list[str]) -> None:
    result = cli("check", "--format", "json", *flags, EXAMPLES / "native-tools.jsonl")
    assert result.code == 1
    [f] = one_json(result.out)["files"]
    assert [x["code"] for x in f["findings"]] == codes


def test_check_select_nothing_left_exits_0(cli: Run) -> None:
    result = cli("check", "--select", "H009", EXAMPLES / "native-tools.jsonl")
    assert result.code == 0


def test_check_dialect_override(cli: Run, tmp_path: Path) -> None:
    # native-tools.jsonl holds a few records Chat would accept too: forced, it is read as Chat.
    result = cli(
        "check", "--format", "json", "--dialect", "openai-chat", EXAMPLES / "native-tools.jsonl"
    )
    [f] = one_json(result.out)["files"]
    assert f["dialect"] == "openai-chat"
    result = cli(
        "check",
        "--format",
        "json",
        "--dialect",
        "openai-chat",
        EXAMPLES / "openai-chat-messages.json",
    )
    [f] = one_json(result.out)["files"]
    assert f["dialect"] == "openai-chat" and len(f["findings"]) == 3


def _one_line_error(result) -> None:
    assert result.code == 2
    assert result.out == ""
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1, result.err
    assert "error" in lines[0]


def test_unknown_rule_is_a_one_line_usage_error(cli: Run) -> None:
    result = cli("check", "--select", "H999", EXAMPLES / "native-tools.jsonl")
    _one_line_error(result)
    assert "H999" in result.err
    _one_line_error(cli("check", "--ignore", "no-such-rule", EXAMPLES / "native-tools.jsonl"))


def test_unknown_dialect_is_a_one_line_usage_error(cli: Run) -> None:
    result = cli("check", "--dialect", "gemini", EXAMPLES / "native-tools.jsonl")
    _one_line_error(result)


def test_unknown_dialect_exits_2(cli: Run) -> None:
    result = cli("check", "--dialect", "gemini", EXAMPLES / "native-tools.jsonl")
    assert result.code == 2 and result.out == "" and "gemini" in result.err


def test_missing_path_exits_2(cli: Run, tmp_path: Path) -> None:
    result = cli("check", tmp_path / "nope.jsonl")
    _one_line_error(result)
    assert "nope.jsonl" in result.err
    assert cli("normalize", tmp_path / "nope.jsonl").code == 2


def test_unreadable_file_exits_2(cli: Run, tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads everything")
    path = tmp_path / "locked.jsonl"
    shutil.copyfile(EXAMPLES / "native-tools.jsonl", path)
    path.chmod(0)
    assert cli("check", path).code == 2


# --- normalize ----------------------------------------------------------------------------------


def test_normalize_diff_is_the_default_and_writes_nothing(cli: Run, work: Path) -> None:
    before = {p.name: p.read_bytes() for p in work.iterdir()}
    result = cli("normalize", work)
    assert result.code == 0
    assert (
        result.out.count("--- a/") == len(EXPECTED) - 1
    )  # every broken example, not the clean one
    assert "+++ b/" in result.out and "\n@@ " in result.out
    assert '"output":"aborted"' in result.out
    assert {p.name: p.read_bytes() for p in work.iterdir()} == before
    assert cli("normalize", "--diff", work / "native-tools.jsonl").out.startswith("--- a/")


def test_normalize_check_exit_codes(cli: Run, work: Path) -> None:
    assert cli("normalize", "--check", work / "native-tools.jsonl").code == 1
    assert cli("normalize", "--check", work / "clean-codex-rollout.jsonl").code == 0
    assert (work / "native-tools.jsonl").read_bytes() == (
        EXAMPLES / "native-tools.jsonl"
    ).read_bytes()


def test_normalize_write_snapshot_and_restore(cli: Run, work: Path, state_dir: Path) -> None:
    path = work / "codex-rollout-crashed.jsonl"
    original = path.read_bytes()
    result = cli("normalize", "--write", path)
    assert result.code == 0
    repaired = path.read_bytes()
    assert repaired != original
    assert cli("check", path).code == 0
    assert cli("normalize", "--check", path).code == 0

    listed = cli("snapshot", "list", "--format", "json", path)
    assert listed.code == 0
    rows = json.loads(listed.out)
    assert len(rows) == 1
    assert set(rows[0]) == {"id", "timestamp", "reason", "bytes"}
    assert rows[0]["bytes"] == len(original)
    assert state_dir.exists()

    restored = cli("snapshot", "restore", path)
    assert restored.code == 0
    assert path.read_bytes() == original
    rows = json.loads(cli("snapshot", "list", "--format", "json", path).out)
    assert len(rows) == 2  # the repaired content was kept before the restore
    assert rows[0]["bytes"] == len(repaired)
    # and that restore is undoable too
    assert cli("snapshot", "restore", "--id", rows[0]["id"], path).code == 0
    assert path.read_bytes() == repaired


def test_state_dir_flag(cli: Run, work: Path, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere"
    path = work / "native-tools.jsonl"
    assert cli("--state-dir", other, "normalize", "--write", path).code == 0
    assert other.exists() and any(other.rglob("*"))
    rows = json.loads(cli("--state-dir", other, "snapshot", "list", "--format", "json", path).out)
    assert len(rows) == 1


def test_snapshot_list_of_a_file_without_snapshots(cli: Run, work: Path) -> None:
    result = cli("snapshot", "list", "--format", "json", work / "native-tools.jsonl")
    assert result.code == 0 and json.loads(result.out) == []
    assert cli("snapshot", "restore", work / "native-tools.jsonl").code == 2


def test_normalize_skips_non_histories(cli: Run, tmp_path: Path) -> None:
    path = tmp_path / "package.json"
    path.write_text('{"name": "x"}')
    assert cli("normalize", "--check", path).code == 0
    assert cli("normalize", "--write", path).code == 0
    assert path.read_text() == '{"name": "x"}'


# --- trim ------------------------------------------------------------------------------------------


def test_trim_keep_write(cli: Run, work: Path) -> None:
    path = work / "clean-codex-rollout.jsonl"
    original = path.read_bytes()
    diff = cli("trim", path, "--keep", "4")
    assert diff.code == 0 and diff.out.startswith("--- a/")
    assert path.read_bytes() == original
    result = cli("trim", path, "--keep", "4", "--write")
    assert result.code == 0
    trimmed = path.read_bytes()
    assert len(trimmed) < len(original)
    assert trimmed.splitlines()[0] == original.splitlines()[0]  # session_meta kept
    assert cli("check", "--dialect", "codex", path).code == 0
    rows = json.loads(cli("snapshot", "list", "--format", "json", path).out)
    assert rows[0]["bytes"] == len(original)


def test_trim_errors(cli: Run, tmp_path: Path) -> None:
    path = tmp_path / "package.json"
    path.write_text('{"name": "x"}')
    _one_line_error(cli("trim", path, "--keep", "2"))
    _one_line_error(cli("trim", tmp_path / "missing.jsonl", "--keep", "2"))
    assert cli("trim", EXAMPLES / "native-tools.jsonl", "--keep", "-1").code == 2


# --- explain -----------------------------------------------------------------------------------------


def test_explain(cli: Run) -> None:
    result = cli("explain", "H001")
    assert result.code == 0
    assert result.out.startswith("# H001 missing-output")
    assert "No tool output found for function call" in result.out
    assert cli("explain", "orphan-output").out.startswith("# H002 orphan-output")
    listing = cli("explain")
    assert listing.code == 0
    assert [line.split()[0] for line in listing.out.splitlines()] == sorted(RULES)
    _one_line_error(cli("explain", "H999"))


# --- the installed script, and stdout redirection -----------------------------------------------------


def test_installed_script_end_to_end(tmp_path: Path) -> None:
    script = REPO / ".venv" / "bin" / "context-ls"
    if not script.exists():
        pytest.skip("no .venv/bin/context-ls")
    env = {**os.environ, "CONTEXT_LS_STATE_DIR": str(tmp_path / "state")}
    run = subprocess.run(
        [str(script), "check", "--format", "json", str(EXAMPLES)],
        capture_output=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert run.returncode == 1, run.stderr
    report = json.loads(run.stdout)
    assert {Path(f["path"]).name for f in report["files"]} == set(EXPECTED) | {"EXPECTED.json"}
    assert report["summary"]["findings"] == sum(len(v["findings"]) for v in EXPECTED.values())
    clean = subprocess.run(
        [sys.executable, "-m", "context_ls", "check", str(EXAMPLES / "clean-codex-rollout.jsonl")],
        capture_output=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert clean.returncode == 0, clean.stderr


def test_output_follows_a_redirected_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    import context_ls.cli.check  # noqa: F401 - imported before the redirect, as any caller would

    buffer = io.StringIO()
    with redirect_stdout(buffer):
        code = main(["check", "--format", "json", str(EXAMPLES / "native-tools.jsonl")])
    assert code == 1
    assert json.loads(buffer.getvalue())["summary"]["findings"] == 3


def test_folder_walk_skips_vcs_and_dependency_folders(cli: Run, tmp_path: Path) -> None:
    for folder in (".git", "node_modules", ".venv", "deep/er"):
        (tmp_path / folder).mkdir(parents=True)
        shutil.copyfile(EXAMPLES / "native-tools.jsonl", tmp_path / folder / "h.jsonl")
    (tmp_path / "empty.jsonl").write_bytes(b"")
    result = cli("check", "--format", "json", tmp_path)
    report = one_json(result.out)
    paths = sorted(Path(f["path"]).relative_to(tmp_path).as_posix() for f in report["files"])
    assert paths == ["deep/er/h.jsonl", "empty.jsonl"]
    empty = next(f for f in report["files"] if f["path"].endswith("empty.jsonl"))
    assert empty["dialect"] is None and empty["findings"] == []
    assert result.code == 1


def test_text_summary_line(cli: Run) -> None:
    result = cli("check", EXAMPLES / "native-tools.jsonl", EXAMPLES / "clean-codex-rollout.jsonl")
    assert result.code == 1
    assert "Found 3 problems (H001 1, H002 1, H008 1).\n2 histories checked.\n" in result.out
    clean = cli("check", EXAMPLES / "clean-codex-rollout.jsonl")
    assert clean.code == 0 and clean.out == "All checks passed! (1 history checked)\n"


def test_normalize_write_is_idempotent_on_disk(cli: Run, work: Path) -> None:
    assert cli("normalize", "--write", work).code == 0
    once = {p.name: p.read_bytes() for p in work.iterdir()}
    assert cli("normalize", "--check", work).code == 0
    assert cli("normalize", "--write", work).code == 0
    assert {p.name: p.read_bytes() for p in work.iterdir()} == once
    report = one_json(cli("check", "--format", "json", work).out)
    assert {x["code"] for f in report["files"] for x in f["findings"]} <= {"H003", "H008", "H010"}


def test_normalize_diff_applies_with_patch(
    cli: Run, work: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    patch = shutil.which("patch")
    if patch is None:
        pytest.skip("no patch(1)")
    (work / "crlf.jsonl").write_bytes(
        (EXAMPLES / "native-tools.jsonl").read_bytes().replace(b"\n", b"\r\n")
    )
    monkeypatch.chdir(work)
    diff = cli("normalize", ".")
    assert diff.code == 0 and diff.out
    target = tmp_path / "patched"
    shutil.copytree(work, target)
    run = subprocess.run(
        [patch, "-p1", "-s"], input=diff.out.encode(), cwd=target, capture_output=True, check=False
    )
    assert run.returncode == 0, run.stderr
    assert cli("normalize", "--write", ".").code == 0
    for path in work.iterdir():
        assert (target / path.name).read_bytes() == path.read_bytes(), path.name
