"""A JSON document's records are found at byte level, and after an edit the server's
Analyzer re-reads only the records the edit touched: both must always agree with a full
read (of the same bytes, by the reader that walks nothing), for every kind of document."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from context_ls.history import doc_reread, source
from context_ls.history.analyzer import Analyzer
from context_ls.history.api import Analysis, analyze
from context_ls.history.elements import layout
from context_ls.history.reader import element_reader
from context_ls.history.spliced import Spliced

ROOT = Path(__file__).resolve().parents[2]
SECRET = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9"  # a GitHub token's shape


def _documents() -> dict[str, bytes]:
    """The examples' documents, and each one compact, as a bare array, under the other
    keys, and with a secret in the envelope around its records."""
    found: dict[str, bytes] = {}
    for path in sorted((ROOT / "examples").glob("*.json")):
        value = json.loads(path.read_bytes())
        keys = [k for k in ("messages", "input", "contents", "history") if k in value]
        if not keys:
            continue  # EXPECTED.json
        key = keys[0]
        found[path.name] = path.read_bytes()
        found[f"{path.name} compact"] = json.dumps(value).encode()
        found[f"{path.name} bare"] = json.dumps(value[key], indent=1).encode()
        envelope = {"token": SECRET, **value, "note": f"key {SECRET}"}
        found[f"{path.name} secrets"] = json.dumps(envelope, indent=2).encode()
        found[f"{path.name} tabs crlf"] = (
            json.dumps(value, indent="\t").replace("\n", "\r\n").encode()
        )
    return found


DOCUMENTS = _documents()
NAMES = sorted(DOCUMENTS)
SNIPPETS = [
    b"x",
    b"\xc3\xa9",
    b'"',
    b"}",
    b"]",
    b",",
    b"\n",
    b"\\n",
    b'{"role": "user", "content": "hi"}, ',
    b'{"role": "tool", "tool_call_id": "zz", "content": "o"},\n',
    b', {"role": "assistant", "content": "ok"}',
    SECRET.encode(),
]


def snapshot(analysis: Analysis) -> Any:
    history = analysis.history
    return (
        history.dialect,
        history.document,
        history.server_state,
        [(f.code, f.span, f.item, f.call_id, f.message, f.fixable) for f in analysis.findings],
        [(i.index, i.span, i.line, i.col, i.kind, i.role, i.turn) for i in history.items],
        [(c.call_id, c.item, c.block) for c in history.calls],
        [(o.call_id, o.item, o.block) for o in history.outputs],
        history.missing_ids,
    )


def _where(data: bytes, at: int, how: str) -> int:
    """A position of the kind `how` (inside a string, at a record's edges, anywhere)."""
    marks = {"in a string": b'": "', "after a record": b"}", "before a record": b"{"}
    mark = marks.get(how)
    if mark is None:
        return at % (len(data) + 1)
    places = [n for n in range(len(data)) if data.startswith(mark, n)]
    if not places:
        return at % (len(data) + 1)
    place = places[at % len(places)]
    return place + (len(mark) if how != "before a record" else 0)


steps_strategy = st.lists(
    st.tuples(
        st.integers(0, 10**9),
        st.sampled_from(["in a string", "after a record", "before a record", "anywhere"]),
        st.sampled_from([0, 0, 1, 3, 40]),
        st.sampled_from(SNIPPETS),
        st.sampled_from(["bytes", "spliced", "spliced, copied", "edit again first"]),
    ),
    min_size=1,
    max_size=10,
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(NAMES), steps=steps_strategy)
def test_document_edits_read_like_full_reads(
    name: str, steps: list[tuple[int, str, int, bytes, str]]
) -> None:
    data = DOCUMENTS[name]
    current: bytes | Spliced = data
    analyzer = Analyzer()
    assert snapshot(analyzer.analyze(data)) == snapshot(analyze(data))
    for at, how, removed, snippet, give in steps:
        first = _where(data, at, how)
        last = min(first + removed, len(data))
        new = data[:first] + snippet + data[last:]
        if give == "bytes":
            current = new
        else:
            current = Spliced(current, first, last, snippet)
            if give == "spliced, copied":
                current.materialize()
        data = new
        if give == "edit again first":
            continue
        analysis = analyzer.analyze(current)
        assert snapshot(analysis) == snapshot(analyze(data))
        assert analysis.data == data


@pytest.mark.parametrize("name", NAMES)
def test_records_are_found_where_a_walk_finds_them(name: str) -> None:
    """Offsets, lines and columns from the lengths alone equal those of a decode that
    walks the document (the salvage reader, which reads a valid one to its end)."""
    data = DOCUMENTS[name]
    found = layout(data, 0)
    assert found is not None
    walked = source.salvage(data, 0)
    assert [(r.start, r.end, r.line, r.col) for r in walked] == [
        (pos, pos + len(raw), line, col)
        for raw, pos, line, col in zip(
            found.raws, found.starts, found.lines, found.cols, strict=True
        )
    ]
    assert [bytes(raw) for raw in found.raws] == [r.data for r in walked]


def test_a_keystroke_in_a_message_reads_that_record_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = DOCUMENTS["openai-chat-messages.json"]
    analyzer = Analyzer()
    analyzer.analyze(data)
    parsed: list[bytes] = []

    def counting(dialect: Any) -> Any:
        read = element_reader(dialect)
        return lambda raw: parsed.append(bytes(raw)) or read(raw)

    monkeypatch.setattr(doc_reread, "element_reader", counting)
    at = data.index(b"What is eating") + 4
    edited = Spliced(data, at, at, b"x")
    analysis = analyzer.analyze(edited)
    assert len(parsed) == 1 and b"Whatx is eating" in parsed[0]
    assert snapshot(analysis) == snapshot(analyze(bytes(edited)))


def test_a_quote_that_changes_how_the_rest_reads_is_read_whole() -> None:
    data = DOCUMENTS["openai-chat-messages.json"]
    analyzer = Analyzer()
    analyzer.analyze(data)
    at = data.index(b"What is eating")
    broken = data[:at] + b'"' + data[at:]
    analysis = analyzer.analyze(broken)
    assert any(f.code == "H007" for f in analysis.findings)
    assert snapshot(analysis) == snapshot(analyze(broken))
    # …and typing it away reads the whole again, back to the first findings.
    assert snapshot(analyzer.analyze(data)) == snapshot(analyze(data))


def test_an_edit_elsewhere_keeps_an_id_less_response_paired_with_its_call() -> None:
    """Hypothesis found it: the first edit empties the id of a `functionResponse` (it then
    answers call `pyd_ai_0a7d…` by name and takes its id); the second, in the first record,
    re-reads that one alone. The response, copied from the previous read with the id it
    took, made that call look answered by id, and it was named by its place instead."""
    data = DOCUMENTS["gemini-api-contents.json"]
    analyzer = Analyzer()
    analyzer.analyze(data)
    gone = b"pyd_ai_0a7d3b95c6e148f2a1d4e8c3b7f60952"
    for first, last, snippet in [(32, 40, b'"'), (0, 0, b"x")]:
        at = _where(data, first, "in a string")
        if first:
            assert data[at : at + last] == gone + b'"'
        data = data[:at] + snippet + data[at + last :]
        analysis = analyzer.analyze(data)
        assert snapshot(analysis) == snapshot(analyze(data))
    outputs = [(o.call_id, o.item) for o in analysis.history.outputs]
    assert (gone.decode(), 7) in outputs
