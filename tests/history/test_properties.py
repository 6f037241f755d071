"""Properties of normalize and trim over generated histories of every dialect."""

from __future__ import annotations

import json
import os
import re
from typing import NamedTuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from context_ls.history.api import Analysis, analyze, normalize_edits, trim_edits
from context_ls.history.model import apply_edits

from ._gen import (
    ALL_DIALECTS,
    JSONL_DIALECTS,
    UNFIXABLE,
    assert_untouched_records_kept,
    broken_events,
    call_prefix,
    codes,
    default_layout,
    delay_is_undone_exactly,
    delay_result,
    delayable_results,
    records_of,
    render_records,
    result_call_ids,
    without_parent,
)

# CONTEXT_LS_EXAMPLES=2000 for a longer hunt
SETTINGS = settings(
    max_examples=int(os.environ.get("CONTEXT_LS_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


OTHER_RECORDS = {
    "codex": {
        "timestamp": "2025-10-01T10:00:09.000Z",
        "type": "event_msg",
        "payload": {"type": "token_count"},
    },
    "openai-responses": {"type": "item_reference", "id": "msg_ref_1"},
    "openai-chat": {"name": "not a message", "value": 1},
    "anthropic": {"type": "note", "text": "not a message"},
    "claude-code": {
        "type": "file-history-snapshot",
        "messageId": "x",
        "snapshot": {},
        "isSnapshotUpdate": False,
    },
    "native": {"type": "progress", "pct": 50, "timestamp": 1759917600},
}


@st.composite
def histories(draw: st.DrawFn, dialect: str, duplicates: bool = False) -> bytes:
    events = draw(broken_events(call_prefix(dialect), allow_duplicate_calls=duplicates))
    kinds = {}
    if dialect in ("codex", "openai-responses"):
        for kind, body in events:
            if kind == "calls":
                for c in body:
                    kinds[c] = draw(
                        st.sampled_from(["function_call", "custom_tool_call", "local_shell_call"])
                    )
    layouts = (
        ["jsonl"] if dialect in JSONL_DIALECTS else [default_layout(dialect), "array", "jsonl"]
    )
    layout = draw(st.sampled_from(layouts))
    crlf = draw(st.integers(0, 4)) == 0
    records = records_of(dialect, events, kinds)
    # records that take no part in pairing, anywhere (a minority: detection goes by most records)
    for _ in range(draw(st.integers(0, min(3, len(records) // 3)))):
        records.insert(draw(st.integers(1, len(records))), OTHER_RECORDS[dialect])
    data = render_records(
        records,
        layout,
        pretty=draw(st.booleans()),
        crlf=crlf,
        bom=draw(st.integers(0, 6)) == 0,
        final_newline=draw(st.integers(0, 4)) != 0,
    )
    if dialect == "claude-code" and draw(st.integers(0, 3)) == 0:
        # a broken parent link (H009)
        uuids = re.findall(rb'"uuid":"([^"]+)"', data)
        victim = draw(st.sampled_from(uuids))
        data = data.replace(
            b'"parentUuid":"' + victim + b'"',
            b'"parentUuid":"0000dead-0000-4000-8000-000000000000"',
            1,
        )
    if layout == "jsonl" and draw(st.integers(0, 3)) == 0:
        # a crash left half a line at the end (H007)
        lines = [line for line in data.split(b"\n") if line.strip()]
        half = draw(st.sampled_from(lines))
        half = half[: draw(st.integers(1, max(len(half) - 2, 1)))]
        if not data.endswith(b"\n"):
            data += b"\r\n" if crlf else b"\n"
        data += half
    return data


class Repaired(NamedTuple):
    source: bytes
    before: Analysis
    out: bytes
    after: Analysis


def draw_repaired(data: st.DataObject, dialect: str, duplicates: bool = False) -> Repaired:
    """A drawn history normalized once, with its analysis before and after (the repaired
    bytes read as the dialect the source was read as): what most properties compare."""
    source = data.draw(histories(dialect, duplicates=duplicates))
    before = analyze(source)
    out = apply_edits(source, normalize_edits(before))
    return Repaired(source, before, out, analyze(out, before.history.dialect))


@pytest.mark.parametrize("dialect", ALL_DIALECTS)
@SETTINGS
@given(data=st.data())
def test_normalize_leaves_only_unfixable_findings(dialect: str, data: st.DataObject) -> None:
    source = data.draw(histories(dialect))
    before = analyze(source)
    assert before.history.dialect == dialect
    out = apply_edits(source, normalize_edits(before))
    after = analyze(out)
    assert after.history.dialect == dialect
    left = {code for code, _ in codes(after)} - UNFIXABLE
    assert not left, (codes(before), codes(after), out.decode())


@pytest.mark.parametrize("dialect", ALL_DIALECTS)
@SETTINGS
@given(data=st.data())
def test_normalize_is_idempotent(dialect: str, data: st.DataObject) -> None:
    source = data.draw(histories(dialect, duplicates=True))
    once = apply_edits(source, normalize_edits(analyze(source)))
    twice_analysis = analyze(once)
    assert apply_edits(once, normalize_edits(twice_analysis)) == once


@pytest.mark.parametrize("dialect", ALL_DIALECTS)
@SETTINGS
@given(data=st.data())
def test_normalize_keeps_untouched_records_byte_identical(
    dialect: str, data: st.DataObject
) -> None:
    source, before, out, _ = draw_repaired(data, dialect)
    assert_untouched_records_kept(before, out)
    if b"\r\n" in source:  # a CRLF file stays CRLF: no bare LF comes in with new records
        assert out.count(b"\n") == out.count(b"\r\n")
    assert out.startswith(b"\xef\xbb\xbf") == source.startswith(b"\xef\xbb\xbf")


@pytest.mark.parametrize("dialect", ALL_DIALECTS)
@SETTINGS
@given(data=st.data())
def test_duplicate_call_ids_stay_reported_never_guessed(dialect: str, data: st.DataObject) -> None:
    _, before, _, after = draw_repaired(data, dialect, duplicates=True)
    h003_before = sorted(c for code, c in codes(before) if code == "H003")
    h003_after = sorted(c for code, c in codes(after) if code == "H003")
    assert h003_after == h003_before


def _counted(analysis: Analysis) -> list:
    """Conversation records that count toward `keep` (Chat's leading system/developer
    messages are instructions, kept on top of N)."""
    records = [i for i in analysis.history.items if i.kind.value in ("message", "calls", "outputs")]
    if analysis.history.dialect == "openai-chat":
        while records and records[0].role in ("system", "developer"):
            records.pop(0)
    return records


@pytest.mark.parametrize("dialect", ALL_DIALECTS)
@SETTINGS
@given(data=st.data())
def test_trim_never_splits_a_pair(dialect: str, data: st.DataObject) -> None:
    source = data.draw(histories(dialect))
    keep = data.draw(st.integers(0, 12))
    # trim a repaired history: every call has its output, so any split would show as H001/H002
    repaired = apply_edits(source, normalize_edits(analyze(source)))
    base = analyze(repaired)
    trimmed = apply_edits(repaired, trim_edits(base, keep))
    after = analyze(trimmed, dialect)  # type: ignore[arg-type]
    new = {code for code, _ in codes(after)} - {code for code, _ in codes(base)}
    assert not new & {"H001", "H002", "H005", "H006", "H007", "H009"}, (
        keep,
        codes(after),
        trimmed.decode(),
    )
    # pairs are kept whole: every call id left has its output left, and vice versa
    call_ids = {c.call_id for c in after.history.calls}
    output_ids = {o.call_id for o in after.history.outputs}
    assert call_ids == output_ids
    # at most `keep` conversation records (fewer only to keep a pair whole); all when enough.
    # More only in a request body that would be left without a user message to start it:
    # then from an earlier user message (an empty or call-first request is refused).
    conv = _counted(base)
    conv_after = _counted(after)
    if keep >= len(conv):
        assert trimmed == repaired
    elif len(conv_after) > keep:
        assert base.history.document and conv_after[0].role == "user"
    if conv and keep and base.history.document:
        assert conv_after, "a request body was trimmed to nothing"
    # the records kept are the tail of the conversation, byte-identical (Claude Code: but for
    # re-linked parents), and the header records before the conversation are all kept
    relax = without_parent if dialect == "claude-code" else (lambda raw: raw)

    def raw(analysis, item):
        return relax(analysis.data[item.span.start : item.span.end])

    tail = conv[len(conv) - len(conv_after) :] if conv_after else []
    assert [raw(after, i) for i in conv_after] == [raw(base, i) for i in tail]
    first = conv[0].index if conv else len(base.history.items)
    headers = [raw(base, i) for i in base.history.items[:first]]
    assert [raw(after, i) for i in after.history.items[: len(headers)]] == headers


@SETTINGS
@given(data=st.data())
def test_claude_code_chain_stays_whole(data: st.DataObject) -> None:
    source = data.draw(histories("claude-code"))
    out = apply_edits(source, normalize_edits(analyze(source)))
    records = []
    for line in out.splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            continue
    parent = {
        r["uuid"]: r.get("parentUuid") for r in records if isinstance(r, dict) and r.get("uuid")
    }
    assert len(parent) == len(
        [r for r in records if isinstance(r, dict) and r.get("uuid")]
    )  # fresh uuids
    for uuid in parent:
        seen: set[str] = set()
        node: str | None = uuid
        while node is not None:
            assert node in parent, f"parentUuid {node} is not in the file"
            assert node not in seen, "parentUuid loop"
            seen.add(node)
            node = parent[node]
    # file order is chain order: every line's parent comes before it
    position = {
        r["uuid"]: n for n, r in enumerate(records) if isinstance(r, dict) and r.get("uuid")
    }
    for r in records:
        if isinstance(r, dict) and r.get("parentUuid"):
            assert position[r["parentUuid"]] < position[r["uuid"]]


# --- a delayed Claude Code result is moved back with its line intact (issue 13) ----------------


@st.composite
def clean_claude_code(draw: st.DrawFn) -> bytes:
    """A healthy Claude Code session, in the 2.0 (one chain) or 2.1 (results hang off
    their own call's line) way, with hook lines here and there."""
    events: list = [("user", "start")]
    counter = 0
    batches = draw(st.integers(1, 4))
    for batch in range(batches):
        ids = [f"toolu_{counter + i:03d}x" for i in range(draw(st.integers(1, 3)))]
        counter += len(ids)
        events.append(("calls", ids))
        if draw(st.integers(0, 3)) == 0:
            events.append(("system", "PostToolUse hook ran"))
        events.append(("outputs", draw(st.permutations(ids))))
        # what follows the results: an assistant line (the next batch's own when nothing
        # else comes), sometimes the user's word after it
        if batch == batches - 1 or draw(st.booleans()):
            events.append(("assistant", "ok"))
        if draw(st.integers(0, 2)) == 0:
            events.append(("user", "more"))
    style = draw(st.sampled_from(["2.0", "2.1"]))
    return render_records(records_of("claude-code", events, claude_style=style))


@SETTINGS
@given(data=st.data())
def test_a_delayed_claude_code_result_moves_back_with_its_line_intact(
    data: st.DataObject,
) -> None:
    clean = data.draw(clean_claude_code())
    assert codes(analyze(clean)) == []
    rows = [
        row
        for row in delayable_results(clean)
        if ("H006", result_call_ids(clean.splitlines()[row])[0])
        in codes(analyze(delay_result(clean, row)))
    ]
    assert rows  # the last batch at least is followed by an assistant line
    row = data.draw(st.sampled_from(rows))
    delayed = delay_result(clean, row)
    out = apply_edits(delayed, normalize_edits(analyze(delayed)))
    line = clean.splitlines()[row]
    # the result's line is there once, every byte kept but for its parentUuid value …
    assert [without_parent(x) for x in out.splitlines()].count(without_parent(line)) == 1
    # … and so is every other line: none lost, none new
    assert sorted(without_parent(x) for x in out.splitlines()) == sorted(
        without_parent(x) for x in clean.splitlines()
    )
    assert codes(analyze(out)) == []
    if delay_is_undone_exactly(clean, row):
        assert out == clean  # the repair is the very inverse of the fault
    parents = {}
    for value in map(json.loads, out.splitlines()):
        if value.get("uuid"):
            parents[value["uuid"]] = value.get("parentUuid")
    for uuid in parents:
        seen: set[str] = set()
        node: str | None = uuid
        while node is not None:
            assert node in parents and node not in seen
            seen.add(node)
            node = parents[node]
