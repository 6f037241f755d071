"""normalize per dialect: dialect-correct synthetic outputs, removals, moves, minimal edits."""

from __future__ import annotations

import json
import uuid as uuidlib

import pytest

from context_ls.history.api import Options, analyze, fix_edits, normalize_bytes, normalize_edits
from context_ls.history.model import apply_edits

from ._gen import (
    ALL_DIALECTS,
    CC_BASE,
    JSONL_DIALECTS,
    SYNTHETIC_TEXT,
    call_prefix,
    cc_line,
    clean_events,
    codes,
    render,
    render_records,
)


def lines(data: bytes) -> list[dict]:
    return [json.loads(line) for line in data.splitlines() if line.strip()]


def doc(data: bytes) -> list[dict]:
    value = json.loads(data)
    if isinstance(value, dict):
        return value.get("messages", value.get("input"))
    return value


def repaired(data: bytes, dialect: str | None = None, options: Options | None = None) -> bytes:
    out = normalize_bytes(data, dialect, options)  # type: ignore[arg-type]
    after = analyze(out)
    assert {c for c, _ in codes(after)} <= {"H003", "H008", "H010"}, codes(after)
    assert normalize_bytes(out, dialect, options) == out  # type: ignore[arg-type]
    return out


# --- H001: synthetic outputs -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call_kind", "output_kind"),
    [
        ("function_call", "function_call_output"),
        ("custom_tool_call", "custom_tool_call_output"),
        ("local_shell_call", "function_call_output"),
    ],
)
def test_codex_synthetic_output_right_after_the_call(call_kind: str, output_kind: str) -> None:
    events = [
        ("user", "go"),
        ("calls", ["call_A", "call_B"]),
        ("outputs", ["call_B"]),
        ("assistant", "x"),
    ]
    data = render("codex", events, {"call_A": call_kind})
    out = repaired(data)
    got = lines(out)
    index = next(i for i, r in enumerate(got) if r["payload"].get("call_id") == "call_A")
    assert got[index]["payload"]["type"] == call_kind
    inserted = got[index + 1]
    assert inserted["type"] == "response_item"
    assert inserted["payload"] == {"type": output_kind, "call_id": "call_A", "output": "aborted"}
    assert inserted["timestamp"] == got[index]["timestamp"]
    assert len(got) == len(lines(data)) + 1


@pytest.mark.parametrize("pretty", [False, True])
@pytest.mark.parametrize("layout", ["input", "array"])
def test_responses_synthetic_output_right_after_the_call(layout: str, pretty: bool) -> None:
    events = [
        ("user", "go"),
        ("calls", ["call_A", "call_B"]),
        ("outputs", ["call_B"]),
        ("assistant", "x"),
    ]
    data = render(
        "openai-responses", events, {"call_B": "custom_tool_call"}, layout=layout, pretty=pretty
    )
    out = repaired(data)
    items = doc(out)
    index = next(i for i, r in enumerate(items) if r.get("call_id") == "call_A")
    assert items[index + 1] == {
        "type": "function_call_output",
        "call_id": "call_A",
        "output": "aborted",
    }
    # the inserted element is written in the document's own style (indentation, separators)
    assert (
        out
        == (
            json.dumps(
                json.loads(out),
                indent=2 if pretty else None,
                separators=None if pretty else (",", ":"),
            )
        ).encode()
        + b"\n"
    )


def test_anthropic_synthetic_result_goes_into_the_next_user_message() -> None:
    events = [
        ("user", "go"),
        ("calls", ["toolu_A", "toolu_B"]),
        ("outputs", ["toolu_B"]),
        ("assistant", "x"),
    ]
    data = render("anthropic", events)
    out = repaired(data)
    messages = doc(out)
    assert len(messages) == len(doc(data))
    reply = messages[2]
    assert reply["role"] == "user"
    blocks = {b["tool_use_id"]: b for b in reply["content"]}
    assert blocks["toolu_A"] == {
        "type": "tool_result",
        "tool_use_id": "toolu_A",
        "content": SYNTHETIC_TEXT,
        "is_error": True,
    }
    assert blocks["toolu_B"]["content"] == "result of toolu_B"
    assert next(b["tool_use_id"] for b in reply["content"]) == "toolu_A"  # tool results come first


def test_anthropic_next_user_message_with_text_gets_a_result_block_first() -> None:
    events = [("user", "go"), ("calls", ["toolu_A"]), ("user", "and?"), ("assistant", "x")]
    data = render("anthropic", events)
    out = repaired(data)
    reply = doc(out)[2]
    assert reply["role"] == "user"
    assert reply["content"][0]["type"] == "tool_result" and reply["content"][0]["is_error"] is True
    assert reply["content"][1] == {"type": "text", "text": "and?"}


@pytest.mark.parametrize("after", [[("assistant", "x")], []])
def test_anthropic_user_message_created_when_needed(after: list) -> None:
    events = [("user", "go"), ("calls", ["toolu_A"]), *after]
    data = render("anthropic", events, pretty=True)
    out = repaired(data)
    messages = doc(out)
    assert len(messages) == len(doc(data)) + 1
    # after the whole assistant turn: the API combines consecutive assistant messages
    assert messages[2 + len(after)] == {
        "role": "user",
        "content": [
            {
                "type": "tool_result",
                "tool_use_id": "toolu_A",
                "content": SYNTHETIC_TEXT,
                "is_error": True,
            }
        ],
    }


@pytest.mark.parametrize("after", [[("assistant", "x")], []])
def test_anthropic_two_dangling_calls_share_one_new_user_message(after: list) -> None:
    events = [("user", "go"), ("calls", ["toolu_A", "toolu_B"]), *after]
    data = render("anthropic", events)
    out = normalize_bytes(data)
    assert codes(analyze(out)) == []
    assert len(doc(out)) == len(doc(data)) + 1


def test_anthropic_synthetic_result_into_a_message_whose_blocks_all_go() -> None:
    # the reply holds only an orphan result: it is removed and the synthetic result goes in
    events = [
        ("user", "go"),
        ("calls", ["toolu_A"]),
        ("outputs", ["toolu_Zgone"]),
        ("assistant", "x"),
    ]
    data = render("anthropic", events)
    assert codes(analyze(data)) == [("H001", "toolu_A"), ("H002", "toolu_Zgone")]
    out = normalize_bytes(data)
    json.loads(out)
    assert codes(analyze(out)) == []


def test_chat_synthetic_tool_message_at_the_end_of_the_tool_block() -> None:
    events = [
        ("user", "go"),
        ("calls", ["call_A", "call_B", "call_C"]),
        ("outputs", ["call_C", "call_A"]),
        ("user", "next"),
    ]
    data = render("openai-chat", events, pretty=True)
    out = repaired(data)
    messages = doc(out)
    roles = [m["role"] for m in messages]
    assert roles == ["system", "user", "assistant", "tool", "tool", "tool", "user"]
    assert messages[5] == {"role": "tool", "tool_call_id": "call_B", "content": SYNTHETIC_TEXT}


def test_chat_synthetic_tool_message_when_the_call_is_last() -> None:
    data = render("openai-chat", [("user", "go"), ("calls", ["call_A"])])
    out = repaired(data)
    assert doc(out)[-1] == {"role": "tool", "tool_call_id": "call_A", "content": SYNTHETIC_TEXT}


def test_native_synthetic_output() -> None:
    events = [
        ("user", "go"),
        ("calls", ["call_A", "call_B"]),
        ("outputs", ["call_B"]),
        ("assistant", "x"),
    ]
    data = render("native", events)
    out = repaired(data)
    got = lines(out)
    index = next(i for i, r in enumerate(got) if r.get("call_id") == "call_A")
    inserted = got[index + 1]
    assert inserted["type"] == "tool_output" and inserted["call_id"] == "call_A"
    assert inserted["status"] == "canceled"
    assert inserted["content"] == "Tool execution was interrupted. Output was not received."
    assert inserted["timestamp"] == got[index]["timestamp"]


def _claude_lines(events: list) -> list[dict]:
    return json.loads(
        json.dumps([json.loads(x) for x in render("claude-code", events).splitlines()])
    )


def test_claude_code_synthetic_line_is_chained_and_copies_session_fields() -> None:
    events = [
        ("user", "go"),
        ("calls", ["toolu_A", "toolu_B"]),
        ("outputs", ["toolu_A"]),
        ("assistant", "done"),
    ]
    data = render("claude-code", events)
    before = lines(data)
    out = repaired(data)
    after = lines(out)
    assert len(after) == len(before) + 1
    new = next(
        r for r in after if r.get("type") == "user" and "toolu_B" in json.dumps(r.get("message"))
    )
    index = after.index(new)
    old_uuids = {r.get("uuid") for r in before}
    assert new["uuid"] not in old_uuids
    uuidlib.UUID(new["uuid"])
    for key in ("sessionId", "cwd", "version"):
        assert new[key] == CC_BASE[key]
    [block] = new["message"]["content"]
    assert (
        block["type"] == "tool_result"
        and block["tool_use_id"] == "toolu_B"
        and block["is_error"] is True
    )
    assert new["message"]["role"] == "user"
    # it follows the run of result lines, and hangs off the last of them
    assert after[index - 1]["message"]["content"][0].get("tool_use_id") == "toolu_A"
    assert new["parentUuid"] == after[index - 1]["uuid"]
    # the next line is re-linked to it
    assert after[index + 1]["parentUuid"] == new["uuid"]
    # every parent still resolves
    uuids = {r.get("uuid") for r in after}
    assert all(r.get("parentUuid") in uuids for r in after if r.get("parentUuid"))


def test_claude_code_every_result_missing() -> None:
    events = [
        ("user", "go"),
        ("calls", ["toolu_A", "toolu_B"]),
        ("assistant", "done"),
        ("user", "bye"),
    ]
    data = render("claude-code", events)
    out = repaired(data)
    after = lines(out)
    new = [r for r in after if r.get("uuid") not in {x.get("uuid") for x in lines(data)}]
    assert [r["message"]["content"][0]["tool_use_id"] for r in new] == ["toolu_A", "toolu_B"]
    assert new[1]["parentUuid"] == new[0]["uuid"]
    index = after.index(new[1])
    assert after[index + 1]["parentUuid"] == new[1]["uuid"]
    assert analyze(out).findings == []


def test_claude_code_synthetic_uuid_is_fresh_per_call_and_stable() -> None:
    events = [("user", "go"), ("calls", ["toolu_A"]), ("user", "x"), ("calls", ["toolu_B"])]
    out = repaired(render("claude-code", events))
    new = [
        r for r in lines(out) if r.get("toolUseResult") is not None or "is_error" in json.dumps(r)
    ]
    assert len({r["uuid"] for r in new}) == 2
    assert normalize_bytes(render("claude-code", events)) == out


# --- removals and moves ---------------------------------------------------------------------


@pytest.mark.parametrize("dialect", ALL_DIALECTS)
def test_orphan_and_duplicate_outputs_removed(dialect: str) -> None:
    p = call_prefix(dialect)
    a, b, z = p + "A", p + "B", p + "Zgone"
    events = [("user", "go"), ("calls", [a, b]), ("outputs", [a, b, z, a]), ("assistant", "x")]
    data = render(dialect, events)
    before = analyze(data)
    assert sorted(codes(before)) == sorted([("H002", z), ("H004", a)])
    out = repaired(data)
    after = analyze(out)
    assert sorted(o.call_id for o in after.history.outputs) == sorted([a, b])
    assert z.encode() not in out


@pytest.mark.parametrize("dialect", ["codex", "openai-responses", "native", "openai-chat"])
def test_h005_output_moved_after_its_call_bytes_unchanged(dialect: str) -> None:
    p = call_prefix(dialect)
    a, b = p + "A", p + "B"
    events = [
        ("user", "go"),
        ("outputs", [a]),
        ("calls", [a, b]),
        ("outputs", [b]),
        ("assistant", "x"),
    ]
    data = render(dialect, events, pretty=True)
    before = analyze(data)
    [finding] = before.findings
    output_item = before.history.items[finding.item]
    raw = data[output_item.span.start : output_item.span.end]
    out = repaired(data)
    after = analyze(out)
    [moved] = [o for o in after.history.outputs if o.call_id == a]
    [call] = [c for c in after.history.calls if c.call_id == a]
    assert moved.item > call.item
    item = after.history.items[moved.item]
    assert out[item.span.start : item.span.end] == raw
    assert out.count(raw) == 1


@pytest.mark.parametrize("dialect", ["anthropic", "claude-code"])
def test_h005_h006_block_moved_into_the_reply(dialect: str) -> None:
    a, b, c = "toolu_A", "toolu_B", "toolu_C"
    events = [
        ("user", "go"),
        ("outputs", [a]),
        ("calls", [a, b]),
        ("outputs", [b]),
        ("calls", [c]),
        ("user", "hm"),
        ("outputs", [c]),
    ]
    data = render(dialect, events)
    assert sorted(codes(analyze(data))) == [("H005", a), ("H006", c)]
    out = repaired(data)
    after = analyze(out)
    for call_id in (a, c):
        [output] = [o for o in after.history.outputs if o.call_id == call_id]
        [call] = [x for x in after.history.calls if x.call_id == call_id]
        assert after.history.items[output.item].turn == after.history.items[call.item].turn + 1


def test_chat_h006_tool_message_moved_into_the_tool_block() -> None:
    events = [
        ("user", "go"),
        ("calls", ["call_A", "call_B"]),
        ("outputs", ["call_A"]),
        ("user", "hm"),
        ("outputs", ["call_B"]),
    ]
    data = render("openai-chat", events, pretty=True)
    assert codes(analyze(data)) == [("H006", "call_B")]
    out = repaired(data)
    roles = [m["role"] for m in doc(out)]
    assert roles == ["system", "user", "assistant", "tool", "tool", "user"]
    assert doc(out)[4]["tool_call_id"] == "call_B"


@pytest.mark.parametrize("dialect", JSONL_DIALECTS)
def test_truncated_last_line_dropped(dialect: str) -> None:
    data = render(dialect, clean_events(call_prefix(dialect)))
    whole = data.rstrip(b"\n")
    cut = whole[: whole.rfind(b"\n") + 25]
    out = repaired(cut)
    assert out == whole[: whole.rfind(b"\n") + 1] or out == whole[: whole.rfind(b"\n")]


@pytest.mark.parametrize("dialect", JSONL_DIALECTS)
def test_malformed_line_mid_file_left_alone(dialect: str) -> None:
    data = render(dialect, clean_events(call_prefix(dialect)))
    parts = data.split(b"\n")
    parts.insert(3, b'{"oops": ')
    broken = b"\n".join(parts)
    assert normalize_bytes(broken) == broken
    assert codes(analyze(broken)) == [("H007", None)]


def test_malformed_mid_file_left_while_others_fixed() -> None:
    data = render("native", [("user", "go"), ("calls", ["call_A"]), ("assistant", "x")])
    broken = data.replace(
        b'{"type":"message","role":"assistant"', b'{"oops": \n{"type":"message","role":"assistant"'
    )
    out = normalize_bytes(broken)
    assert b'{"oops": \n' in out
    assert [c for c in codes(analyze(out))] == [("H007", None)]


# --- options and single fixes ------------------------------------------------------------------


@pytest.mark.parametrize("dialect", ALL_DIALECTS)
def test_synthetic_output_text_option(dialect: str) -> None:
    text = "Interrupted by the user — no output."
    [a] = [call_prefix(dialect) + "A"]
    data = render(dialect, [("user", "go"), ("calls", [a]), ("user", "x")])
    out = repaired(data, options=Options(synthetic_output_text={dialect: text}))
    assert json.dumps(text)[1:-1].encode() in out or text.encode() in out
    assert b"aborted" not in out and SYNTHETIC_TEXT.encode() not in out
    other = "anthropic" if dialect != "anthropic" else "native"
    default = normalize_bytes(data, options=Options(synthetic_output_text={other: text}))
    assert text.encode() not in default


@pytest.mark.parametrize("dialect", ALL_DIALECTS)
def test_fix_edits_fixes_only_that_finding(dialect: str) -> None:
    p = call_prefix(dialect)
    a, b, z = p + "A", p + "B", p + "Zgone"
    events = [("user", "go"), ("calls", [a, b]), ("outputs", [z]), ("user", "x")]
    data = render(dialect, events)
    analysis = analyze(data)
    assert sorted(codes(analysis)) == sorted([("H001", a), ("H001", b), ("H002", z)])
    for finding in analysis.findings:
        out = apply_edits(data, fix_edits(analysis, finding))
        left = sorted(codes(analyze(out)))
        expected = sorted(c for c in codes(analysis) if c != (finding.code, finding.call_id))
        assert left == expected, (finding.code, finding.call_id, out.decode())


def test_fix_edits_of_unfixable_findings_is_empty() -> None:
    records = [
        {"type": "tool_call", "call_id": "c1", "tool_name": "x", "args": {}},
        {"type": "tool_output", "call_id": "c1", "status": "done", "content": "x"},
        {"type": "tool_call", "call_id": "c1", "tool_name": "x", "args": {}},
    ]
    analysis = analyze(render_records(records))
    assert sorted(c for c, _ in codes(analysis)) == ["H003", "H008"]
    for finding in analysis.findings:
        assert fix_edits(analysis, finding) == []
    assert normalize_edits(analysis) == []


def test_non_history_gets_no_edits() -> None:
    data = b'{"name": "x", "version": "1.0.0"}\n'
    assert normalize_edits(analyze(data)) == []
    assert normalize_bytes(data) == data


def test_h009_relinked_to_the_previous_line() -> None:
    records = [json.loads(x) for x in render("claude-code", clean_events("toolu_")).splitlines()]
    records[4]["parentUuid"] = "99999999-0000-4000-8000-000000000000"
    data = render_records(records)
    out = repaired(data)
    after = lines(out)
    assert after[4]["parentUuid"] == after[3]["uuid"]
    assert len(after) == len(records)
    assert out.replace(after[3]["uuid"].encode(), b"X") == data.replace(
        b"99999999-0000-4000-8000-000000000000", b"X"
    ).replace(after[3]["uuid"].encode(), b"X")


@pytest.mark.parametrize("pretty", [False, True])
@pytest.mark.parametrize("dialect", ["openai-responses", "openai-chat", "anthropic"])
def test_document_style_is_kept(dialect: str, pretty: bool) -> None:
    p = call_prefix(dialect)
    a, b, c, z = p + "A", p + "B", p + "C", p + "Zgone"
    events = [
        ("user", "go"),
        ("calls", [a, b]),
        ("outputs", [b, z]),
        ("user", "x"),
        ("calls", [c]),
        ("assistant", "y"),
        ("outputs", [c]),
    ]
    data = render(dialect, events, pretty=pretty)
    assert {code for code, _ in codes(analyze(data))} >= {"H001", "H002"}
    out = repaired(data)
    layout = (2, None) if pretty else (None, (",", ":"))
    assert (
        out
        == json.dumps(
            json.loads(out), indent=layout[0], separators=layout[1], ensure_ascii=False
        ).encode()
        + b"\n"
    )


def _parents_resolve_without_loops(data: bytes) -> None:
    records = [json.loads(x) for x in data.splitlines() if x.strip()]
    parent = {r["uuid"]: r.get("parentUuid") for r in records if r.get("uuid")}
    for start in parent:
        seen, node = set(), start
        while node is not None:
            assert node not in seen, f"parentUuid loop through {node}"
            seen.add(node)
            node = parent.get(node)


def test_claude_code_relink_never_creates_a_loop() -> None:
    text = [{"type": "text", "text": "t"}]
    base = {k: CC_BASE[k] for k in ("sessionId", "cwd", "version")}
    lines = [
        {
            "parentUuid": None,
            **base,
            "type": "user",
            "message": {"role": "user", "content": "hi"},
            "uuid": "r",
        },
        {
            "parentUuid": "b",
            **base,
            "type": "assistant",
            "message": {"id": "m1", "role": "assistant", "content": text},
            "uuid": "a",
        },
        {
            "parentUuid": "gone",
            **base,
            "type": "user",
            "message": {"role": "user", "content": "go"},
            "uuid": "b",
        },
    ]
    data = render_records(lines)
    assert codes(analyze(data)) == [("H009", None)]
    out = normalize_bytes(data)
    assert codes(analyze(out)) == []
    _parents_resolve_without_loops(out)


@pytest.mark.parametrize("dialect_events", [clean_events("toolu_", (2, 1))])
def test_claude_code_normalize_never_creates_parent_loops(dialect_events: list) -> None:
    records = [
        json.loads(x)
        for x in render("claude-code", [*dialect_events, ("calls", ["toolu_Z"])]).splitlines()
    ]
    records[5]["parentUuid"] = "gone"
    out = repaired(render_records(records))
    _parents_resolve_without_loops(out)


_USE_S = [{"type": "tool_use", "id": "toolu_S", "name": "Bash", "input": {}}]
_RESULT_S = [{"type": "tool_result", "tool_use_id": "toolu_S", "content": "ok"}]


def test_claude_code_result_line_written_twice() -> None:
    lines = [
        cc_line("u", None, "user", "go"),
        cc_line("a1", "u", "assistant", _USE_S, "m1"),
        cc_line("rs", "a1", "user", _RESULT_S),
        cc_line("rs", "a1", "user", _RESULT_S),
        cc_line("a3", "rs", "assistant", [{"type": "text", "text": "x"}], "m3"),
    ]
    data = render_records(lines)
    assert codes(analyze(data)) == [("H004", "toolu_S")]
    out = normalize_bytes(data)
    assert codes(analyze(out)) == []
    assert lines_of(out)[-1]["parentUuid"] == "rs"


def test_claude_code_duplicate_result_with_its_own_uuid() -> None:
    lines = [
        cc_line("u", None, "user", "go"),
        cc_line("a1", "u", "assistant", _USE_S, "m1"),
        cc_line("rs", "a1", "user", _RESULT_S),
        cc_line("rs2", "rs", "user", _RESULT_S),
        cc_line("a3", "rs2", "assistant", [{"type": "text", "text": "x"}], "m3"),
    ]
    data = render_records(lines)
    assert codes(analyze(data)) == [("H004", "toolu_S")]
    out = repaired(data)
    after = lines_of(out)
    assert [r["uuid"] for r in after] == ["u", "a1", "rs", "a3"]
    assert after[-1]["parentUuid"] == "rs"  # the child of the removed line hangs off its parent


def test_claude_code_sidechain_synthetic_result_stays_in_its_thread() -> None:
    lines = [
        cc_line("u", None, "user", "go"),
        cc_line(
            "s1",
            "u",
            "assistant",
            [{"type": "tool_use", "id": "toolu_SC", "name": "Bash", "input": {}}],
            "sm",
            isSidechain=True,
            agentId="ag1",
        ),
        cc_line("a3", "u", "assistant", [{"type": "text", "text": "x"}], "m3"),
    ]
    data = render_records(lines)
    assert codes(analyze(data)) == [("H001", "toolu_SC")]
    out = normalize_bytes(data)
    assert codes(analyze(out)) == []
    assert normalize_bytes(out) == out
    new = next(r for r in lines_of(out) if r["uuid"] not in {"u", "s1", "a3"})
    assert new["isSidechain"] is True and new["agentId"] == "ag1"


def lines_of(data: bytes) -> list[dict]:
    return [json.loads(x) for x in data.splitlines() if x.strip()]


def test_removing_the_first_line_keeps_a_readable_jsonl() -> None:
    orphan = b'{"type":"tool_output","call_id":"gone","status":"success","content":"x"}'
    rest = render("native", clean_events())
    data = orphan + b"\n\n" + rest
    assert codes(analyze(data)) == [("H002", "gone")]
    out = normalize_bytes(data)
    assert codes(analyze(out)) == []
    assert codes(analyze(out, "native")) == []


@pytest.mark.parametrize("dialect", ALL_DIALECTS)
def test_pending_trailing_calls_are_left_alone(dialect: str) -> None:
    a, b = call_prefix(dialect) + "A", call_prefix(dialect) + "B"
    data = render(
        dialect,
        [("user", "go"), ("calls", [a]), ("assistant", "x"), ("user", "more"), ("calls", [b])],
    )
    options = Options(trailing_calls_pending=True)
    analysis = analyze(data, options=options)
    assert [(f.code, f.call_id, f.pending) for f in analysis.findings] == [
        ("H001", a, False),
        ("H001", b, True),
    ]
    out = apply_edits(data, normalize_edits(analysis, options))
    assert [(f.code, f.call_id) for f in analyze(out, options=options).findings] == [("H001", b)]


def test_claude_code_synthetic_result_follows_the_chain_not_the_file_order() -> None:
    lines = [
        cc_line("u", None, "user", "go"),
        cc_line(
            "a1",
            "u",
            "assistant",
            [{"type": "tool_use", "id": "toolu_P", "name": "Bash", "input": {}}],
            "m",
        ),
        cc_line(
            "rp", "a2", "user", [{"type": "tool_result", "tool_use_id": "toolu_P", "content": "ok"}]
        ),
        cc_line(
            "a2",
            "a1",
            "assistant",
            [{"type": "tool_use", "id": "toolu_J", "name": "Bash", "input": {}}],
            "m",
        ),
        cc_line("t", "rp", "assistant", [{"type": "text", "text": "x"}], "m2"),
    ]
    data = render_records(lines)
    assert codes(analyze(data)) == [("H001", "toolu_J")]
    out = normalize_bytes(data)
    assert codes(analyze(out)) == []
    _parents_resolve_without_loops(out)


def test_claude_code_inserted_line_with_a_repeated_uuid_relinks_one_line() -> None:
    # a fixture's trimmed uuids: every line carries the same one, so links are ambiguous
    # and only the line right after the insertion may hang off the new line
    same = "[trimmed]"
    lines = [
        cc_line(same, None, "user", "go"),
        cc_line(same, same, "assistant", _USE_S, "m1"),
        cc_line(same, same, "assistant", [{"type": "text", "text": "x"}], "m2"),
        cc_line(same, same, "user", "more"),
        cc_line(same, same, "assistant", [{"type": "text", "text": "y"}], "m3"),
    ]
    data = render_records(lines)
    assert codes(analyze(data)) == [("H001", "toolu_S")]
    out = normalize_bytes(data)
    after = lines_of(out)
    assert len(after) == len(lines) + 1
    new = after[2]
    assert new["parentUuid"] == same and new["uuid"] != same
    assert after[3]["parentUuid"] == new["uuid"]
    assert [r["parentUuid"] for r in after[4:]] == [same, same]
    assert out.count(b'"parentUuid":"[trimmed]"') == data.count(b'"parentUuid":"[trimmed]"')
