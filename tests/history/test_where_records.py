"""Findings placed from their record's start (the line and column the reader noted) land
where the index of every line puts them: generated histories in every layout (BOM, CRLF,
pretty documents, secrets inside records), the examples, and the real third-party files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from context_ls.history.api import Analysis, analyze, analyze_path
from context_ls.history.source import BOM
from context_ls.history.where import Where, _from_record, where

from ._gen import EXAMPLES, REPO, broken_events, default_layout, records_of, render_records

REALDATA = REPO.parent / "shared" / "realdata"
DIALECTS = ["openai-chat", "anthropic", "openai-responses", "codex", "claude-code", "native"]
KEY = "sk-ant-api03-" + "x1Y2z3" * 15 + "-AA"


def by_index(analysis: Analysis, item: int, start: int, end: int) -> Where:
    """Where the index of every line places a span (what `where` did for every finding)."""
    lines = analysis.lines
    first, last = lines.position(start), lines.position(end)
    bom = 1 if analysis.data.startswith(BOM) else 0
    return Where(
        first.line + 1,
        lines.char_col(first) + 1 - (bom if first.line == 0 else 0),
        last.line + 1,
        lines.char_col(last) + 1 - (bom if last.line == 0 else 0),
    )


def assert_placed_alike(analysis: Analysis) -> None:
    for finding in analysis.findings:
        span = finding.span
        expected = by_index(analysis, finding.item, span.start, span.end)
        assert where(analysis, finding.item, span) == expected, finding


def with_secret(records: list[object]) -> list[object]:
    """A key inside the first record's text, after an escaped newline and an é."""
    text = f"note\\nsecond line é {KEY} end"
    return [{"note": text}, *records] if records else records


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    events=broken_events(),
    dialect=st.sampled_from(DIALECTS),
    pretty=st.booleans(),
    crlf=st.booleans(),
    bom=st.booleans(),
    secret=st.booleans(),
)
def test_generated_histories(
    events: list[tuple[str, object]],
    dialect: str,
    pretty: bool,
    crlf: bool,
    bom: bool,
    secret: bool,
) -> None:
    records = records_of(dialect, events)
    if secret:
        records = with_secret(records)
    data = render_records(records, default_layout(dialect), pretty=pretty, crlf=crlf, bom=bom)
    assert_placed_alike(analyze(data))


def test_a_secret_on_the_line_after_its_record_starts() -> None:
    """A pretty document: the key sits lines below where its element starts."""
    data = render_records(
        with_secret(records_of("openai-chat", [("user", "hi")])), "messages", pretty=True
    )
    analysis = analyze(data)
    [finding] = [f for f in analysis.findings if f.code == "H010"]
    placed = where(analysis, finding.item, finding.span)
    assert _from_record(analysis, finding.item, finding.span) == placed  # no index built
    assert placed == by_index(analysis, finding.item, finding.span.start, finding.span.end)
    assert placed.line > analysis.history.items[finding.item].line + 1


@pytest.mark.parametrize(
    "path", sorted(p for p in EXAMPLES.iterdir() if p.suffix in (".json", ".jsonl")), ids=str
)
def test_examples(path: Path) -> None:
    if path.name == "EXPECTED.json":
        pytest.skip("not a history")
    assert_placed_alike(analyze_path(path))


def test_a_big_document_checked_sparsely_is_placed_as_a_full_read(tmp_path: Path) -> None:
    """`check` on a document big enough to be read leanly, its secrets scanned early: every
    finding where the full read's own finding is placed by the index of every line."""
    from context_ls.cli.check import check_file  # the CLI's path, as `check` takes it
    from context_ls.cli.checked import Settings

    doc = json.loads((EXAMPLES / "openai-chat-messages.json").read_bytes())
    messages: list[object] = []
    for n in range(900):
        messages.append({"role": "user", "content": f"turn {n} é " + (KEY if n % 200 == 7 else "")})
        messages += doc["messages"]
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"messages": messages}, indent=2))
    assert path.stat().st_size > 4 << 20
    checked = check_file(path, True, Settings())
    got = sorted(
        (f["code"], f["call_id"] or "", f["line"], f["column"], f["end_line"], f["end_column"])
        for f in checked.findings
    )
    analysis = analyze(path.read_bytes())
    placed = [(f, by_index(analysis, f.item, f.span.start, f.span.end)) for f in analysis.findings]
    expected = sorted(
        (f.code, f.call_id or "", at.line, at.column, at.end_line, at.end_column)
        for f, at in placed
    )
    assert got == expected
    assert sum(code == "H010" for code, *_ in got) == 5


def test_realdata() -> None:
    if not REALDATA.is_dir():
        pytest.skip("../shared/realdata is not beside the clone (a plain clone does not have it)")
    paths = sorted(p for p in REALDATA.rglob("*") if p.suffix in (".json", ".jsonl"))
    assert paths
    for path in paths:
        assert_placed_alike(analyze_path(path))
