"""Analyzer (the server's incremental analyze) always agrees with a fresh analyze."""

from __future__ import annotations

import gc
import json
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from context_ls.history.analyzer import Analyzer
from context_ls.history.api import Analysis, Options, analyze
from context_ls.history.spliced import Spliced
from context_ls.history.where import where

from ._gen import ALL_DIALECTS, EXAMPLES, broken_events, call_prefix, render

FAKE_KEY = "sk-proj-" + "Ab3dE5gH7jK9mN1pQ3sT5vX7zB9dF1hJ3lN5pR7tV9xZ"


def snapshot(analysis: Analysis) -> tuple:
    history = analysis.history
    return (
        history.dialect,
        history.newline,
        history.ends_with_newline,
        [(i.span, i.kind, i.role, i.turn, i.uuid, i.parent_uuid, i.thread) for i in history.items],
        history.thread_names,
        sorted((c.call_id, c.item, c.block) for c in history.calls),
        sorted((o.call_id, o.item, o.block) for o in history.outputs),
        [
            (f.code, f.call_id, f.span, f.item, f.fixable, f.pending, f.severity)
            for f in analysis.findings
        ],
        [where(analysis, f.item, f.span) for f in analysis.findings],
    )


@st.composite
def edit_sequences(draw: st.DrawFn) -> list[bytes]:
    dialect = draw(st.sampled_from(ALL_DIALECTS))
    events = draw(broken_events(call_prefix(dialect)))
    if draw(st.booleans()):
        events.insert(1, ("user", f"key {FAKE_KEY}"))
    data = render(dialect, events, pretty=draw(st.booleans()))
    versions = [data]
    for _ in range(draw(st.integers(1, 8))):
        lines = data.split(b"\n")
        action = draw(
            st.sampled_from(
                [
                    "delete",
                    "duplicate",
                    "typo",
                    "append",
                    "truncate",
                    "swap",
                    "join",
                    "type",
                    "erase",
                ]
            )
        )
        at = draw(st.integers(0, max(len(lines) - 1, 0)))
        if action == "delete" and len(lines) > 1:
            del lines[at]
        elif action == "duplicate":
            lines.insert(at, lines[at])
        elif action == "typo" and lines[at]:
            pos = draw(st.integers(0, len(lines[at]) - 1))
            char = draw(st.sampled_from([b"x", b"{", b'"', b"}", b",", b"0"]))
            lines[at] = lines[at][:pos] + char + lines[at][pos + 1 :]
        elif action == "append":
            lines.insert(at, draw(st.sampled_from(versions[0].split(b"\n"))))
        elif action == "type":  # keystrokes inside a line: the records after it move
            pos = draw(st.integers(0, len(lines[at])))
            typed = draw(st.sampled_from([b"x", b"  ", b'"', b"\\u00e9", b"\xc3\xa9", b"{}"]))
            lines[at] = lines[at][:pos] + typed + lines[at][pos:]
        elif action == "erase" and lines[at]:
            pos = draw(st.integers(0, len(lines[at]) - 1))
            lines[at] = lines[at][:pos] + lines[at][pos + draw(st.integers(1, 3)) :]
        elif action == "swap" and len(lines) > 1:
            other = draw(st.integers(0, len(lines) - 1))
            lines[at], lines[other] = lines[other], lines[at]
        elif action == "join" and at + 1 < len(lines):
            lines[at : at + 2] = [lines[at] + lines[at + 1]]
        data = b"\n".join(lines)
        if action == "truncate":
            data = data[: draw(st.integers(0, len(data)))]
        versions.append(data)
    return versions


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(versions=edit_sequences(), requested=st.sampled_from([None, None, "native", "claude-code"]))
def test_analyzer_agrees_with_a_fresh_analyze(versions: list[bytes], requested: str | None) -> None:
    analyzer = Analyzer()
    for data in versions:
        assert snapshot(analyzer.analyze(data, requested)) == snapshot(analyze(data, requested))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "name", ["codex-rollout-crashed.jsonl", "claude-code-session.jsonl", "native-tools.jsonl"]
)
def test_analyzer_edit_every_line_of_an_example(name: str) -> None:
    data = (EXAMPLES / name).read_bytes()
    analyzer = Analyzer(Options(trailing_calls_pending=True))
    analyzer.analyze(data)
    lines = data.split(b"\n")
    for n in range(len(lines)):
        edited = b"\n".join(lines[:n] + lines[n + 1 :])
        got = analyzer.analyze(edited)
        assert snapshot(got) == snapshot(
            analyze(edited, options=Options(trailing_calls_pending=True))
        ), n
    assert snapshot(analyzer.analyze(data)) == snapshot(
        analyze(data, options=Options(trailing_calls_pending=True))
    )


def test_analyzer_shared_between_dialects() -> None:
    line = b'{"type":"function_call","call_id":"call_A","name":"f","arguments":"{}"}'
    native = (
        b'{"type":"tool_call","call_id":"c1","tool_name":"x","args":{}}\n'
        b'{"type":"tool_output","call_id":"c1","status":"success","content":"ok"}\n' + line + b"\n"
    )
    responses = (
        b'{"type":"message","role":"user","content":"go"}\n'
        + line
        + b'\n{"type":"function_call_output","call_id":"call_A","output":"ok"}\n'
    )
    analyzer = Analyzer()
    for data in (native, responses, native, responses):
        assert snapshot(analyzer.analyze(data)) == snapshot(analyze(data))


def test_typing_in_many_places_agrees_with_a_fresh_analyze() -> None:
    """Keystrokes at several places in turn, each analysis looked at only sometimes: the
    records moved by earlier keystrokes are still pending when the next one comes."""
    data = (EXAMPLES / "codex-rollout-crashed.jsonl").read_bytes()
    analyzer = Analyzer()
    analyzer.analyze(data)
    for step in range(40):
        lines = data.split(b"\n")
        at = (step * 7) % (len(lines) - 1)
        if step % 3 == 2:
            lines[at] = lines[at][1:]  # erase
        else:
            lines[at] = lines[at][:5] + b"ab"[: 1 + step % 2] + lines[at][5:]
        data = b"\n".join(lines)
        got = analyzer.analyze(data)
        expected = analyze(data)
        assert [(f.code, f.span, f.message) for f in got.findings] == [
            (f.code, f.span, f.message) for f in expected.findings
        ], step
        if step % 5 == 4:
            assert snapshot(got) == snapshot(expected), step


def _lines(name: str) -> list[bytes]:
    return (EXAMPLES / name).read_bytes().split(b"\n")


def test_materializing_an_older_analysis_leaves_a_newer_one_alone() -> None:
    """Views share records with earlier reads: building one history never changes
    another (here a same-length edit breaks a record, the next one mends it)."""
    lines = _lines("clean-codex-rollout.jsonl")
    broken = b"\n".join([*lines[:5], b"x" + lines[5][1:], *lines[6:]])
    mended = b"\n".join(lines)
    analyzer = Analyzer()
    analyzer.analyze(mended)
    older = analyzer.analyze(broken)
    newer = analyzer.analyze(mended)
    expected = snapshot(analyze(mended))
    assert snapshot(newer) == expected
    assert snapshot(older) == snapshot(analyze(broken))  # built after the newer one
    assert snapshot(newer) == expected


def test_secrets_switched_on_while_records_are_still_to_move() -> None:
    lines = _lines("clean-codex-rollout.jsonl")
    key = FAKE_KEY.encode()
    lines[6] = lines[6].replace(b'"timestamp":"', b'"k":"' + key + b'","timestamp":"', 1)
    data = b"\n".join(lines)
    analyzer = Analyzer(Options(detect_secrets=False))
    analyzer.analyze(data)
    cut = sum(len(line) + 1 for line in lines[:3]) + 60
    edited = data[:cut] + data[cut + 120 :]  # inside line 3: later records not moved yet
    analyzer.analyze(edited)
    analyzer.options = Options(detect_secrets=True)
    got = analyzer.analyze(edited)
    assert snapshot(got) == snapshot(analyze(edited))
    assert [f.code for f in got.findings].count("H010") == 1


@pytest.mark.parametrize("at", [0, 20])
def test_first_line_edits_after_a_byte_order_mark_or_with_crlf(at: int) -> None:
    clean = (EXAMPLES / "clean-codex-rollout.jsonl").read_bytes()
    for data in (b"\xef\xbb\xbf" + clean, clean.replace(b"\n", b"\r\n")):
        analyzer = Analyzer()
        analyzer.analyze(data)
        at_ = at + (3 if data.startswith(b"\xef") else 0)
        for edited in (data[:at_] + b"x" + data[at_:], data[: at_ + 1] + data[at_ + 2 :]):
            assert snapshot(analyzer.analyze(edited)) == snapshot(analyze(edited))
        lf = data.replace(b"\r\n", b"\n", 1)  # the first line's terminator changes
        assert snapshot(analyzer.analyze(lf)) == snapshot(analyze(lf))


SIDECHAINS = EXAMPLES.parent.parent / "shared" / "realdata" / "daaain__claude-code-log"


def _line_edits(lines: list[bytes]) -> list[list[bytes]]:
    edits: list[list[bytes]] = []
    for n in range(len(lines)):
        edits.append(lines[:n] + lines[n + 1 :])  # line n deleted
        edits.append([*lines[:n], b"\n", *lines[n:]])  # a blank line before it
        edits.append([*lines[:n], b"x\n", *lines[n + 1 :]])  # line n broken
    return edits


@pytest.mark.skipif(not SIDECHAINS.is_dir(), reason="../shared/realdata is not there")
def test_threads_numbered_as_a_full_read_after_edits() -> None:
    """A re-read numbers sidechain threads as a full read does, also when an edit removes
    a thread's first line or adds a thread before another (a real Claude Code file)."""
    data = (SIDECHAINS / "sidechain_integrated.jsonl").read_bytes()
    for first in _line_edits(data.splitlines(keepends=True)):
        for second in _line_edits(first):
            analyzer = Analyzer()
            analyzer.analyze(data)
            analyzer.analyze(b"".join(first))
            edited = b"".join(second)
            assert snapshot(analyzer.analyze(edited)) == snapshot(analyze(edited))


def test_a_built_view_replaces_the_records_it_moved() -> None:
    """After a keystroke the records after it are moved only when the analysis is asked
    for its history; from then on the analyzer reads the next edit against the moved
    records, so the old ones are freed instead of staying beside their copies."""
    lines = (EXAMPLES / "codex-rollout-crashed.jsonl").read_bytes().splitlines(keepends=True)
    data = b"".join(line for line in lines * 100 if line.strip())
    tracemalloc.start()  # before the records are made: their freeing counts too
    try:
        analyzer = Analyzer()
        first = analyzer.analyze(data)
        at = data.index(b"\n") + 1  # every record but the first is moved
        typed = Spliced(data, at, at, b"x")
        edited = analyzer.analyze(typed)
        records = len(first.history.items)
        del first
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        history = edited.history
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(history.items) == records
    assert held < 40 * records  # a moved record costs ~300 bytes; one list is 8 a record
    taken_back = analyzer.analyze(Spliced(typed, at, at + 1, b""))  # read against `history`
    assert snapshot(taken_back) == snapshot(analyze(data))


def test_a_document_without_records_and_a_secret_reads_as_a_fresh_analyze() -> None:
    """A forced dialect on an object that holds no records (its array under an unknown
    key) and a credential: nothing to file the match with, and no crash (hypothesis found
    an IndexError there)."""
    secret = "sk-proj-Ab3dE5gH7jK9mN1pQ3sT5vX7zB9dF1hJ3lN5pR7tV9xZ"
    body = {"xinput": [{"role": "user", "content": f"key {secret}"}]}
    data = json.dumps(body, indent=2).encode()  # over lines: a document, not a JSONL line
    fresh = analyze(data, "native")
    assert [f.code for f in Analyzer().analyze(data, "native").findings] == [
        f.code for f in fresh.findings
    ]
