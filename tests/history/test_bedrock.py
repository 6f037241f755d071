"""Bedrock Converse request bodies: told from Anthropic and Chat bodies under the same
`messages` key, toolUse/toolResult paired by id within the next user message, Bedrock's
error texts, and repairs that put an error toolResult (never empty) first in that message."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from context_ls.history.api import analyze, call_details, normalize_bytes, output_details, quick_fix
from context_ls.history.dialects import DIALECTS
from context_ls.history.model import apply_edits

from ._gen import (
    ALL_DIALECTS,
    broken_events,
    call_prefix,
    clean_events,
    codes,
    dumps,
    records_of,
    render,
)
from ._gen_bedrock import bedrock_messages, render_bedrock
from ._gen_gemini_api import contents_of
from ._recorded import assert_healthy_bodies, needs_realdata
from ._repair_props import SETTINGS, check_no_crash, check_repair, check_trim, mangled


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": [{"text": text}]}


def uses(*ids: str) -> dict[str, Any]:
    blocks: list[Any] = [{"text": "Let me look."}]
    blocks += [{"toolUse": {"toolUseId": i, "name": "get", "input": {"q": i}}} for i in ids]
    return {"role": "assistant", "content": blocks}


def results(*ids: str, status: str = "success") -> dict[str, Any]:
    return {
        "role": "user",
        "content": [
            {"toolResult": {"toolUseId": i, "content": [{"text": f"r{i}"}], "status": status}}
            for i in ids
        ],
    }


def body(*messages: dict[str, Any]) -> bytes:
    return dumps({"messages": list(messages), "system": [{"text": "Be brief."}]})


# --- detection ------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["messages", "array"])
@pytest.mark.parametrize("pretty", [False, True])
def test_converse_bodies_are_read_as_bedrock(layout: str, pretty: bool) -> None:
    analysis = analyze(render_bedrock(clean_events("tooluse_"), layout, pretty=pretty))
    assert (analysis.history.dialect, analysis.findings) == ("bedrock-converse", [])
    assert len(analysis.history.calls) == 3 == len(analysis.history.outputs)


def test_a_first_text_message_is_bedrock_s_and_anthropic_or_chat_never_are() -> None:
    assert analyze(body(user("What is the capital of France?"))).history.dialect == (
        "bedrock-converse"
    )
    for dialect in ("anthropic", "openai-chat"):
        data = render(dialect, clean_events())
        assert analyze(data).history.dialect == dialect
    # An Anthropic body with typed text blocks is never Bedrock's.
    typed = {"messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]}
    assert analyze(dumps(typed)).history.dialect != "bedrock-converse"


@pytest.mark.parametrize(
    ("name", "records"),
    [
        ("bedrock-converse", bedrock_messages(clean_events("tooluse_"))),
        ("gemini-api", contents_of(clean_events())),
    ],
)
def test_their_records_carry_no_other_dialect_s_marks(name: str, records: list[Any]) -> None:
    for record in records:
        marked = [d.name for d in DIALECTS.values() if d.sniff(record) >= 2]
        assert marked in ([], [name]), record
    assert any(DIALECTS[name].sniff(record) >= 2 for record in records)


@pytest.mark.parametrize("dialect", ALL_DIALECTS)
def test_other_dialects_records_carry_none_of_their_marks(dialect: str) -> None:
    for record in records_of(dialect, clean_events(call_prefix(dialect))):
        for name in ("bedrock-converse", "gemini-api"):
            assert DIALECTS[name].sniff(record) < 2, (name, record)


# --- pairing and Bedrock's texts ------------------------------------------------------------


def test_each_fault_is_reported_with_bedrock_s_text() -> None:
    data = body(
        user("go"),
        uses("a", "b"),
        results("a", "a"),
        user("and?"),
        results("b", "zz"),
        uses("c"),
        user("hello?"),
    )
    analysis = analyze(data)
    assert sorted(codes(analysis)) == [("H001", "c"), ("H002", "zz"), ("H004", "a"), ("H006", "b")]
    by_code = {f.code: f for f in analysis.findings}
    # messages.N counts the body's messages from 0: the message after the call's.
    assert "Expected toolResult blocks at messages.6.content for the following Ids: c" in (
        by_code["H001"].message
    )
    assert "exceeds the number of toolUse blocks of previous turn" in by_code["H002"].message
    assert "Expected toolResult blocks at messages." in by_code["H006"].message


def test_a_result_in_a_later_message_is_not_adjacent() -> None:
    assert sorted(codes(analyze(body(user("go"), uses("a"), user("x"), results("a"))))) == [
        ("H006", "a")
    ]


# --- repairs ----------------------------------------------------------------------------------


def test_an_error_result_with_content_goes_first_in_the_next_user_message() -> None:
    data = body(user("go"), uses("a", "b"), {"role": "user", "content": [{"text": "well?"}]})
    out = normalize_bytes(data)
    messages = json.loads(out)["messages"]
    text = "Tool execution was interrupted. Output was not received."
    error = [
        {"toolResult": {"toolUseId": i, "content": [{"text": text}], "status": "error"}}
        for i in ("a", "b")
    ]
    assert messages[2]["content"] == [*error, {"text": "well?"}]
    assert codes(analyze(out)) == []


def test_a_user_message_is_made_when_none_follows() -> None:
    out = normalize_bytes(body(user("go"), uses("a"), {"role": "assistant", "content": []}))
    messages = json.loads(out)["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant"]
    assert messages[2]["content"][0]["toolResult"]["status"] == "error"
    assert json.loads(out)["system"] == [{"text": "Be brief."}]


def test_a_late_result_moves_into_the_message_after_its_call() -> None:
    data = body(user("go"), uses("a", "b"), results("a"), user("x"), results("b"), user("y"))
    out = normalize_bytes(data)
    messages = json.loads(out)["messages"]
    assert [b["toolResult"]["toolUseId"] for b in messages[2]["content"]] == ["b", "a"]
    assert codes(analyze(out)) == []


def test_results_after_text_are_h011_and_move_to_the_front() -> None:
    late = {"role": "user", "content": [{"text": "here you go"}, *results("a")["content"]]}
    data = body(user("go"), uses("a"), late)
    (finding,) = analyze(data).findings
    assert (finding.code, finding.call_id, finding.fixable) == ("H011", "a", True)
    out = normalize_bytes(data)
    assert json.loads(out)["messages"][2]["content"] == [
        *results("a")["content"],
        late["content"][0],
    ]
    assert codes(analyze(out)) == []


def test_blank_text_is_h012_with_bedrock_s_text_and_kept_beside_reasoning() -> None:
    blank = {"role": "assistant", "content": [{"text": "  "}, *uses("a")["content"][1:]]}
    reasoning = {"reasoningContent": {"reasoningText": {"text": "hm", "signature": "c2ln"}}}
    latest = {"role": "assistant", "content": [reasoning, {"text": ""}]}
    data = body(user("go"), blank, results("a"), latest)
    findings = analyze(data).findings
    assert [(f.code, f.fixable) for f in findings] == [("H012", True), ("H012", False)]
    assert all("The text field in the ContentBlock object" in f.message for f in findings)
    out = normalize_bytes(data)
    messages = json.loads(out)["messages"]
    assert messages[1]["content"] == uses("a")["content"][1:]
    assert messages[3] == latest  # the latest assistant message stays as it was
    assert [(f.code, f.fixable) for f in analyze(out).findings] == [("H012", False)]


def test_a_quick_fix_repairs_only_its_finding() -> None:
    data = body(user("go"), uses("a"), user("x"), results("zz"), user("y"))
    analysis = analyze(data)
    h001 = next(f for f in analysis.findings if f.code == "H001")
    title, edits = quick_fix(analysis, h001)
    assert title == "Insert a synthetic output for a"
    assert codes(analyze(apply_edits(data, edits))) == [("H002", "zz")]


def test_hovers_show_the_input_and_the_result() -> None:
    analysis = analyze(body(user("go"), uses("a"), results("a", status="error")))
    (call,), (output,) = analysis.history.calls, analysis.history.outputs
    assert call_details(analysis, call).arguments_summary == '{"q":"a"}'
    shown = output_details(analysis, output)
    assert shown.first_line == "ra" and shown.is_error


# --- properties -------------------------------------------------------------------------------


@st.composite
def broken_bedrock(draw: st.DrawFn) -> bytes:
    events = [e for e in draw(broken_events("tooluse_")) if e[0] != "system"]
    return render_bedrock(
        events,
        draw(st.sampled_from(["messages", "array"])),
        pretty=draw(st.booleans()),
        crlf=draw(st.integers(0, 4)) == 0,
    )


@SETTINGS
@given(source=broken_bedrock(), keep=st.integers(0, 10))
def test_repairs_keep_their_promises(source: bytes, keep: int) -> None:
    repaired = check_repair(source, "bedrock-converse")
    check_trim(repaired, "bedrock-converse", keep)


@SETTINGS
@given(data=st.data())
def test_mangled_messages_never_raise(data: st.DataObject) -> None:
    events = [e for e in data.draw(broken_events("tooluse_")) if e[0] != "system"]
    records = data.draw(
        mangled(
            bedrock_messages(events),
            ["toolUseId", "role", "content", "toolUse", "toolResult", "status"],
        )
    )
    check_no_crash(dumps({"messages": records}, pretty=data.draw(st.booleans())))


# --- real request bodies -----------------------------------------------------------------------


@needs_realdata
def test_the_recorded_bedrock_bodies_are_healthy_bedrock_histories() -> None:
    bodies = assert_healthy_bodies("test_bedrock_model_retry.yaml", "bedrock-converse")
    assert len(bodies) == 2
    assert [o.status for o in analyze(json.dumps(bodies[-1]).encode()).history.outputs] == ["error"]


def test_an_error_result_without_content_is_h013_without_a_fix() -> None:
    """Bedrock refuses an error toolResult whose content is empty; an empty one that is not
    an error, and an error one with content, are accepted."""
    import json

    from context_ls.history.api import analyze, normalize_bytes

    def body(result: dict[str, object]) -> bytes:
        use = {"toolUse": {"toolUseId": "t2", "name": "f", "input": {}}}
        messages = [
            {"role": "user", "content": [{"text": "go"}]},
            {"role": "assistant", "content": [use]},
            {"role": "user", "content": [{"toolResult": {"toolUseId": "t2", **result}}]},
        ]
        return json.dumps({"messages": messages}, indent=2).encode()

    data = body({"content": [], "status": "error"})
    (finding,) = analyze(data).findings
    assert (finding.code, finding.call_id, finding.fixable) == ("H013", "t2", False)
    assert "messages.N.content.0.toolResult cannot be empty" in finding.message
    assert json.loads(data[finding.span.start : finding.span.end])["toolResult"]["content"] == []
    assert normalize_bytes(data) == data  # reported, never guessed at
    assert analyze(body({"content": [], "status": "success"})).findings == []
    assert analyze(body({"content": [{"text": "no"}], "status": "error"})).findings == []
