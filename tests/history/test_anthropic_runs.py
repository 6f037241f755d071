"""Anthropic: the API combines consecutive messages of one role into one turn, so a run of
them is judged as one message (no false H006), and every repair puts results after the
whole run of the call's assistant messages, never between them. Bedrock Converse refuses
such runs instead ("A conversation must alternate between user and assistant roles"):
there the old, per-message judgement stays."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from context_ls.history.api import analyze, normalize_bytes

from ._gen import broken_events, clean_events, codes, records_of
from ._gen_blocks import THINK, conversations, doc, result, text, thinking_bytes, use
from ._repair_props import SETTINGS

SYNTHETIC = "Tool execution was interrupted. Output was not received."
GO = {"role": "user", "content": [text("go")]}


def user(*blocks: Any) -> dict[str, Any]:
    return {"role": "user", "content": list(blocks)}


def assistant(*blocks: Any) -> dict[str, Any]:
    return {"role": "assistant", "content": list(blocks)}


def synthetic(call_id: str) -> dict[str, Any]:
    return {"type": "tool_result", "tool_use_id": call_id, "content": SYNTHETIC, "is_error": True}


def messages_of(data: bytes) -> list[Any]:
    value: list[Any] = json.loads(data.decode("utf-8-sig"))["messages"]
    return value


def repaired(messages: list[Any]) -> list[Any]:
    """The messages after normalize, which must then be clean and stay as they are."""
    out = normalize_bytes(doc(messages, indent=2))
    assert [f for f in analyze(out).findings if f.fixable] == []
    assert normalize_bytes(out) == out
    return messages_of(out)


# --- valid shapes (A and B: the reviewer's) -----------------------------------------------------


VALID: dict[str, list[Any]] = {
    # A: the API combines the two user messages into the turn right after the calls
    "results over consecutive user messages": [
        GO,
        assistant(use("toolu_A"), use("toolu_B")),
        user(result("toolu_A")),
        user(result("toolu_B")),
        assistant(text("done")),
    ],
    # B: one assistant turn of two messages, its results in the user message after both
    "calls over consecutive assistant messages": [
        GO,
        assistant(text("Looking."), use("toolu_A")),
        assistant(use("toolu_B")),
        user(result("toolu_A"), result("toolu_B")),
    ],
    "a run of user messages at the start": [
        user(text("Here is the task.")),
        user(text("And the files.")),
        assistant(use("toolu_A")),
        user(result("toolu_A")),
    ],
    "a run of results, then text": [
        GO,
        assistant(use("toolu_A"), use("toolu_B")),
        user(result("toolu_A")),
        user(result("toolu_B"), text("Both ran.")),
        user(text("Go on.")),
        assistant(text("ok")),
    ],
}


@pytest.mark.parametrize("shape", sorted(VALID))
def test_a_run_of_one_role_is_one_turn(shape: str) -> None:
    data = doc(VALID[shape], indent=2)
    assert codes(analyze(data)) == []
    assert normalize_bytes(data) == data


# --- more shapes --------------------------------------------------------------------------------


def test_a_result_after_text_in_a_run_is_reported_and_goes_first() -> None:
    # combined, the turn would read [A, text, B]: the API wants every result first
    messages = [
        GO,
        assistant(use("toolu_A"), use("toolu_B")),
        user(result("toolu_A"), text("One done.")),
        user(result("toolu_B")),
    ]
    assert codes(analyze(doc(messages))) == [("H006", "toolu_B")]
    got = repaired(messages)
    assert got[:2] == messages[:2]
    blocks = [b for m in got[2:] for b in m["content"]]
    assert all(m["role"] == "user" for m in got[2:])
    assert [b["type"] for b in blocks] == ["tool_result", "tool_result", "text"]


def test_text_before_a_result_in_a_run_is_reported_and_the_result_goes_first() -> None:
    messages = [GO, assistant(use("toolu_A")), user(text("wait")), user(result("toolu_A"))]
    assert codes(analyze(doc(messages))) == [("H006", "toolu_A")]
    assert repaired(messages) == [GO, messages[1], messages[3], messages[2]]


def test_a_missing_result_inside_a_run_goes_into_the_reply_after_the_run() -> None:
    # H001 for the call of the run's first message: its result joins the reply, first
    messages = [
        GO,
        assistant(use("toolu_A")),
        assistant(text("And one more."), use("toolu_B")),
        user(result("toolu_B")),
        assistant(text("ok")),
    ]
    assert codes(analyze(doc(messages))) == [("H001", "toolu_A")]
    got = repaired(messages)
    assert got[:3] == messages[:3]  # the assistant run stays whole
    assert got[3] == user(synthetic("toolu_A"), result("toolu_B"))
    assert got[4:] == messages[4:]


def test_a_run_at_the_end_gets_one_new_reply_after_it() -> None:
    messages = [
        GO,
        assistant(use("toolu_A")),
        assistant(use("toolu_B")),
        assistant(text("Waiting.")),
    ]
    assert codes(analyze(doc(messages))) == [("H001", "toolu_A"), ("H001", "toolu_B")]
    got = repaired(messages)
    assert got == [*messages, user(synthetic("toolu_A"), synthetic("toolu_B"))]


def test_a_late_result_after_a_run_moves_into_the_reply_after_the_run() -> None:
    messages = [
        GO,
        assistant(use("toolu_A")),
        assistant(use("toolu_B")),
        user(result("toolu_B")),
        assistant(text("x")),
        user(result("toolu_A")),
        user(text("next")),
    ]
    assert codes(analyze(doc(messages))) == [("H006", "toolu_A")]
    got = repaired(messages)
    assert got[:3] == messages[:3]
    assert got[3] == user(result("toolu_A"), result("toolu_B"))
    assert got[4:] == [messages[4], messages[6]]


def test_a_late_result_message_moves_whole_after_the_run() -> None:
    messages = [
        GO,
        assistant(use("toolu_A")),
        assistant(text("Hm.")),
        user(text("meanwhile")),
        assistant(text("x")),
        {"role": "user", "content": [result("toolu_A")], "x-note": "kept"},
    ]
    assert codes(analyze(doc(messages))) == [("H006", "toolu_A")]
    got = repaired(messages)
    assert got == [GO, messages[1], messages[2], messages[5], *messages[3:5]]


def test_the_thinking_of_the_latest_assistant_run_is_kept() -> None:
    latest = [assistant(THINK, text("Two."), use("toolu_A")), assistant(use("toolu_B"))]
    messages = [GO, *latest, user(result("toolu_B"))]
    data = doc(messages)
    assert codes(analyze(data)) == [("H001", "toolu_A")]
    out = normalize_bytes(data)
    assert thinking_bytes(out) == thinking_bytes(data) != []
    got = messages_of(out)
    assert got[1:3] == latest
    assert got[3] == user(synthetic("toolu_A"), result("toolu_B"))


def test_a_blank_reply_after_a_run_gets_the_result_and_loses_its_blank_text() -> None:
    messages = [GO, assistant(use("toolu_A")), assistant(text("More.")), user(text(" "))]
    assert repaired(messages)[3] == user(synthetic("toolu_A"))


def test_bedrock_still_judges_each_message_alone() -> None:
    # Bedrock Converse refuses consecutive messages of one role: no combining there
    def tr(call_id: str) -> dict[str, Any]:
        return {"toolResult": {"toolUseId": call_id, "content": [{"text": "ok"}]}}

    messages = [
        {"role": "user", "content": [{"text": "go"}]},
        {
            "role": "assistant",
            "content": [
                {"toolUse": {"toolUseId": "t1", "name": "get", "input": {}}},
                {"toolUse": {"toolUseId": "t2", "name": "get", "input": {}}},
            ],
        },
        {"role": "user", "content": [tr("t1")]},
        {"role": "user", "content": [tr("t2")]},
    ]
    analysis = analyze(doc(messages))
    assert analysis.history.dialect == "bedrock-converse"
    assert codes(analysis) == [("H006", "t2")]


def test_a_bedrock_repair_does_not_put_two_user_messages_in_a_row() -> None:
    # the late result joins the user message after its call instead of going before it
    def t(value: str) -> dict[str, Any]:
        return {"text": value}

    call = {"toolUse": {"toolUseId": "t1", "name": "get", "input": {}}}
    late = {"toolResult": {"toolUseId": "t1", "content": [t("ok")]}}
    messages = [
        {"role": "user", "content": [t("go")]},
        {"role": "assistant", "content": [call]},
        {"role": "user", "content": [t("meanwhile")]},
        {"role": "assistant", "content": [t("x")]},
        {"role": "user", "content": [late]},
    ]
    data = doc(messages)
    assert codes(analyze(data)) == [("H006", "t1")]
    out = normalize_bytes(data)
    assert codes(analyze(out)) == []
    got = messages_of(out)
    assert [m["role"] for m in got] == ["user", "assistant", "user", "assistant"]
    assert got[2]["content"] == [late, t("meanwhile")]


# --- properties --------------------------------------------------------------------------------


@st.composite
def split_runs(draw: st.DrawFn, messages: list[Any]) -> list[Any]:
    """`messages` with some of them split in two consecutive messages of their role."""
    out: list[Any] = []
    for message in messages:
        content = message.get("content")
        if isinstance(content, list) and len(content) > 1 and draw(st.booleans()):
            at = draw(st.integers(1, len(content) - 1))
            out += [{**message, "content": content[:at]}, {**message, "content": content[at:]}]
        else:
            out.append(message)
    return out


@st.composite
def healthy_split(draw: st.DrawFn) -> tuple[list[Any], list[Any]]:
    batches = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    messages = records_of("anthropic", clean_events("toolu_", batches))
    return messages, draw(split_runs(messages))


@SETTINGS
@given(healthy_split())
def test_splitting_messages_of_a_healthy_history_adds_no_finding(
    drawn: tuple[list[Any], list[Any]],
) -> None:
    messages, split = drawn
    assert codes(analyze(doc(messages))) == []
    assert codes(analyze(doc(split))) == []


def _runs(messages: list[Any], role: str) -> list[list[Any]]:
    """The runs of consecutive messages of `role`."""
    runs: list[list[Any]] = []
    previous = None
    for message in messages:
        if message["role"] == role:
            if previous == role:
                runs[-1].append(message)
            else:
                runs.append([message])
        previous = message["role"]
    return runs


def _contains(whole: list[Any], part: list[Any]) -> bool:
    return any(whole[n : n + len(part)] == part for n in range(len(whole) - len(part) + 1))


@st.composite
def broken_split(draw: st.DrawFn) -> list[Any]:
    messages = records_of("anthropic", draw(broken_events("toolu_")))
    return draw(split_runs(messages))


@SETTINGS
@given(broken_split())
def test_normalize_on_runs_is_idempotent_adds_no_finding_and_keeps_runs_whole(
    messages: list[Any],
) -> None:
    data = doc(messages, indent=2)
    before = analyze(data)
    assert before.history.dialect == "anthropic"
    out = normalize_bytes(data)
    after = analyze(out)
    assert [f for f in after.findings if f.fixable] == [], codes(before)
    assert not Counter(c for c, _ in codes(after)) - Counter(c for c, _ in codes(before))
    assert normalize_bytes(out) == out
    got = messages_of(out)
    # A run of assistant messages is never split by a repair (no repair edits them here).
    for run in _runs(messages, "assistant"):
        assert _contains(got, run), (run, got)


@st.composite
def thinking_split(draw: st.DrawFn) -> list[Any]:
    """Conversations with thinking, blank text and text before results, split in runs."""
    return draw(split_runs(draw(conversations())))


@SETTINGS
@given(thinking_split())
def test_normalize_on_runs_with_thinking_and_text_leaves_nothing_fixable(
    messages: list[Any],
) -> None:
    data = doc(messages)
    before = analyze(data)
    out = normalize_bytes(data)
    after = analyze(out)
    assert [f for f in after.findings if f.fixable] == [], (codes(before), codes(after))
    assert not Counter(c for c, _ in codes(after)) - Counter(c for c, _ in codes(before))
    assert normalize_bytes(out) == out
