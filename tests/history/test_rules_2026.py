"""H011 results-not-first and H012 empty-text (Anthropic, Claude Code), and Gemini's call
turn (H006): what is found, what is not, and what the fixes write, byte for byte."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from context_ls.history.api import analyze, normalize_bytes
from context_ls.history.rules import THINKING_KEPT

from ._checks import without_parent
from ._gen_blocks import (
    THINK,
    as_claude_code,
    conversations,
    doc,
    jsonl,
    result,
    text,
    thinking_bytes,
    use,
)
from ._gen_claude import cc_line


def found(data: bytes) -> list[tuple[str, str | None, bool]]:
    return [(f.code, f.call_id, f.fixable) for f in analyze(data).findings]


def contents(data: bytes) -> list[Any]:
    return [m["content"] for m in json.loads(data)["messages"]]


ASK = {"role": "assistant", "content": [THINK, use("toolu_A"), use("toolu_B")]}
GO = {"role": "user", "content": "go"}
DONE = {"role": "assistant", "content": [text("Done.")]}
# A first exchange with tool blocks: text-only messages would read as Chat Completions.
OPENING = [GO, ASK, {"role": "user", "content": [result("toolu_A"), result("toolu_B")]}]


# --- H011 results-not-first ---------------------------------------------------------------


@pytest.mark.parametrize("indent", [None, 2])
def test_h011_text_before_the_results_is_found_and_moved_behind_them(indent: int | None) -> None:
    reply = [text("Here you go:"), result("toolu_A"), result("toolu_B")]
    messages = [GO, ASK, {"role": "user", "content": reply}, DONE]
    data = doc(messages, indent)
    [finding] = analyze(data).findings
    assert (finding.code, finding.call_id, finding.fixable) == ("H011", "toolu_A", True)
    assert "comes after 1 other block" in finding.message
    assert "`tool_use` ids were found without `tool_result` blocks immediately after" in (
        finding.message
    )
    assert data[finding.span.start : finding.span.end] == b'"toolu_A"'
    out = normalize_bytes(data)
    # the results first, in their order, then the text: the separators are the file's own
    fixed = [GO, ASK, {"role": "user", "content": [reply[1], reply[2], reply[0]]}, DONE]
    assert out == doc(fixed, indent)
    assert found(out) == []
    assert normalize_bytes(out) == out


def test_h011_results_spread_among_other_blocks() -> None:
    reply = [result("toolu_A"), text("and"), result("toolu_B", "two"), text("end")]
    data = doc([GO, ASK, {"role": "user", "content": reply}, DONE])
    assert found(data) == [("H011", "toolu_B", True)]
    out = normalize_bytes(data)
    assert contents(out)[2] == [reply[0], reply[2], reply[1], reply[3]]


@pytest.mark.parametrize(
    "reply",
    [
        [result("toolu_A"), result("toolu_B")],
        [result("toolu_A"), result("toolu_B"), text("Both ran.")],
    ],
)
def test_h011_not_when_the_results_lead(reply: list[Any]) -> None:
    assert found(doc([GO, ASK, {"role": "user", "content": reply}, DONE])) == []


def test_h011_and_h012_in_one_message_are_fixed_together() -> None:
    reply = [text(""), result("toolu_A"), result("toolu_B")]
    data = doc([GO, ASK, {"role": "user", "content": reply}, DONE])
    assert sorted(found(data)) == [("H011", "toolu_A", True), ("H012", None, True)]
    out = normalize_bytes(data)
    assert contents(out)[2] == reply[1:]
    assert found(out) == []


def test_h011_with_a_synthetic_result_puts_every_result_first() -> None:
    reply = [text("partial"), result("toolu_A")]
    data = doc([GO, ASK, {"role": "user", "content": reply}, DONE])
    assert sorted(found(data)) == [("H001", "toolu_B", True), ("H011", "toolu_A", True)]
    out = normalize_bytes(data)
    blocks = contents(out)[2]
    assert [b["type"] for b in blocks] == ["tool_result", "tool_result", "text"]
    assert {b.get("tool_use_id") for b in blocks[:2]} == {"toolu_A", "toolu_B"}
    assert found(out) == []


def test_h011_claude_code_line_is_fixed_inside_message_content() -> None:
    lines = [
        cc_line("u1", None, "user", "go", timestamp="2026-01-01T00:00:01Z"),
        cc_line("a1", "u1", "assistant", [use("toolu_A")], "msg_1"),
        cc_line(
            "r1",
            "a1",
            "user",
            [text("Ran it:"), result("toolu_A")],
            toolUseResult={"stdout": "ok", "stderr": "", "interrupted": False},
            sourceToolAssistantUUID="a1",
        ),
        cc_line("a2", "r1", "assistant", [text("Done.")], "msg_2"),
    ]
    data = jsonl(lines)
    assert found(data) == [("H011", "toolu_A", True)]
    out = normalize_bytes(data)
    before, after = data.split(b"\n"), out.split(b"\n")
    assert [n for n, (x, y) in enumerate(zip(before, after, strict=True)) if x != y] == [2]
    old, new = json.loads(before[2]), json.loads(after[2])
    assert new["message"]["content"] == old["message"]["content"][::-1]
    new["message"]["content"] = old["message"]["content"]
    assert new == old  # uuid, parentUuid, toolUseResult and every other field kept
    assert found(out) == []


# --- H012 empty-text ------------------------------------------------------------------------


@pytest.mark.parametrize("where", [0, 1, 2])
def test_h012_an_empty_block_is_removed_wherever_it_stands(where: int) -> None:
    blocks = [text("one"), text("two")]
    blocks.insert(where, text(""))
    data = doc([*OPENING, {"role": "assistant", "content": blocks}, GO], None)
    [finding] = analyze(data).findings
    assert (finding.code, finding.fixable) == ("H012", True)
    assert finding.message == (
        f"the text block at content[{where}] is empty; the API will answer: "
        '"messages: text content blocks must be non-empty"'
    )
    assert data[finding.span.start : finding.span.end] == b'{"type": "text", "text": ""}'
    out = normalize_bytes(data)
    assert contents(out)[3] == [text("one"), text("two")]  # valid JSON, commas right
    assert found(out) == []


def test_h012_white_space_beside_real_text_is_accepted() -> None:
    data = doc([*OPENING, {"role": "assistant", "content": [text("  "), text("Real.")]}, GO])
    assert found(data) == []


def test_h012_white_space_without_other_text_is_found() -> None:
    reply = [result("toolu_A"), result("toolu_B"), text(" \n ")]
    data = doc([GO, ASK, {"role": "user", "content": reply}, DONE])
    [finding] = analyze(data).findings
    assert (finding.code, finding.fixable) == ("H012", True)
    assert "holds only white space" in finding.message
    assert "must contain non-whitespace text" in finding.message
    assert contents(normalize_bytes(data))[2] == reply[:2]


@pytest.mark.parametrize("content", [[text("   ")], [text(" "), text("")], "  \n"])
def test_h012_a_message_with_nothing_else_is_reported_without_a_fix(content: Any) -> None:
    data = doc([*OPENING, DONE, {"role": "user", "content": content}])
    findings = analyze(data).findings
    assert findings and all(f.code == "H012" and not f.fixable for f in findings)
    assert all("only content; no automatic fix" in f.message for f in findings)
    assert normalize_bytes(data) == data


def test_h012_claude_code_user_line_is_fixed_assistant_blank_line_is_left() -> None:
    lines = [
        cc_line("u1", None, "user", "go"),
        # Claude Code 2.1 writes this itself as a streamed answer's first line, and leaves
        # it out when it sends the conversation again: no finding.
        cc_line("a0", "u1", "assistant", [text("\n\n")], "msg_1"),
        cc_line("a1", "a0", "assistant", [use("toolu_A")], "msg_1"),
        cc_line("r1", "a1", "user", [result("toolu_A"), text(" ")]),
        cc_line("a2", "r1", "assistant", [text("Done.")], "msg_2"),
    ]
    data = jsonl(lines)
    assert found(data) == [("H012", None, True)]
    out = normalize_bytes(data)
    assert json.loads(out.split(b"\n")[3])["message"]["content"] == [result("toolu_A")]
    assert found(out) == []


def test_h012_beside_thinking_in_the_latest_assistant_message_is_not_fixed() -> None:
    latest = {"role": "assistant", "content": [THINK, text(""), text("Answer.")]}
    data = doc([GO, latest])
    [finding] = analyze(data).findings
    assert finding.code == "H012" and not finding.fixable
    assert finding.message.endswith(THINKING_KEPT)
    assert normalize_bytes(data) == data
    # the same message once it is no longer the latest: the thinking blocks may go, so
    # the blank block can
    later = doc([GO, latest, GO, DONE])
    assert found(later) == [("H012", None, True)]


# --- Gemini: a turn of calls right after a user turn or a function response turn ----------


def _gemini(*turns: tuple[str, list[Any]]) -> bytes:
    contents_ = [{"role": role, "parts": parts} for role, parts in turns]
    return json.dumps({"contents": contents_}, indent=1).encode()


def _fcall(call_id: str) -> dict[str, Any]:
    return {"functionCall": {"id": call_id, "name": "ls", "args": {}}}


def _fresp(call_id: str) -> dict[str, Any]:
    return {"functionResponse": {"id": call_id, "name": "ls", "response": {"ok": True}}}


def test_gemini_call_turn_after_a_model_turn_is_h006_without_a_fix() -> None:
    data = _gemini(
        ("user", [{"text": "go"}]),
        ("model", [{"text": "Let me look."}]),
        ("model", [_fcall("c1")]),
        ("user", [_fresp("c1")]),
        ("model", [_fcall("c2")]),  # after a function response turn: fine
        ("user", [_fresp("c2")]),
        ("model", [{"text": "Done."}]),
    )
    analysis = analyze(data)
    assert analysis.history.dialect == "gemini-api"
    [finding] = analysis.findings
    assert (finding.code, finding.call_id, finding.fixable) == ("H006", "c1", False)
    assert "comes after a model turn (line 11)" in finding.message
    assert finding.message.endswith(
        '"Please ensure that function call turn comes immediately after a user turn or '
        'after a function response turn."'
    )
    assert normalize_bytes(data) == data


def test_gemini_call_turn_first_in_the_history() -> None:
    data = _gemini(("model", [_fcall("c1")]), ("user", [_fresp("c1")]))
    assert found(data) == [("H006", "c1", False)]
    assert "comes first in the history" in analyze(data).findings[0].message


def test_dialects_without_the_answer_do_not_judge_call_turns() -> None:
    messages = [GO, DONE, {"role": "assistant", "content": [use("toolu_A")]}]
    messages.append({"role": "user", "content": [result("toolu_A")]})
    assert found(doc(messages)) == []


# --- properties over generated conversations ------------------------------------------------


def _untouched(data: bytes) -> list[bytes]:
    """Records no finding points at, nor a reply that gets a synthetic or moved result."""
    analysis = analyze(data)
    history = analysis.history
    touched = {f.item for f in analysis.findings}
    for f in analysis.findings:
        if f.code in ("H001", "H005", "H006") and f.call is not None:
            touched.update(range(f.call.item, f.call.item + 2))
    return [data[i.span.start : i.span.end] for i in history.items if i.index not in touched]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conversations(), st.booleans())
def test_normalize_repairs_h011_h012_and_keeps_the_rest(messages: Any, claude: bool) -> None:
    data = as_claude_code(messages) if claude else doc(messages)
    before = analyze(data)
    assert before.history.dialect == ("claude-code" if claude else "anthropic")
    out = normalize_bytes(data)
    after = analyze(out)
    # H011 is gone; an H012 left is one reported without a fix, as it was before
    assert "H011" not in {f.code for f in after.findings}
    assert all(not f.fixable for f in after.findings if f.code == "H012")
    left = sorted(f.message for f in after.findings if f.code == "H012")
    assert left == sorted(f.message for f in before.findings if f.code == "H012" and not f.fixable)
    assert {f.code for f in after.findings} <= {"H012"}
    assert normalize_bytes(out) == out  # idempotent
    assert thinking_bytes(out) == thinking_bytes(data)  # never a thinking block's bytes
    relaxed = without_parent(out) if claude else out
    for raw in _untouched(data):
        assert (without_parent(raw) if claude else raw) in relaxed


@pytest.mark.parametrize("content", [[text(" ")], "  "])
def test_h012_a_blank_reply_that_gets_a_synthetic_result_loses_its_blank(content: Any) -> None:
    data = doc(
        [
            *OPENING,
            {"role": "assistant", "content": [use("toolu_C")]},
            {"role": "user", "content": content},
        ]
    )
    assert sorted(found(data)) == [("H001", "toolu_C", True), ("H012", None, True)]
    out = normalize_bytes(data)
    assert [b["type"] for b in contents(out)[4]] == ["tool_result"]
    assert found(out) == []
