"""The server's Analyzer re-reads only edited lines; it must always agree with a full read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from context_ls.history import incremental
from context_ls.history.analyzer import Analyzer
from context_ls.history.api import Analysis, analyze
from context_ls.history.incremental import common_prefix, common_suffix
from context_ls.history.reader import facts_reader
from context_ls.history.spliced import Spliced

ROOT = Path(__file__).resolve().parents[2]
JSONL_EXAMPLES = sorted((ROOT / "examples").glob("*.jsonl"))
SNIPPETS = [
    b"\n",
    b"x",
    b'"',
    b"}\n",
    b'{"type":"tool_call","call_id":"zz","tool_name":"t","args":{}}\n',
    b'{"timestamp":"t","type":"response_item","payload":{"type":"function_call_output","call_id":"q","output":"o"}}\n',
    b'{"type":"user","uuid":"n1","parentUuid":"nope","message":{"role":"user","content":"hi"}}\n',
]


def snapshot(analysis: Analysis) -> Any:
    history = analysis.history
    return (
        history.dialect,
        [(f.code, f.span, f.item, f.call_id, f.message, f.fixable) for f in analysis.findings],
        [(i.index, i.span, i.line, i.kind, i.turn, i.thread, i.abandoned) for i in history.items],
        [(c.call_id, c.item, c.block) for c in history.calls],
        [(o.call_id, o.item, o.block) for o in history.outputs],
        history.missing_ids,
    )


edits = st.lists(
    st.tuples(
        st.sampled_from(["delete", "insert", "swap", "append"]),
        st.integers(0, 10**9),
        st.integers(0, 10**9),
        st.sampled_from(SNIPPETS),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(example=st.sampled_from(JSONL_EXAMPLES), steps=edits)
def test_incremental_reads_equal_full_reads(
    example: Path, steps: list[tuple[str, int, int, bytes]]
) -> None:
    data = example.read_bytes()
    analyzer = Analyzer()
    assert snapshot(analyzer.analyze(data)) == snapshot(analyze(data))
    for op, a, b, snippet in steps:
        pos = a % (len(data) + 1)
        if op == "delete":
            data = data[:pos] + data[pos + 1 + b % 40 :]
        elif op == "insert":
            data = data[:pos] + snippet + data[pos:]
        elif op == "swap":
            lines = data.split(b"\n")
            i, j = a % len(lines), b % len(lines)
            lines[i], lines[j] = lines[j], lines[i]
            data = b"\n".join(lines)
        else:
            data += snippet
        assert snapshot(analyzer.analyze(data)) == snapshot(analyze(data))


@given(st.binary(max_size=80), st.binary(max_size=80), st.binary(max_size=80))
def test_common_prefix_and_suffix(head: bytes, left: bytes, right: bytes) -> None:
    a, b = head + left, head + right
    expected = 0
    while expected < min(len(a), len(b)) and a[expected] == b[expected]:
        expected += 1
    assert common_prefix(a, b) == expected
    limit = min(len(a), len(b)) - expected
    tail = 0
    while tail < limit and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    assert common_suffix(a, b, limit) == tail


def test_a_one_line_edit_reuses_the_records_before_it(monkeypatch: pytest.MonkeyPatch) -> None:
    data = (ROOT / "examples" / "clean-codex-rollout.jsonl").read_bytes()
    analyzer = Analyzer()
    analyzer.analyze(data)
    parsed: list[bytes] = []

    def counting_reader(dialect: Any) -> Any:
        read = facts_reader(dialect)
        return lambda raw: parsed.append(bytes(raw)) or read(raw)

    monkeypatch.setattr(incremental, "facts_reader", counting_reader)
    lines = data.split(b"\n")
    lines[-3] = lines[-3].replace(b'"type"', b'"type" ', 1)
    second = analyzer.analyze(b"\n".join(lines))
    assert parsed == [lines[-3]]  # the edited line alone was parsed again
    assert snapshot(second) == snapshot(analyze(b"\n".join(lines)))


spliced_edits = st.lists(
    st.tuples(
        st.integers(0, 10**9),
        st.sampled_from(["anywhere", "at a line end", "at a line start"]),
        st.integers(0, 60),
        st.sampled_from(SNIPPETS),
        st.sampled_from(["analyze", "copy then analyze", "edit again first"]),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(example=st.sampled_from(JSONL_EXAMPLES), steps=spliced_edits)
def test_spliced_edits_read_like_full_reads(
    example: Path, steps: list[tuple[int, str, int, bytes, str]]
) -> None:
    """What the server does: each version is a `Spliced` of the one before, analysed from
    its pieces (the edit tells where), copied into bytes before or after, or edited again
    before the analyzer sees it (then the bytes are compared)."""
    data = example.read_bytes()
    source: bytes | Spliced = data
    analyzer = Analyzer()
    analyzer.analyze(source)
    for at, where, removed, snippet, how in steps:
        first = at % (len(data) + 1)
        newlines = [n for n, byte in enumerate(data) if byte == 10]
        if where != "anywhere" and newlines:
            first = newlines[at % len(newlines)] + (where == "at a line start")
        last = min(first + removed, len(data))
        source = Spliced(source, first, last, snippet)
        data = data[:first] + snippet + data[last:]
        if how == "edit again first":
            continue
        if how == "copy then analyze":
            source.materialize()
        analysis = analyzer.analyze(source)
        assert snapshot(analysis) == snapshot(analyze(data))
        assert analysis.data == data
