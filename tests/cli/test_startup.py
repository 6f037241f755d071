"""`context-ls check` of one file starts fast: it does not import what only another command,
a repair, `--jobs` over many files or the language server needs. A fresh interpreter runs
the command and tells which modules got loaded (no timing: what is loaded is what costs)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

# Each is imported where it is used, never by `check` of one file.
NOT_FOR_CHECK = (
    "multiprocessing",  # `--jobs` with several files or a big data set
    "context_ls.history.dialects.finetune_scan",  # a big data set
    "context_ls.history.normalize",  # repairs
    "context_ls.history.edits",
    "context_ls.history.trim",
    "context_ls.history.moves",
    "context_ls.history.dialects.gemini_cli_fix",
    "context_ls.history.dialects.gemini_cli_trim",
    "context_ls.history.dialects.finetune_fix",
    "context_ls.history.details",  # hovers
    "context_ls.history.api",  # everything a server or a repair asks for
    "context_ls.history.new_records",  # repairs
    "context_ls.history.style",
    "tempfile",  # a streamed compressed file
    "shutil",  # argparse's terminal width, only for help
    "threading",  # the server's worker threads (a lock comes from _thread)
    "context_ls.cli.repair",  # other commands
    "context_ls.cli.fix",
    "context_ls.cli.sessions",
    "context_ls.agents",
    "context_ls.context",
    "context_ls.report",
    "context_ls.lsp",  # the server
    "pygls",
    "lsprotocol",
)

# The command run as `python -m context_ls …` runs it (the VS Code client does the same for
# `serve`), or as the `context-ls` console script does; the modules loaded are written as
# JSON by an exit handler (a read-only command ends the process without tearing it down,
# but exit handlers run).
_DUMP = """
import atexit, json, sys
out, sys.argv = sys.argv[1], ["context-ls", *sys.argv[2:]]

def dump() -> None:
    with open(out, "w") as handle:
        json.dump(sorted(sys.modules), handle)

atexit.register(dump)
"""
_MODULE = (
    _DUMP
    + """
import runpy
runpy.run_module("context_ls", run_name="__main__", alter_sys=True)
"""
)
_SCRIPT = (
    _DUMP
    + """
from context_ls.cli.main import run
sys.exit(run())
"""
)


def _run(entry: str, tmp_path: Path, *words: str) -> tuple[int, str, list[str]]:
    """Exit code, standard output and the modules loaded by the time the command ended."""
    report = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", entry, str(report), *words],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert report.exists(), done.stderr
    return done.returncode, done.stdout, json.loads(report.read_text())


def _heavy(modules: list[str]) -> list[str]:
    """The modules of `NOT_FOR_CHECK` (or inside one of them) among `modules`."""
    return [m for m in modules if any(m == n or m.startswith(f"{n}.") for n in NOT_FOR_CHECK)]


@pytest.mark.parametrize("entry", [_MODULE, _SCRIPT], ids=["python -m", "console script"])
def test_checking_a_small_document_loads_nothing_it_does_not_use(
    entry: str, tmp_path: Path
) -> None:
    path = tmp_path / "tiny.json"
    path.write_text('{"messages": [{"role": "user", "content": "hi"}]}')
    code, out, modules = _run(entry, tmp_path, "check", "--format", "json", str(path))
    assert code == 0
    assert json.loads(out)["summary"]["histories"] == 1  # it did read the file
    assert "context_ls.history.analysis" in modules  # the probe sees what was loaded
    assert _heavy(modules) == []


@pytest.mark.parametrize(
    "name",
    [
        "claude-code-session.jsonl",
        "codex-rollout-crashed.jsonl",
        "gemini-cli-session.jsonl",
        "openai-chat-messages.json",
        "anthropic-messages.json",
    ],
)
def test_checking_a_broken_history_loads_none_of_the_repairs(name: str, tmp_path: Path) -> None:
    """Findings (each example has some) are reported without the machinery that fixes them."""
    code, out, modules = _run(_SCRIPT, tmp_path, "check", "--format", "json", str(EXAMPLES / name))
    assert code == 1
    assert json.loads(out)["summary"]["findings"] > 0
    assert _heavy(modules) == []


def test_the_other_commands_still_get_their_arguments(tmp_path: Path) -> None:
    """Only the named subcommand is built: each still parses as with all of them built."""
    from context_ls.cli.parser import build_parser, command_in

    whole = build_parser()
    for words in (
        ["sessions", "--agent", "codex", "--format", "json"],
        ["fix", "--latest", "--force"],
        ["snapshot", "restore", "x.jsonl", "--id", "1"],
        ["--state-dir", str(tmp_path), "trim", "x.jsonl", "--keep", "3", "--write"],
        ["--state", str(tmp_path), "report", "x.json", "-o", "y.html"],
        [f"--state-dir={tmp_path}", "check", "-j", "2", "a.json"],
        ["serve", "--tcp", "--port", "1"],
    ):
        command = command_in(words)
        assert command is not None and command in words
        assert build_parser(command).parse_args(words) == whole.parse_args(words)
    # Unsure what comes first: every subcommand is built.
    assert command_in(["--version"]) is None
    assert command_in(["-h", "check"]) is None
    assert command_in(["--state-dir"]) is None
    assert command_in(["--state-dir", "check"]) is None  # "check" is the folder
    assert command_in(["chek", "x"]) is None


@pytest.mark.parametrize(
    "words",
    [
        ["check"],
        ["check", "--format", "bogus", "x.json"],
        ["check", "x.json", "--bogus"],
        ["check", "-j", "many", "x.json"],
        ["snapshot"],
        ["snapshot", "bogus"],
        ["fix", "--agent", "nobody"],
        ["trim", "x.jsonl"],
    ],
)
def test_a_usage_error_reads_the_same_with_one_subcommand_built(
    words: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    from context_ls.cli.parser import build_parser, command_in

    said = []
    for command in (None, command_in(words)):
        with pytest.raises(SystemExit) as done:
            build_parser(command).parse_args(words)
        said.append((done.value.code, capsys.readouterr()))
    assert said[0] == said[1] and said[0][0] == 2


@pytest.mark.parametrize(
    ("words", "says"),
    [(["--version"], "context-ls 0."), (["--help"], "serve"), (["check", "--help"], "--jobs")],
)
def test_version_and_help_answer(words: list[str], says: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "context_ls", *words],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0 and says in done.stdout
