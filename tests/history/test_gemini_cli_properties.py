"""Properties of Gemini CLI sessions made up by hypothesis (both forms, with rewinds), the
timeline report, and mutated sessions: findings as built, repairs that are idempotent, keep
every record they had no reason to touch and add no finding, and never a traceback."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from context_ls.history.analyzer import Analyzer
from context_ls.history.api import analyze, normalize_bytes, normalize_edits
from context_ls.history.model import apply_edits

from ._checks import codes, normalized
from ._gen import REPO
from ._gen_gemini_cli import Session, Turn, expected, render_json, render_jsonl, turns_strategy
from .test_gemini_cli import BROKEN, FORMS

# --- properties ----------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(turns=turns_strategy, form=st.sampled_from(sorted(FORMS)))
def test_generated_sessions(turns: list[Turn], form: str) -> None:
    """Findings as built; normalize leaves no finding, is idempotent, and keeps every
    record it had no reason to touch (the JSONL log only grows)."""
    session = Session(turns)
    data = FORMS[form](session)
    analysis, out = normalized(data)
    assert sorted(codes(analysis)) == sorted(expected(turns))
    assert analyze(out).findings == []
    assert normalize_bytes(out) == out
    if form == "jsonl":
        assert out.startswith(data)
    else:
        flagged = {f.item for f in analysis.findings}
        # the batch of responses after calls without one takes their responses,
        flagged |= {f.item + 1 for f in analysis.findings if f.code == "H001"}
        # and the batches of responses holding a copy of an orphan (it leaves them too)
        orphans = [f'"{i}"'.encode() for code, i in codes(analysis) if code == "H002"]
        for item in analysis.history.items:
            held = data[item.span.start : item.span.end]
            if item.index not in flagged and not any(o in held for o in orphans):
                assert held in out


@settings(max_examples=40, deadline=None)
@given(
    turns=turns_strategy,
    after=turns_strategy,
    to=st.integers(min_value=0, max_value=3),
)
def test_generated_rewinds(turns: list[Turn], after: list[Turn], to: int) -> None:
    """What a rewind drops is no finding; what stays before it and comes after it is."""
    to = min(to, len(turns) - 1)
    session = Session(turns, rewind_to=to, after_rewind=after)
    data = render_jsonl(session)
    analysis, out = normalized(data)
    assert sorted(codes(analysis)) == sorted(expected(turns[:to]) + expected(after, first=100))
    assert out.startswith(data)
    assert analyze(out).findings == []
    assert normalize_bytes(out) == out


# --- the timeline report, and inputs gone wrong --------------------------------------------------


def test_timeline_rows_of_a_session() -> None:
    from context_ls.report.html import render_report
    from context_ls.report.timeline import build_timeline

    data = (REPO / "examples" / "gemini-cli-session.jsonl").read_bytes()
    analysis = analyze(data)
    rows = {row.call_id: row for row in build_timeline(analysis).rows if row.call_id}
    shell = "run_shell_command-1770801262448-9c8b7a6d5e4f3"
    assert rows[shell].codes == ["H001"] and rows[shell].status == "missing"
    assert rows["read_file-1770801239000-ffffffffffff0"].kind == "orphan"
    assert "gemini-cli" in render_report(analysis, "gemini-cli-session.jsonl")


_TOKENS = [b"{", b"}", b"[", b"]", b'"', b",", b":", b"\n", b"null", b"\xff", b'"$set"', b"\\"]


def _mutate(rng: random.Random, data: bytes) -> bytes:
    i = rng.randrange(len(data) + 1)
    choice = rng.randrange(5)
    if choice == 0:
        return data[:i]
    if choice == 1:
        return data[:i] + rng.choice(_TOKENS) + data[i:]
    lines = data.split(b"\n")
    k = rng.randrange(len(lines))
    if choice == 2:
        lines.insert(rng.randrange(len(lines) + 1), lines[k])
    elif choice == 3:
        del lines[k]
    else:
        rng.shuffle(lines)
    return b"\n".join(lines)


def test_mutated_sessions_never_raise() -> None:
    """Broken sessions in both forms through analyze (fresh and incremental), normalize and
    a second look: a finding or nothing, never a traceback; a repair adds no finding."""
    rng = random.Random(15)
    seeds = [
        render_jsonl(BROKEN),
        render_json(BROKEN),
        (REPO / "examples" / "gemini-cli-session.jsonl").read_bytes(),
        render_jsonl(Session([Turn(["ok"])], rewind_to=0, after_rewind=[Turn(["orphan"])])),
    ]
    analyzer = Analyzer()
    for n in range(1500):
        data = rng.choice(seeds)
        for _ in range(rng.randint(1, 3)):
            data = _mutate(rng, data)
        analysis = analyzer.analyze(data) if n % 2 else analyze(data)
        out = apply_edits(data, normalize_edits(analysis))
        if analysis.history.dialect == "gemini-cli":
            again = analyze(out, "gemini-cli")
            fixable = [f for f in again.findings if f.fixable and f.code != "H007"]
            assert not fixable, (data, [f.message for f in fixable])
