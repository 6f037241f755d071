"""Moves keep records whole, in every dialect (issue 13, point 3): an output whose record
holds nothing else moves as a whole, byte for byte; only Claude Code's parentUuid links
change. When only some blocks of a record move, the record stays with its other blocks and
all its fields, and the fix title says so."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from context_ls.history.api import analyze, fix_edits, normalize_bytes
from context_ls.history.model import apply_edits
from context_ls.history.normalize import fix_title
from context_ls.history.rules import fix_template

from ._gen import (
    CC_BASE,
    EXAMPLES,
    REPO,
    call_prefix,
    cc_line,
    codes,
    delay_is_undone_exactly,
    delay_result,
    delayable_results,
    records_of,
    render,
    render_records,
    result_call_ids,
    without_parent,
)

REALDATA = REPO.parent / "shared" / "realdata"


def lines_of(data: bytes) -> list[dict]:
    return [json.loads(x) for x in data.splitlines() if x.strip()]


def raw_lines(data: bytes) -> list[bytes]:
    return [x for x in data.splitlines() if x.strip()]


def assert_chain_resolves(data: bytes) -> None:
    """Every parentUuid names a line of the file, and no chain loops."""
    records = [r for r in lines_of(data) if isinstance(r, dict)]
    parent = {r["uuid"]: r.get("parentUuid") for r in records if r.get("uuid")}
    for uuid in parent:
        seen: set[str] = set()
        node: str | None = uuid
        while node is not None:
            assert node in parent, f"parentUuid {node} names no line"
            assert node not in seen, f"parentUuid loop through {node}"
            seen.add(node)
            node = parent[node]


def the_finding(data: bytes, code: str):
    [finding] = [f for f in analyze(data).findings if f.code == code]
    return finding


def title_of(data: bytes, code: str) -> str:
    analysis = analyze(data)
    [finding] = [f for f in analysis.findings if f.code == code]
    return fix_title(analysis.history, analysis.data, finding)


# --- Claude Code: a result line delayed behind an assistant line -------------------------------

DELAYED = [
    ("user", "go"),
    ("calls", ["toolu_A"]),
    ("outputs", ["toolu_A"]),
    ("assistant", "thinking aloud"),
    ("user", "next"),
]


def _delayed(events: list, style: str = "2.0", **extra: object) -> tuple[bytes, bytes, int]:
    """A clean file, the same with its last delayable result put behind the next line, and
    that result's line number. `extra`: fields of tomorrow on every result line."""
    records = records_of("claude-code", events, claude_style=style)
    for record in records:
        if "tool_result" in json.dumps(record.get("message")):
            record.update(extra)
    clean = render_records(records)
    row = delayable_results(clean)[-1]
    return clean, delay_result(clean, row), row


@pytest.mark.parametrize("style", ["2.0", "2.1"])
def test_a_delayed_result_line_moves_back_whole(style: str) -> None:
    clean, delayed, row = _delayed(DELAYED, style)
    result = raw_lines(clean)[row]
    assert codes(analyze(delayed)) == [("H006", "toolu_A")]
    out = normalize_bytes(delayed)
    # the very bytes of the clean file: the line, its uuid, timestamp, toolUseResult and
    # sourceToolAssistantUUID, and every parent link as it was
    assert out == clean
    assert raw_lines(out).count(result) == 1
    assert codes(analyze(out)) == []


def test_the_moved_line_keeps_every_field_and_only_its_parent_changes() -> None:
    clean, data, row = _delayed(DELAYED, "2.1", someFieldOfTomorrow={"kept": [1, 2.50, "é"]})
    assert codes(analyze(data)) == [("H006", "toolu_A")]
    before = raw_lines(data)
    moved = raw_lines(clean)[row]
    assert b"someFieldOfTomorrow" in moved and b"toolUseResult" in moved
    out = normalize_bytes(data)
    after = raw_lines(out)
    [line] = [x for x in after if b"someFieldOfTomorrow" in x]
    assert line == moved
    value = json.loads(line)
    # a 2.1 result hangs off its own call's line, which it names
    assert value["parentUuid"] == value["sourceToolAssistantUUID"]
    assert len(after) == len(before)
    assert {without_parent(x) for x in after} == {without_parent(x) for x in before}
    assert codes(analyze(out)) == []
    assert_chain_resolves(out)


def test_children_of_the_moved_line_hang_off_its_old_parent() -> None:
    events = [
        ("user", "go"),
        ("calls", ["toolu_A"]),
        ("assistant", "hm"),
        ("outputs", ["toolu_A"]),
        ("assistant", "done"),
    ]
    data = render("claude-code", events)
    out = normalize_bytes(data)
    got = lines_of(out)
    uuids = [r.get("uuid") for r in got]
    old = {r.get("uuid"): r for r in lines_of(data)}
    result = next(r for r in got if "tool_result" in json.dumps(r.get("message")))
    text = next(r for r in got if '"hm"' in json.dumps(r.get("message")))
    done = got[-1]
    call = got[uuids.index(result["uuid"]) - 1]
    assert result["uuid"] in old and result == {**old[result["uuid"]], "parentUuid": call["uuid"]}
    assert text["parentUuid"] == result["uuid"]  # the line now after it hangs off it
    assert done["parentUuid"] == text["uuid"]  # its child hangs off its old parent
    assert codes(analyze(out)) == []


def test_a_delayed_result_behind_hook_lines_goes_back_after_them() -> None:
    # 2.1: hook progress lines hang off the call's line, then the result; the result came
    # after the next assistant line. It goes back after the hook lines, whole, and hangs
    # off its call's line again: the very bytes of the session come back.
    events = [
        ("user", "go"),
        ("calls", ["toolu_A"]),
        ("system", "PostToolUse"),
        ("outputs", ["toolu_A"]),
        ("assistant", "ok"),
    ]
    clean, delayed, row = _delayed(events, "2.1")
    assert b'"type":"progress"' in raw_lines(clean)[row - 1]
    assert codes(analyze(delayed)) == [("H006", "toolu_A")]
    assert normalize_bytes(delayed) == clean


def test_a_delayed_result_behind_an_unrelated_line_keeps_its_line() -> None:
    # a system line that hangs off no line of the call's run stands between the call and
    # the result: the result goes right after its call, whole; only links change
    records = records_of("claude-code", DELAYED, claude_style="2.1")
    call = next(n for n, r in enumerate(records) if "tool_use" in json.dumps(r.get("message")))
    records.insert(
        call + 1,
        {
            "parentUuid": None,
            **CC_BASE,
            "type": "system",
            "subtype": "compact_boundary",
            "uuid": "b0b0b0b0-0000-4000-8000-000000000000",
        },
    )
    clean = render_records(records)
    row = delayable_results(clean)[-1]
    assert not delay_is_undone_exactly(clean, row)
    delayed = delay_result(clean, row)
    assert codes(analyze(delayed)) == [("H006", "toolu_A")]
    out = normalize_bytes(delayed)
    result = raw_lines(clean)[row]
    assert raw_lines(out)[call + 1] == result  # right after its call's line, its own parent kept
    assert sorted(without_parent(x) for x in raw_lines(out)) == sorted(
        without_parent(x) for x in raw_lines(clean)
    )
    assert codes(analyze(out)) == []
    assert_chain_resolves(out)


def test_a_result_line_before_its_call_moves_whole() -> None:
    events = [("user", "go"), ("outputs", ["toolu_A"]), ("calls", ["toolu_A"]), ("user", "x")]
    data = render("claude-code", events)
    assert codes(analyze(data)) == [("H005", "toolu_A")]
    result = next(x for x in raw_lines(data) if b"tool_result" in x)
    out = normalize_bytes(data)
    assert [without_parent(x) for x in raw_lines(out)].count(without_parent(result)) == 1
    assert len(raw_lines(out)) == len(raw_lines(data))
    assert codes(analyze(out)) == []
    assert_chain_resolves(out)


def _use(*ids: str) -> list[dict]:
    return [{"type": "tool_use", "id": i, "name": "Bash", "input": {}} for i in ids]


def _result(call_id: str) -> dict:
    return {"type": "tool_result", "tool_use_id": call_id, "content": "ok"}


TEXT = [{"type": "text", "text": "hm"}]


def test_one_line_with_every_result_of_a_message_moves_whole() -> None:
    lines = [
        cc_line("u", None, "user", "go"),
        cc_line("a1", "u", "assistant", _use("toolu_A", "toolu_B"), "m1"),
        cc_line("t", "a1", "assistant", TEXT, "m2"),
        cc_line("r", "t", "user", [_result("toolu_A"), _result("toolu_B")], toolUseResult="x"),
        cc_line("n", "r", "user", "next"),
    ]
    data = render_records(lines)
    assert sorted(codes(analyze(data))) == [("H006", "toolu_A"), ("H006", "toolu_B")]
    out = normalize_bytes(data)
    assert [r["uuid"] for r in lines_of(out)] == ["u", "a1", "r", "t", "n"]
    assert without_parent(raw_lines(out)[2]) == without_parent(raw_lines(data)[3])
    assert [r["parentUuid"] for r in lines_of(out)] == [None, "u", "a1", "r", "t"]
    assert codes(analyze(out)) == []


def test_a_line_on_the_move_leaves_only_the_blocks_that_go_anyway() -> None:
    # the line holds a delayed result and an orphan one: the line moves, the orphan goes
    lines = [
        cc_line("u", None, "user", "go"),
        cc_line("a1", "u", "assistant", _use("toolu_A"), "m1"),
        cc_line("t", "a1", "assistant", TEXT, "m2"),
        cc_line("r", "t", "user", [_result("toolu_A"), _result("toolu_Zgone")], toolUseResult="x"),
        cc_line("n", "r", "user", "next"),
    ]
    data = render_records(lines)
    assert sorted(codes(analyze(data))) == [("H002", "toolu_Zgone"), ("H006", "toolu_A")]
    out = normalize_bytes(data)
    got = lines_of(out)
    assert [r["uuid"] for r in got] == ["u", "a1", "r", "t", "n"]
    assert got[2] == {
        **lines[3],
        "parentUuid": "a1",
        "message": {"role": "user", "content": [_result("toolu_A")]},
    }
    assert codes(analyze(out)) == []


def test_results_bound_for_two_messages_keep_the_line_with_the_first() -> None:
    lines = [
        cc_line("u", None, "user", "go"),
        cc_line("a1", "u", "assistant", _use("toolu_A"), "m1"),
        cc_line("t1", "a1", "assistant", TEXT, "m2"),
        cc_line("r", "t1", "user", [_result("toolu_A")], toolUseResult="x"),
        cc_line("a2", "r", "assistant", _use("toolu_B"), "m3"),
        cc_line("t2", "a2", "assistant", TEXT, "m4"),
        cc_line("rr", "t2", "user", [_result("toolu_B"), _result("toolu_A2")], toolUseResult="y"),
        cc_line("n", "rr", "user", "next"),
    ]
    # toolu_A2 is answered in a line of its own, so `rr` holds toolu_B's delayed result only
    # once toolu_A2's call sits in the first message: build it so
    lines[1]["message"]["content"] = _use("toolu_A", "toolu_A2")
    data = render_records(lines)
    found = sorted(codes(analyze(data)))
    assert ("H006", "toolu_A2") in found and ("H006", "toolu_B") in found
    out = normalize_bytes(data)
    got = lines_of(out)
    assert codes(analyze(out)) == []
    uuids = [r["uuid"] for r in got]
    # `rr` keeps its uuid and its toolUseResult, next to the call of its first block
    [rr] = [r for r in got if r["uuid"] == "rr"]
    assert rr["toolUseResult"] == "y"
    assert uuids.count("rr") == 1 and uuids.count("r") == 1
    assert_chain_resolves(out)


def test_a_result_beside_text_leaves_its_line_which_keeps_its_fields() -> None:
    lines = [
        cc_line("u", None, "user", "go"),
        cc_line("a1", "u", "assistant", _use("toolu_A"), "m1"),
        cc_line("t", "a1", "assistant", TEXT, "m2"),
        cc_line(
            "r",
            "t",
            "user",
            [_result("toolu_A"), {"type": "text", "text": "and also"}],
            toolUseResult={"stdout": "ok"},
            timestamp="2025-10-08T09:14:30.000Z",
        ),
        cc_line("n", "r", "user", "next"),
    ]
    data = render_records(lines)
    assert codes(analyze(data)) == [("H006", "toolu_A")]
    title = title_of(data, "H006")
    assert "new line" in title and "keeps its uuid, timestamp, toolUseResult" in title
    out = normalize_bytes(data)
    got = lines_of(out)
    [stays] = [r for r in got if r["uuid"] == "r"]
    assert stays == {
        **lines[3],
        "message": {"role": "user", "content": [{"type": "text", "text": "and also"}]},
    }
    new = next(r for r in got if r["uuid"] not in {"u", "a1", "t", "r", "n"})
    assert new["message"]["content"] == [_result("toolu_A")]
    assert "toolUseResult" not in new  # the line it left keeps it
    assert codes(analyze(out)) == []
    assert_chain_resolves(out)


@pytest.mark.parametrize("style", ["2.0", "2.1"])
def test_whole_line_title(style: str) -> None:
    _, delayed, _ = _delayed(DELAYED, style)
    title = title_of(delayed, "H006")
    assert title.startswith("Move the line with the result of toolu_A next to its call")
    assert "only parentUuid links change" in title


def test_the_quick_fix_alone_moves_the_line_whole() -> None:
    clean, delayed, _ = _delayed(DELAYED, "2.1")
    analysis = analyze(delayed)
    [finding] = analysis.findings
    assert apply_edits(delayed, fix_edits(analysis, finding)) == clean


# --- Anthropic: messages ------------------------------------------------------------------------


def _anthropic(messages: list) -> bytes:
    return json.dumps({"messages": messages}, indent=2).encode() + b"\n"


def test_anthropic_a_delayed_result_message_moves_whole() -> None:
    messages = [
        {"role": "user", "content": "go"},
        {"role": "assistant", "content": _use("toolu_A")},
        {"role": "user", "content": "meanwhile"},
        {"role": "assistant", "content": TEXT},
        {"role": "user", "content": [_result("toolu_A")], "x-note": "kept"},
        {"role": "user", "content": "next"},
    ]
    data = _anthropic(messages)
    assert codes(analyze(data)) == [("H006", "toolu_A")]
    assert "the whole message" in title_of(data, "H006")
    out = normalize_bytes(data)
    got = json.loads(out)["messages"]
    # it goes first in the user turn after the call (the API combines it with "meanwhile")
    assert got == [messages[0], messages[1], messages[4], messages[2], messages[3], messages[5]]
    assert out == _anthropic(got)
    assert codes(analyze(out)) == []


def test_anthropic_a_result_beside_text_goes_into_the_reply() -> None:
    messages = [
        {"role": "user", "content": "go"},
        {"role": "assistant", "content": _use("toolu_A")},
        {"role": "user", "content": "meanwhile"},
        {"role": "assistant", "content": TEXT},
        {"role": "user", "content": [_result("toolu_A"), {"type": "text", "text": "and also"}]},
    ]
    data = _anthropic(messages)
    assert codes(analyze(data)) == [("H006", "toolu_A")]
    assert "keeps its other blocks" in title_of(data, "H006")
    got = json.loads(normalize_bytes(data))["messages"]
    assert got[2] == {
        "role": "user",
        "content": [_result("toolu_A"), {"type": "text", "text": "meanwhile"}],
    }
    assert got[4] == {"role": "user", "content": [{"type": "text", "text": "and also"}]}


def test_anthropic_results_of_one_message_stay_in_one_reply() -> None:
    # the reply already holds a result of the same call message: the delayed one joins it
    messages = [
        {"role": "user", "content": "go"},
        {"role": "assistant", "content": _use("toolu_A", "toolu_B")},
        {"role": "user", "content": [_result("toolu_B")]},
        {"role": "assistant", "content": TEXT},
        {"role": "user", "content": [_result("toolu_A")]},
    ]
    data = _anthropic(messages)
    assert codes(analyze(data)) == [("H006", "toolu_A")]
    out = normalize_bytes(data)
    got = json.loads(out)["messages"]
    assert got[2]["content"] == [_result("toolu_A"), _result("toolu_B")]
    assert codes(analyze(out)) == []


def test_anthropic_a_dangling_call_beside_a_delayed_one_shares_the_reply() -> None:
    messages = [
        {"role": "user", "content": "go"},
        {"role": "assistant", "content": _use("toolu_A", "toolu_B")},
        {"role": "user", "content": "hm?"},
        {"role": "assistant", "content": TEXT},
        {"role": "user", "content": [_result("toolu_A")]},
    ]
    data = _anthropic(messages)
    out = normalize_bytes(data)
    assert codes(analyze(out)) == []
    got = json.loads(out)["messages"]
    assert {b["tool_use_id"] for b in got[2]["content"] if b.get("type") == "tool_result"} == {
        "toolu_A",
        "toolu_B",
    }


# --- the dialects with one output a record -------------------------------------------------------


@pytest.mark.parametrize(
    ("dialect", "layout", "pretty"),
    [
        ("codex", "jsonl", False),
        ("native", "jsonl", False),
        ("openai-responses", "input", False),
        ("openai-responses", "input", True),
        ("openai-responses", "jsonl", False),
        ("openai-chat", "messages", False),
        ("openai-chat", "messages", True),
        ("openai-chat", "jsonl", False),
    ],
)
@pytest.mark.parametrize("fault", ["early", "late"])
def test_an_output_record_moves_byte_for_byte(
    dialect: str, layout: str, pretty: bool, fault: str
) -> None:
    a = call_prefix(dialect) + "A"
    if fault == "early":
        events = [("user", "go"), ("outputs", [a]), ("calls", [a]), ("user", "x")]
    else:
        events = [("user", "go"), ("calls", [a]), ("user", "hm"), ("outputs", [a])]
    records = records_of(dialect, events)
    for record in records:
        body = record.get("payload", record)
        if (
            body.get("type") in ("function_call_output", "tool_output")
            or body.get("role") == "tool"
        ):
            body["x-unknown"] = {"kept": ["é", 1.50]}
    data = render_records(records, layout, pretty=pretty)
    analysis = analyze(data)
    expected = "H005" if fault == "early" else "H006"
    if dialect in ("codex", "openai-responses", "native") and fault == "late":
        assert codes(analysis) == []  # no adjacency rule: nothing to move
        return
    assert codes(analysis) == [(expected, a)]
    [finding] = analysis.findings
    span = analysis.history.items[finding.item].span
    raw = data[span.start : span.end]
    assert b"x-unknown" in raw
    assert "byte for byte" in fix_title(analysis.history, data, finding)
    out = normalize_bytes(data)
    assert out.count(raw) == 1
    after = analyze(out)
    assert codes(after) == []
    [moved] = after.history.outputs
    [call] = after.history.calls
    assert moved.item > call.item
    item = after.history.items[moved.item]
    assert out[item.span.start : item.span.end] == raw


def test_titles_of_other_fixes_are_the_rule_templates() -> None:
    data = render("native", [("user", "go"), ("calls", ["call_A"]), ("user", "x")])
    assert title_of(data, "H001") == "Insert a synthetic output for call_A"


# --- the fault on real files ----------------------------------------------------------------------


def _real_claude_files() -> list[Path]:
    if not REALDATA.is_dir():
        return []
    return [
        p
        for p in sorted(REALDATA.rglob("*.jsonl"))
        if analyze(p.read_bytes()).history.dialect == "claude-code"
    ]


@pytest.mark.skipif(not REALDATA.is_dir(), reason="../shared/realdata is not there")
@pytest.mark.parametrize("path", _real_claude_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_real_files_a_delayed_result_moves_back_with_its_line(path: Path) -> None:
    """Every result of a real Claude Code file that an assistant line follows, delayed
    behind that line: the repair puts the line back whole, and gives the very bytes back
    when nothing but the call (or its batch's results) stood before the result."""
    data = path.read_bytes()
    # other repairs at the same place (a synthetic result) may order lines otherwise
    healthy = not any(f.fixable for f in analyze(data).findings)
    for row in delayable_results(data):
        delayed = delay_result(data, row)
        ids = result_call_ids(data.splitlines()[row])
        if not {("H006", i) for i in ids} & set(codes(analyze(delayed))):
            continue  # the next line belongs to the call's own message: no fault
        out = normalize_bytes(delayed)
        line = data.splitlines()[row]
        assert [without_parent(x) for x in out.splitlines()].count(without_parent(line)) == 1
        if healthy and delay_is_undone_exactly(data, row):
            assert out == data, row
        assert not {c for c, _ in codes(analyze(out))} & {"H005", "H006", "H009"}


def test_results_of_one_message_go_to_one_place_before_a_branching_hook_line() -> None:
    # a hook line of the first call comes after the second call's line and branches off
    # the first: both delayed results, in one line, go right after the message, and the
    # chain goes on from them
    lines = [
        cc_line("u", None, "user", "go"),
        cc_line("a1", "u", "assistant", _use("toolu_A"), "m1"),
        cc_line("a2", "a1", "assistant", _use("toolu_B"), "m1"),
        {"parentUuid": "a1", **CC_BASE, "type": "progress", "data": {}, "uuid": "p1"},
        cc_line("t", "a2", "assistant", TEXT, "m2"),
        cc_line("r", "t", "user", [_result("toolu_A"), _result("toolu_B")], toolUseResult="x"),
        cc_line("n", "r", "user", "next"),
    ]
    data = render_records(lines)
    assert sorted(codes(analyze(data))) == [("H006", "toolu_A"), ("H006", "toolu_B")]
    out = normalize_bytes(data)
    got = lines_of(out)
    assert [r["uuid"] for r in got] == ["u", "a1", "a2", "r", "p1", "t", "n"]
    assert [r["parentUuid"] for r in got] == [None, "u", "a1", "a2", "a1", "r", "t"]
    assert without_parent(raw_lines(out)[3]) == without_parent(raw_lines(data)[5])
    assert codes(analyze(out)) == []


def test_a_rule_without_a_fix_title_is_named() -> None:
    assert fix_template("H008") == "Fix H008 (invalid-status)"
    assert fix_template("H006") == "Move the output of {call_id} next to its call"


def test_a_quick_fix_is_the_title_and_edits_of_the_same_plan() -> None:
    """The editor gets both from one plan; they are what `fix_title` and `fix_edits` say."""
    from context_ls.history import api

    for name in (
        "claude-code-session.jsonl",
        "anthropic-messages.json",
        "codex-rollout-crashed.jsonl",
    ):
        analysis = analyze((EXAMPLES / name).read_bytes())
        assert analysis.findings, name
        for finding in analysis.findings:
            assert api.quick_fix(analysis, finding) == (
                api.fix_title(analysis, finding),
                fix_edits(analysis, finding),
            ), (name, finding.code)


def test_results_in_a_message_of_another_role_move_as_blocks() -> None:
    """A late result held by a message whose role is not "user" cannot move whole (it would
    stand in the reply's place and still not be the reply): its block joins the user
    message after the call, and the repaired history is clean."""
    doc = {
        "messages": [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": [_tool_use("toolu_A")]},
            {"role": "user", "content": [{"type": "text", "text": "wait"}]},
            {"role": "", "content": [_tool_result("toolu_A")]},
        ]
    }
    data = json.dumps(doc, indent=2).encode()
    assert [f.code for f in analyze(data).findings] == ["H006"]
    out = normalize_bytes(data)
    assert analyze(out).findings == []
    reply = json.loads(out)["messages"][2]
    assert reply["role"] == "user" and reply["content"][0] == _tool_result("toolu_A")


def _tool_use(call_id: str) -> dict[str, object]:
    return {"type": "tool_use", "id": call_id, "name": "bash", "input": {}}


def _tool_result(call_id: str) -> dict[str, object]:
    return {"type": "tool_result", "tool_use_id": call_id, "content": "ok"}
