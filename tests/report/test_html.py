"""The HTML report: valid, complete (every finding), self-contained, for every example."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from context_ls.docs import rules_page_url
from context_ls.history.abandoned import is_abandoned
from context_ls.history.api import analyze, analyze_path
from context_ls.report.html import render_report
from context_ls.report.timeline import build_timeline, parse_time, summarize
from history._gen_abandoned import CLAUDE_BRANCH, GEMINI_LOG

from .pages import Page, parse_page

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
FILES = sorted(p for p in EXAMPLES.glob("*.json*") if p.name != "EXPECTED.json")


def check(page: str) -> Page:
    checker = parse_page(page)
    assert page.startswith("<!DOCTYPE html>")
    assert len(checker.ids) == len(set(checker.ids)), "duplicate ids"
    assert not checker.resources, checker.resources  # no src=/href= resource loads at all
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*//""", page)
    assert "@import" not in page and "url(" not in page
    for href in checker.links:
        assert href.startswith(("#", rules_page_url())), href
        if href.startswith("#"):
            assert href[1:] in checker.ids, f"dead anchor {href}"
    return checker


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_every_example_renders_a_valid_complete_page(path: Path) -> None:
    analysis = analyze_path(path)
    page = render_report(analysis, path.name)
    checker = check(page)
    text = "".join(checker.text)
    assert analysis.history.dialect is not None
    assert f"dialect {analysis.history.dialect}" in text
    for finding in analysis.findings:
        assert finding.code in text
        if finding.call_id:
            assert finding.call_id in text
    for call in analysis.history.calls:  # those never sent again are left out
        assert (call.call_id in text) is not is_abandoned(analysis.history, call)
    assert "Not a history" not in text
    assert "legend" in page


def test_findings_link_to_the_rows_of_their_records() -> None:
    analysis = analyze_path(EXAMPLES / "codex-rollout-crashed.jsonl")
    page = render_report(analysis, "crashed")
    for finding in analysis.findings:
        assert f'href="#r{finding.item}"' in page
        assert f'id="r{finding.item}"' in page
    assert "H007" in page and "malformed" in page


def test_a_non_history_says_so() -> None:
    analysis = analyze(b'{"name": "package", "version": "1.0"}\n')
    assert analysis.history.dialect is None
    checker = check(render_report(analysis, "package.json"))
    assert "not-a-history" in checker.ids
    assert "Not a history." in "".join(checker.text)


def test_everything_is_escaped() -> None:
    analysis = analyze_path(EXAMPLES / "native-tools.jsonl")
    page = render_report(analysis, "<script>alert(1)</script>.jsonl")
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;.jsonl" in page
    check(page)


def test_a_big_history_gets_a_sampled_timeline_and_says_so() -> None:
    analysis = analyze_path(EXAMPLES / "codex-rollout-crashed.jsonl")
    timeline = build_timeline(analysis, max_calls=2)
    assert timeline.sampled and timeline.step > 1
    flagged = {f.call_id for f in analysis.findings if f.call_id}
    shown = {row.call_id for row in timeline.rows if row.kind == "call"}
    assert flagged & {c.call_id for c in analysis.history.calls} <= shown
    assert timeline.shown_calls < timeline.total_calls


def test_the_page_says_when_it_is_sampled(monkeypatch: pytest.MonkeyPatch) -> None:
    import context_ls.report.timeline as timeline

    monkeypatch.setattr(timeline, "MAX_CALLS", 2)
    analysis = analyze_path(EXAMPLES / "clean-codex-rollout.jsonl")
    checker = check(render_report(analysis, "big"))
    assert "sampled" in checker.ids
    assert "Sampled timeline." in "".join(checker.text)


def test_timestamps_give_a_time_axis_and_durations() -> None:
    analysis = analyze_path(EXAMPLES / "claude-code-session.jsonl")
    timeline = build_timeline(analysis)
    assert timeline.axis == "time"
    durations = [row.duration for row in timeline.rows if row.duration is not None]
    assert durations and all(d >= 0 for d in durations)
    assert build_timeline(analyze_path(EXAMPLES / "anthropic-messages.json")).axis == "records"


def test_statuses_and_marks() -> None:
    analysis = analyze_path(EXAMPLES / "anthropic-messages.json")
    rows = build_timeline(analysis).rows
    statuses = {row.status for row in rows}
    assert {"success", "failed", "missing", "orphan", "user"} <= statuses
    assert any(row.misplaced for row in rows)
    for row in rows:
        assert 0.0 <= row.start <= row.end <= 1.0 or row.kind in ("orphan", "record", "user")


def test_the_timeline_shows_only_what_is_sent_again() -> None:
    """A superseded version, a rewound message and a branch left by a rewind are neither
    rows nor counted; the live call keeps its own output."""
    analysis = analyze(GEMINI_LOG)
    timeline, summary = build_timeline(analysis), summarize(analysis)
    calls = [(row.call_id, row.line, row.status) for row in timeline.rows if row.kind == "call"]
    assert calls == [("c1", 4, "success")]
    assert [row.line for row in timeline.rows if row.kind == "user"] == [2, 8]
    assert not [row for row in timeline.rows if row.kind == "orphan"]
    assert (summary.calls, summary.outputs, summary.records) == (1, 1, 8)
    page = "".join(check(render_report(analysis, "log.jsonl")).text)
    assert "c2" not in page
    branch = analyze(CLAUDE_BRANCH)
    rows = [(r.kind, r.line, r.anchors) for r in build_timeline(branch).rows]
    assert rows == [("user", 1, [0]), ("call", 4, [3, 4])]
    assert summarize(branch).calls == 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-10-08T09:14:06.061Z", 1759914846.061),
        ("2025-10-08T09:14:06Z", 1759914846.0),
        ("2025-10-08T09:14:06.0612345+00:00", 1759914846.061234),
        (1759917605, 1759917605.0),
        (1759917605123, 1759917605.123),
        ("1759917605", 1759917605.0),
        ("yesterday", None),
        (None, None),
    ],
)
def test_parse_time(value: str | int | None, expected: float | None) -> None:
    result = parse_time(value)
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected, abs=1e-3)
