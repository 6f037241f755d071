"""The shipped examples: exactly the planted findings, and normalize repairs them cleanly."""

from __future__ import annotations

import json

import pytest

from context_ls.history.api import analyze, analyze_path, normalize_bytes

from ._gen import (
    EXAMPLES,
    UNFIXABLE,
    assert_untouched_records_kept,
    codes,
    normalized,
    record_bytes,
    without_parent,
)

EXPECTED = json.loads((EXAMPLES / "EXPECTED.json").read_text())
NAMES = sorted(EXPECTED)


def test_expected_covers_every_example_file() -> None:
    on_disk = {
        p.name
        for p in EXAMPLES.iterdir()
        if p.suffix in (".json", ".jsonl") and p.name != "EXPECTED.json"
    }
    assert on_disk == set(EXPECTED)
    assert {EXPECTED[n]["dialect"] for n in NAMES} >= {
        "codex",
        "openai-responses",
        "openai-chat",
        "anthropic",
        "claude-code",
        "native",
    }


@pytest.mark.parametrize("name", NAMES)
def test_example_gives_exactly_the_planted_findings(name: str) -> None:
    analysis = analyze((EXAMPLES / name).read_bytes())
    want = [(f["code"], f["call_id"]) for f in EXPECTED[name]["findings"]]
    assert analysis.history.dialect == EXPECTED[name]["dialect"]
    assert sorted(codes(analysis), key=repr) == sorted(want, key=repr)


@pytest.mark.parametrize("name", NAMES)
def test_example_via_analyze_path_agrees(name: str) -> None:
    analysis = analyze_path(EXAMPLES / name)
    want = [(f["code"], f["call_id"]) for f in EXPECTED[name]["findings"]]
    assert analysis.history.dialect == EXPECTED[name]["dialect"]
    assert sorted(codes(analysis), key=repr) == sorted(want, key=repr)


def test_clean_rollout_has_no_findings() -> None:
    analysis = analyze((EXAMPLES / "clean-codex-rollout.jsonl").read_bytes())
    assert analysis.history.dialect == "codex"
    assert analysis.findings == []
    assert analysis.history.calls and analysis.history.outputs  # it does hold pairs


@pytest.mark.parametrize("name", NAMES)
def test_normalize_then_reanalyze_leaves_only_unfixable(name: str) -> None:
    data = (EXAMPLES / name).read_bytes()
    before, out = normalized(data)
    after = analyze(out)
    assert after.history.dialect == before.history.dialect
    assert {code for code, _ in codes(after)} <= UNFIXABLE
    # what was unfixable before is still reported, identically
    assert [c for c in codes(after) if c[0] in UNFIXABLE] == [
        c for c in codes(before) if c[0] in UNFIXABLE
    ]
    if any(code not in UNFIXABLE for code, _ in codes(before)):
        assert out != data


@pytest.mark.parametrize("name", NAMES)
def test_normalize_is_idempotent_on_examples(name: str) -> None:
    once = normalize_bytes((EXAMPLES / name).read_bytes())
    assert normalize_bytes(once) == once


def test_clean_rollout_normalize_changes_nothing() -> None:
    data = (EXAMPLES / "clean-codex-rollout.jsonl").read_bytes()
    assert normalize_bytes(data) == data


@pytest.mark.parametrize("name", NAMES)
def test_normalize_keeps_every_record_it_need_not_touch(name: str) -> None:
    data = (EXAMPLES / name).read_bytes()
    before, out = normalized(data)
    assert_untouched_records_kept(before, out)


@pytest.mark.parametrize("name", [n for n in NAMES if n.endswith(".jsonl")])
def test_jsonl_examples_lines_survive_or_are_removed_for_a_reason(name: str) -> None:
    """Line by line: each original line is still there, or it is a removed orphan/duplicate/
    truncated tail, or (Claude Code) only its parentUuid value changed."""
    data = (EXAMPLES / name).read_bytes()
    before, out = normalized(data)
    out_lines = out.split(b"\n")
    relaxed = {without_parent(line) for line in out_lines}
    removable = {f.item for f in before.findings if f.code in ("H002", "H004", "H007")}
    moved = {f.item for f in before.findings if f.code in ("H005", "H006")}
    for item, raw in zip(before.history.items, record_bytes(before), strict=False):
        if raw in out_lines:
            continue
        if item.index in removable:
            continue
        if before.history.dialect == "claude-code" and (
            without_parent(raw) in relaxed or item.index in moved
        ):
            continue
        pytest.fail(f"{name}: line {item.line + 1} changed without a finding: {raw[:120]!r}")


def test_crashed_rollout_drops_exactly_the_truncated_tail() -> None:
    data = (EXAMPLES / "codex-rollout-crashed.jsonl").read_bytes()
    assert not data.endswith(b"\n")
    tail = data[data.rfind(b"\n") + 1 :]
    out = normalize_bytes(data)
    assert tail not in out
    assert out.endswith(b"\n") or out.endswith(b"}")
    synthetic = [line for line in out.split(b"\n") if b'"output":"aborted"' in line]
    assert len(synthetic) == 2  # the two H001 calls
    assert any(
        b'"custom_tool_call_output"' in line for line in synthetic
    )  # apply_patch is a custom tool call
    assert any(b'"function_call_output"' in line for line in synthetic)
