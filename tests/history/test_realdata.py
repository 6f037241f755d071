"""Third-party histories (../shared/realdata): read without error, right dialect, stable normalize."""

from __future__ import annotations

from pathlib import Path

import pytest

from context_ls.history.api import analyze, analyze_path, normalize_bytes, trim_edits
from context_ls.history.model import apply_edits

from ._gen import REPO, UNFIXABLE, assert_untouched_records_kept, codes, normalized

REALDATA = REPO.parent / "shared" / "realdata"
if not REALDATA.is_dir():
    pytest.skip("../shared/realdata is not there", allow_module_level=True)

FILES = sorted(p for p in REALDATA.glob("*/*") if p.suffix in (".json", ".jsonl"))


def expected_dialect(path: Path) -> str:
    if path.name.startswith(("rollout-", "codex_")):
        return "codex"
    if path.name == "messages.json":
        return "openai-chat"
    return "claude-code"


def test_there_is_real_data() -> None:
    assert len(FILES) >= 10
    assert {expected_dialect(p) for p in FILES} == {"codex", "openai-chat", "claude-code"}


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_realdata_dialect_and_stable_normalize(path: Path) -> None:
    data = path.read_bytes()
    analysis = analyze(data)
    assert analysis.history.dialect == expected_dialect(path)
    assert analyze_path(path).history.dialect == expected_dialect(path)
    assert codes(analyze_path(path)) == codes(analysis)
    once = normalize_bytes(data)
    assert normalize_bytes(once) == once
    after = analyze(once)
    assert after.history.dialect == expected_dialect(path)
    unfixable_h007 = sum(1 for f in analysis.findings if f.code == "H007" and not f.fixable)
    left = [c for c, _ in codes(after) if c not in UNFIXABLE]
    assert left.count("H007") <= unfixable_h007
    assert not [c for c in left if c != "H007"], codes(after)


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_realdata_untouched_records_kept(path: Path) -> None:
    before, out = normalized(path.read_bytes())
    assert_untouched_records_kept(before, out)


def test_realdata_clean_files_are_unchanged() -> None:
    clean = [p for p in FILES if not analyze(p.read_bytes()).findings]
    assert clean
    for path in clean:
        assert normalize_bytes(path.read_bytes()) == path.read_bytes()


@pytest.mark.parametrize("keep", [1, 4])
@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_realdata_trim_never_splits_a_pair(path: Path, keep: int) -> None:
    repaired = normalize_bytes(path.read_bytes())
    base = analyze(repaired)
    out = apply_edits(repaired, trim_edits(base, keep))
    after = analyze(out, base.history.dialect)
    assert {c for c, _ in codes(after)} - {c for c, _ in codes(base)} <= {"H010"}, codes(after)
