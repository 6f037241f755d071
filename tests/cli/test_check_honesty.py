"""`check` says what it did not understand: no success for a file never read as a history,
and `--dialect X` on a file without X records is an error, not a pass."""

from __future__ import annotations

import io
import json
import re
import shutil
import tempfile
from argparse import Namespace
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
import zstandard
from hypothesis import given, settings
from hypothesis import strategies as st

from context_ls.cli import check
from context_ls.cli.check import require_dialect_records, run_check
from context_ls.cli.files import UsageError

from .conftest import EXAMPLES, REPO, Run

REALDATA = REPO.parent / "shared" / "realdata"
CLEAN = EXAMPLES / "clean-codex-rollout.jsonl"
FINDINGS = EXAMPLES / "native-tools.jsonl"  # H008, H001, H002
PACKAGE = '{"name": "x", "version": "1.0.0", "dependencies": {}}\n'
FINE_TUNING = "".join(
    json.dumps(
        {
            "messages": [
                {"role": "user", "content": f"question {n}"},
                {"role": "assistant", "content": f"answer {n}"},
            ]
        }
    )
    + "\n"
    for n in range(5)
)
# A log in JSONL: objects, but no records of any dialect.
LOG = "".join(json.dumps({"level": "info", "msg": f"started {n}"}) + "\n" for n in range(5))
# A translation catalog: a `messages` array of objects with ids, yet no conversation.
CATALOG = json.dumps(
    {
        "locale": "en",
        "messages": [
            {"id": "greeting", "defaultMessage": "Hello {name}", "description": "home page"},
            {"id": "farewell", "defaultMessage": "Bye", "description": "logout"},
        ],
    }
)
SUCCESS = "All checks passed!"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def summary(out: str) -> str:
    lines = [line for line in out.splitlines() if line]
    return lines[-1] if lines else ""


# --- files that are not histories -------------------------------------------------------------


@pytest.mark.parametrize(
    "text", [PACKAGE, LOG, CATALOG, ""], ids=["package", "log", "catalog", "empty"]
)
def test_a_named_non_history_is_listed_and_never_passes(
    cli: Run, tmp_path: Path, text: str
) -> None:
    path = write(tmp_path, "thing.json", text)
    result = cli("check", path)
    assert result.code == 0  # like ruff with no Python file: nothing checked is not a failure
    assert SUCCESS not in result.out
    assert result.out == "No history found in the given paths (1 file skipped: not histories).\n"
    [note] = result.err.splitlines()
    assert note.startswith(f"{path}: not a history (") and note.endswith("); skipped")


def test_a_fine_tuning_data_set_is_checked_as_one(cli: Run, tmp_path: Path) -> None:
    result = cli("check", "--format", "json", write(tmp_path, "train.jsonl", FINE_TUNING))
    assert result.code == 0 and result.err == ""
    [entry] = json.loads(result.out)["files"]
    assert entry["dialect"] == "openai-finetune" and entry["findings"] == []


def test_the_reason_names_the_dialect_a_few_records_have(cli: Run, tmp_path: Path) -> None:
    lines = [
        '{"a": 1}',
        '{"b": 2}',
        '{"c": 3}',
        '{"role": "tool", "tool_call_id": "c1", "content": "x"}',
    ]
    path = write(tmp_path, "mixed.jsonl", "\n".join(lines) + "\n")
    result = cli("check", path)
    assert (
        "only 1 of 4 records looks like openai-chat; --dialect openai-chat checks it" in result.err
    )
    forced = cli("check", "--dialect", "openai-chat", path)
    assert forced.code == 1 and "1 history checked" in forced.out  # the hint is true


def test_a_named_non_history_beside_a_history(cli: Run, tmp_path: Path) -> None:
    package = write(tmp_path, "package.json", PACKAGE)
    result = cli("check", CLEAN, package)
    assert result.code == 0
    assert result.out == f"{SUCCESS} (1 history checked, 1 file skipped: not histories)\n"
    assert result.err == f"{package}: not a history (no records of a known dialect); skipped\n"


def test_findings_summary_counts_histories_and_skips(cli: Run, tmp_path: Path) -> None:
    result = cli("check", FINDINGS, CLEAN, write(tmp_path, "package.json", PACKAGE))
    assert result.code == 1
    assert "Found 3 problems (H001 1, H002 1, H008 1).\n" in result.out
    assert "\n2 histories checked, 1 file skipped: not histories.\n" in result.out
    assert SUCCESS not in result.out


def test_files_found_in_a_folder_are_counted_not_listed(cli: Run, tmp_path: Path) -> None:
    shutil.copyfile(CLEAN, tmp_path / "a.jsonl")
    write(tmp_path, "package.json", PACKAGE)
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub", "app.jsonl", LOG)
    result = cli("check", tmp_path)
    assert result.code == 0
    assert result.out == f"{SUCCESS} (1 history checked, 2 files skipped: not histories)\n"
    assert result.err == ""


def test_verbose_lists_the_files_found_in_a_folder(tmp_path: Path) -> None:
    """`main.py` may pass `verbose`; `run_check` lists every skipped file then."""
    write(tmp_path, "package.json", PACKAGE)
    out, err = io.StringIO(), io.StringIO()
    args = Namespace(
        paths=[str(tmp_path)], select=None, ignore=None, dialect=None, format="text", verbose=True
    )
    assert run_check(args, out, err) == 0
    assert (
        err.getvalue()
        == f"{tmp_path / 'package.json'}: not a history (no records of a known dialect); skipped\n"
    )


def test_only_non_histories_in_a_folder(cli: Run, tmp_path: Path) -> None:
    write(tmp_path, "package.json", PACKAGE)
    write(tmp_path, "tsconfig.json", '{"compilerOptions": {}}')
    result = cli("check", tmp_path)
    assert (result.code, result.err) == (0, "")
    assert result.out == "No history found in the given paths (2 files skipped: not histories).\n"


def test_an_empty_folder(cli: Run, tmp_path: Path) -> None:
    result = cli("check", tmp_path)
    assert result.code == 0
    assert (
        result.out
        == "No history found in the given paths (no *.json, *.jsonl or *.jsonl.zst files).\n"
    )


def test_an_unreadable_file_is_no_success(
    cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = tmp_path / "locked.jsonl"
    shutil.copyfile(CLEAN, locked)
    real = check.analyze_path

    def analyze_path(path: Path, *args: Any, **kwargs: Any) -> Any:
        if path == locked:  # what a file without read permission gives (root reads it anyway)
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(check, "analyze_path", analyze_path)
    result = cli("check", CLEAN, locked)
    assert result.code == 2
    assert result.err == f"{locked}: error: cannot read: Permission denied\n"
    assert result.out == "No problems found (1 history checked, 1 file with errors).\n"
    only = cli("check", locked)
    assert only.code == 2 and only.out == "No history checked (1 file with errors).\n"


# --- --format json and github -----------------------------------------------------------------


def test_json_keeps_its_shape_and_prints_no_notes(cli: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "package.json", PACKAGE)
    result = cli("check", "--format", "json", path, CLEAN)
    assert (result.code, result.err) == (0, "")
    report = json.loads(result.out)
    assert report["files"][0] == {"path": str(path), "dialect": None, "records": 0, "findings": []}
    assert report["summary"]["files"] == 2 and report["summary"]["histories"] == 1


def test_github_notices(cli: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "package.json", PACKAGE)
    result = cli("check", "--format", "github", path)
    assert result.code == 0
    assert result.out.splitlines() == [
        f"::notice file={path},title=not checked::not a history (no records of a known dialect); skipped",
        "::notice title=context-ls::No history found in the given paths (1 file skipped: not histories).",
    ]
    mixed = cli("check", "--format", "github", CLEAN, path)
    assert mixed.out.splitlines()[-1] == (
        "::notice title=context-ls::1 history checked, 1 file skipped: not histories"
    )
    clean = cli("check", "--format", "github", CLEAN)
    assert clean.out == ""  # a clean run with nothing skipped stays silent


# --- --dialect on a file without that dialect's records ----------------------------------------


def test_forced_dialect_on_another_dialect_exits_2(cli: Run) -> None:
    result = cli("check", "--dialect", "openai-chat", CLEAN)
    assert result.code == 2
    assert result.err == f"{CLEAN}: error: no openai-chat records: it looks like codex\n"
    assert result.out == "No history checked (1 file with errors).\n"


def test_forced_dialect_on_a_non_history_exits_2(cli: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "app.jsonl", LOG)
    result = cli("check", "--dialect", "openai-chat", path)
    assert result.code == 2
    assert result.err == f"{path}: error: no openai-chat records: it does not look like a history\n"
    as_json = cli("check", "--format", "json", "--dialect", "openai-chat", path)
    assert as_json.code == 2
    [entry] = json.loads(as_json.out)["files"]
    assert entry["dialect"] is None and "no openai-chat records" in entry["error"]


def test_forced_dialect_still_checks_a_history_of_it(cli: Run) -> None:
    result = cli("check", "--dialect", "codex", CLEAN, EXAMPLES / "codex-rollout-crashed.jsonl")
    assert result.code == 1 and "\n2 histories checked.\n" in result.out


def test_forced_dialect_in_a_folder_skips_the_others(cli: Run, tmp_path: Path) -> None:
    shutil.copyfile(CLEAN, tmp_path / "codex.jsonl")
    shutil.copyfile(EXAMPLES / "claude-code-session.jsonl", tmp_path / "claude.jsonl")
    write(tmp_path, "package.json", PACKAGE)
    result = cli("check", "--dialect", "codex", tmp_path)
    assert (result.code, result.err) == (0, "")
    assert result.out == f"{SUCCESS} (1 history checked, 2 files skipped: no codex records)\n"


def test_forced_dialect_on_a_streamed_file(
    cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """JSONL past the head is sniffed line by line (a BOM on the first line included)."""
    monkeypatch.setattr(check, "HEAD", 64)
    claude = tmp_path / "claude.jsonl"
    claude.write_bytes(b"\xef\xbb\xbf" + (EXAMPLES / "claude-code-session.jsonl").read_bytes())
    accepted = cli("check", "--dialect", "claude-code", claude)
    assert accepted.code == 1 and "\n1 history checked.\n" in accepted.out
    refused = cli("check", "--dialect", "codex", claude)
    assert refused.code == 2 and "no codex records: it looks like claude-code" in refused.err
    document = EXAMPLES / "anthropic-messages.json"  # past the head too, but held whole
    assert document.stat().st_size > 64
    assert cli("check", "--dialect", "anthropic", document).code == 1
    refused = cli("check", "--dialect", "codex", document)
    assert refused.code == 2 and "no codex records: it looks like anthropic" in refused.err


def test_forced_dialect_on_a_compressed_rollout(
    cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Records are judged in the decompressed content, read whole or a chunk at a time."""
    rollout = tmp_path / "rollout.jsonl.zst"
    rollout.write_bytes(zstandard.ZstdCompressor().compress(CLEAN.read_bytes()))
    train = tmp_path / "train.jsonl.zst"
    train.write_bytes(zstandard.ZstdCompressor().compress(FINE_TUNING.encode()))
    for head in (check.HEAD, 64):
        monkeypatch.setattr(check, "HEAD", head)
        assert cli("check", "--dialect", "codex", rollout).code == 0
        refused = cli("check", "--dialect", "claude-code", rollout)
        assert refused.code == 2
        assert refused.err == f"{rollout}: error: no claude-code records: it looks like codex\n"
        checked = cli("check", train)
        assert checked.code == 0 and "(1 history checked)" in checked.out


def test_folders_hold_compressed_rollouts_too(cli: Run, tmp_path: Path) -> None:
    (tmp_path / "rollout.jsonl.zst").write_bytes(
        zstandard.ZstdCompressor().compress(CLEAN.read_bytes())
    )
    (tmp_path / "notes.zst").write_bytes(zstandard.ZstdCompressor().compress(b"{}"))
    result = cli("check", tmp_path)
    assert result.out == f"{SUCCESS} (1 history checked)\n"


@given(
    st.lists(st.sampled_from([b"{}", b"", b" ", b"\n", b"[1]", b"\r\n", b"x"]), max_size=12),
    st.data(),
)
def test_lines_across_chunks(pieces: list[bytes], data: st.DataObject) -> None:
    """Cut anywhere, content gives the same non-blank lines as when it is whole."""
    content = b"".join(pieces)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(content)), max_size=5)))
    bounds = [0, *cuts, len(content)]
    chunks = [content[a:b] for a, b in pairwise(bounds)]
    whole = [line for line in content.split(b"\n") if line.strip()]
    assert list(check._lines(chunks)) == whole


def test_require_dialect_records_for_normalize_and_trim(tmp_path: Path) -> None:
    data = CLEAN.read_bytes()
    require_dialect_records(CLEAN, data, None)
    require_dialect_records(CLEAN, data, "codex")
    with pytest.raises(
        UsageError, match=r"clean-codex-rollout\.jsonl: no anthropic records: it looks like codex"
    ):
        require_dialect_records(CLEAN, data, "anthropic")
    with pytest.raises(UsageError, match="it does not look like a history"):
        require_dialect_records(tmp_path / "p.json", PACKAGE.encode(), "native")


# --- the real files the issue names ---------------------------------------------------------


@pytest.mark.skipif(not REALDATA.is_dir(), reason="../shared/realdata is not beside the clone")
def test_real_gemini_sessions_are_checked_and_a_manifest_is_skipped(cli: Run) -> None:
    """The Gemini CLI sessions the issue named were once skipped as "not histories": they
    are read now (and are healthy); a package manifest beside them still is not one."""
    sessions = [
        *sorted((REALDATA / "jnarowski__agentcmd").glob("session-*.json")),
        *sorted((REALDATA / "codemie-ai__codemie-code").glob("session-*.json")),
    ]
    package = REPO / "client-vscode" / "package.json"
    named = [*sessions, package]
    assert len(sessions) >= 2
    result = cli("check", *named)
    assert result.code == 0
    assert result.out == (
        f"{SUCCESS} ({len(sessions)} histories checked, 1 file skipped: not histories)\n"
    )
    [note] = result.err.splitlines()
    assert note.startswith(f"{package}: not a history (")
    forced = cli("check", "--dialect", "openai-chat", *named[:2])
    assert forced.code == 2 and SUCCESS not in forced.out
    assert forced.err.count("no openai-chat records") == 2
    data_sets = sorted((REALDATA / "microsoft-foundry__fine-tuning").glob("*.jsonl"))
    checked = cli("check", *data_sets)
    assert checked.code == 0 and f"({len(data_sets)} histories checked)" in checked.out


# --- a property: the summary says exactly what was checked -----------------------------------

KINDS = {
    "clean": CLEAN.read_text(),
    "findings": FINDINGS.read_text(),
    "package": PACKAGE,
    "fine-tuning": FINE_TUNING,
    "catalog": CATALOG,
}
TALLY = re.compile(r"(\d+) histor(?:y|ies) checked")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(sorted(KINDS)), min_size=1, max_size=6), st.booleans())
def test_success_only_when_histories_were_checked_and_clean(kinds: list[str], folder: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        paths = [write(root, f"{n}-{kind}.json", KINDS[kind]) for n, kind in enumerate(kinds)]
        histories = sum(kind in ("clean", "findings", "fine-tuning") for kind in kinds)
        skipped = len(kinds) - histories
        argv = [str(root)] if folder else [str(p) for p in paths]
        out, err = io.StringIO(), io.StringIO()
        args = Namespace(paths=argv, select=None, ignore=None, dialect=None, format="text")
        code = run_check(args, out, err)
        text = out.getvalue()
        assert code == (1 if "findings" in kinds else 0)
        assert (SUCCESS in text) == (histories > 0 and "findings" not in kinds)
        if histories == 0:
            assert summary(text).startswith("No history found in the given paths")
        else:
            match = TALLY.search(text)
            assert match is not None and int(match.group(1)) == histories
        if skipped:
            noun = "file" if skipped == 1 else "files"
            assert f"{skipped} {noun} skipped: not histories" in text
        assert len(err.getvalue().splitlines()) == (0 if folder else skipped)
