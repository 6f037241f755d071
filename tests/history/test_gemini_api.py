"""Gemini API `contents` (request bodies, `/chat save` checkpoints): detection, pairing by id
or else by name and rank, Gemini's error texts, and repairs that add an error response at
the end of the next user turn and keep every call part (and its thoughtSignature) intact."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from context_ls.history.analyzer import Analyzer
from context_ls.history.api import analyze, call_details, normalize_bytes, output_details, quick_fix
from context_ls.history.blocks import find_content
from context_ls.history.dialects.gemini_api import COUNT_ERROR, MISPLACED_CALL_TURN
from context_ls.history.model import apply_edits

from ._gen import Event, broken_events, clean_events, codes, dumps
from ._gen_gemini_api import ID_STYLES, SIGNATURE, contents_of, render_gemini_api
from ._recorded import assert_healthy_bodies, needs_realdata
from ._repair_props import SETTINGS, check_no_crash, check_repair, check_trim, mangled


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "parts": [{"text": text}]}


def model_calls(*calls: dict[str, Any]) -> dict[str, Any]:
    return {
        "role": "model",
        "parts": [{"functionCall": c, "thoughtSignature": SIGNATURE} for c in calls],
    }


def responses(*answers: dict[str, Any]) -> dict[str, Any]:
    return {"role": "user", "parts": [{"functionResponse": a} for a in answers]}


def body(*contents: dict[str, Any], pretty: bool = True) -> bytes:
    return dumps({"contents": list(contents), "tools": []}, pretty)


def found(data: bytes) -> list[tuple[str, str | None]]:
    return codes(analyze(data))


# --- detection --------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["contents", "history", "array"])
def test_contents_are_read_as_gemini_api(layout: str) -> None:
    data = render_gemini_api(clean_events(), layout=layout)
    analysis = analyze(data)
    assert analysis.history.dialect == "gemini-api"
    assert analysis.findings == []
    assert len(analysis.history.calls) == 3 == len(analysis.history.outputs)


def test_a_first_user_turn_under_contents_is_gemini_and_plain_json_is_not() -> None:
    assert analyze(body(user("What is the capital of France?"))).history.dialect == "gemini-api"
    # Under another key, or a bare array, one user turn says nothing about its dialect.
    assert analyze(dumps({"items": [user("hi")]})).history.dialect is None
    assert analyze(dumps({"contents": [{"name": "x"}]})).history.dialect is None


def test_anthropic_and_chat_bodies_are_never_gemini_nor_the_reverse() -> None:
    anthropic = {
        "messages": [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "t", "name": "a"}]},
        ]
    }
    chat = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "x"}]}
    assert analyze(dumps(anthropic)).history.dialect == "anthropic"
    assert analyze(dumps(chat)).history.dialect == "openai-chat"
    gemini = render_gemini_api(clean_events(), layout="array")
    assert analyze(gemini).history.dialect == "gemini-api"
    # Gemini's contents under `messages` are still Gemini's (their parts say so).
    assert analyze(dumps({"messages": contents_of(clean_events())})).history.dialect == (
        "gemini-api"
    )


# --- pairing --------------------------------------------------------------------------


def test_parts_without_ids_pair_by_name_and_rank_and_never_clash_across_turns() -> None:
    events: list[Event] = [("user", "go")]
    for turn in range(6):  # the same names in every turn, no ids anywhere
        ids = [f"c{turn}a", f"c{turn}b", f"c{turn}c"]
        events += [("calls", ids), ("outputs", ids)]
    data = render_gemini_api(events, ids=False)
    analysis = analyze(data)
    assert analysis.findings == []
    made_up = {c.call_id for c in analysis.history.calls}
    assert len(made_up) == 18
    assert {o.call_id for o in analysis.history.outputs} == made_up


def test_a_response_without_an_id_answers_a_call_with_one_by_name() -> None:
    data = body(
        user("go"),
        model_calls({"id": "a1", "name": "f", "args": {}}, {"name": "f", "args": {}}),
        responses({"name": "f", "response": {}}, {"name": "f", "response": {}}),
    )
    analysis = analyze(data)
    assert analysis.findings == []
    assert [o.call_id for o in analysis.history.outputs] == ["a1", "turn 1, part 1"]


def test_a_function_role_turn_of_older_sdks_holds_responses() -> None:
    legacy = {**responses({"name": "f", "response": {"v": 1}}), "role": "function"}
    data = body(
        user("go"), model_calls({"name": "f", "args": {}}, {"name": "g", "args": {}}), legacy
    )
    assert analyze(data).history.dialect == "gemini-api"
    assert found(data) == [("H001", "turn 1, part 1")]
    out = normalize_bytes(data)
    contents = json.loads(out)["contents"]
    assert [c["role"] for c in contents] == ["user", "model", "function"]
    assert [p["functionResponse"]["name"] for p in contents[2]["parts"]] == ["f", "g"]
    assert found(out) == []


def test_ids_pair_whatever_the_order() -> None:
    data = body(
        user("go"),
        model_calls({"id": "a", "name": "f", "args": {}}, {"id": "b", "name": "f", "args": {}}),
        responses(
            {"id": "b", "name": "f", "response": {}}, {"id": "a", "name": "f", "response": {}}
        ),
    )
    assert found(data) == []


def test_a_jsonl_of_contents_edited_in_place_reads_as_a_full_read() -> None:
    """Made-up ids are settled from what the records say, so an edit re-read in place (the
    lines before and after it reused) pairs like a full read of the new text."""
    events: list[Event] = [("user", "go")]
    for turn in range(30):
        ids = [f"c{turn}a", f"c{turn}b"]
        events += [("calls", ids), ("outputs", ids), ("assistant", "ok")]
    lines = render_gemini_api(events, ids=False, layout="jsonl").split(b"\n")
    analyzer = Analyzer()
    assert analyzer.analyze(b"\n".join(lines)).findings == []
    answers = [n for n, line in enumerate(lines) if b"functionResponse" in line]
    turn = json.loads(lines[answers[10]])
    lines[answers[10]] = dumps({**turn, "parts": turn["parts"][:1]})  # one response gone
    lines.insert(3, lines[3])  # a call turn twice
    for text in (b"\n".join(lines[:3] + lines[4:]), b"\n".join(lines)):
        again, full = analyzer.analyze(text), analyze(text)
        assert codes(again) == codes(full) and codes(full)
        assert [c.call_id for c in again.history.calls] == [c.call_id for c in full.history.calls]
        assert [o.call_id for o in again.history.outputs] == [
            o.call_id for o in full.history.outputs
        ]


# --- findings quote Gemini ----------------------------------------------------------------


def test_each_fault_is_reported_with_gemini_s_text() -> None:
    data = body(
        user("go"),
        model_calls({"id": "a", "name": "f", "args": {}}, {"id": "b", "name": "g", "args": {}}),
        responses(
            {"id": "a", "name": "f", "response": {}}, {"id": "a", "name": "f", "response": {}}
        ),
        user("and?"),
        responses(
            {"id": "b", "name": "g", "response": {}}, {"id": "zz", "name": "h", "response": {}}
        ),
        user("done"),
    )
    analysis = analyze(data)
    assert sorted(codes(analysis)) == [("H002", "zz"), ("H004", "a"), ("H006", "b")]
    by_code = {f.code: f for f in analysis.findings}
    assert COUNT_ERROR in by_code["H002"].message
    assert COUNT_ERROR in by_code["H006"].message
    assert all(f.fixable for f in analysis.findings)


def test_a_call_without_a_response_is_h001_with_gemini_s_text() -> None:
    data = body(user("go"), model_calls({"name": "f", "args": {}}), user("hello?"))
    (finding,) = analyze(data).findings
    assert (finding.code, finding.call_id) == ("H001", "turn 1, part 0")
    assert COUNT_ERROR in finding.message and "(f)" in finding.message


# --- repairs ------------------------------------------------------------------------------


def test_an_error_response_goes_at_the_end_of_the_next_user_turn() -> None:
    calls = model_calls({"name": "f", "args": {}}, {"name": "f", "args": {"n": 2}})
    data = body(user("go"), calls, responses({"name": "f", "response": {"v": 1}}), user("x"))
    out = normalize_bytes(data)
    contents = json.loads(out)["contents"]
    assert contents[1] == calls  # the call turn, thoughtSignature and all, as it was
    assert contents[2]["parts"] == [
        {"functionResponse": {"name": "f", "response": {"v": 1}}},
        {
            "functionResponse": {
                "name": "f",
                "response": {"error": "Tool execution was interrupted. Output was not received."},
            }
        },
    ]
    assert found(out) == []


def test_a_new_user_turn_is_made_when_none_follows_and_ids_are_kept() -> None:
    data = body(
        user("go"),
        model_calls({"id": "x1", "name": "f", "args": {}}, {"id": "x2", "name": "g", "args": {}}),
        {"role": "model", "parts": [{"text": "hm"}]},
    )
    out = normalize_bytes(data)
    contents = json.loads(out)["contents"]
    assert [c["role"] for c in contents] == ["user", "model", "user", "model"]
    answered = [p["functionResponse"] for p in contents[2]["parts"]]
    assert [(r["id"], r["name"]) for r in answered] == [("x1", "f"), ("x2", "g")]
    assert all("error" in r["response"] for r in answered)
    assert found(out) == []


def test_orphans_go_and_a_misplaced_response_moves_after_its_call() -> None:
    sig_call = model_calls({"id": "b", "name": "g", "args": {}})
    data = body(
        user("go"),
        sig_call,
        user("and?"),
        responses({"id": "b", "name": "g", "response": {"ok": 1}}),
        responses({"name": "nobody", "response": {}}),
        user("done"),
    )
    out = normalize_bytes(data)
    assert found(out) == []
    contents = json.loads(out)["contents"]
    assert contents[1] == sig_call
    assert contents[2]["parts"] == [
        {"text": "and?"},
        {"functionResponse": {"id": "b", "name": "g", "response": {"ok": 1}}},
    ]
    assert b"nobody" not in out
    assert SIGNATURE.encode() in out


def test_a_call_turn_after_a_model_turn_is_h006_without_a_fix() -> None:
    data = body(
        user("go"),
        {"role": "model", "parts": [{"text": "Let me think."}]},
        model_calls({"id": "a", "name": "f", "args": {}}),
        responses({"id": "a", "name": "f", "response": {}}),
    )
    (finding,) = analyze(data).findings
    assert (finding.code, finding.call_id, finding.fixable) == ("H006", "a", False)
    assert MISPLACED_CALL_TURN in finding.message
    assert normalize_bytes(data) == data


def test_a_turn_emptied_by_the_repair_lets_the_next_calls_join_the_model_turn() -> None:
    """Removing the orphan's turn would leave a call turn right after a model turn."""
    later = model_calls({"id": "b", "name": "g", "args": {"x": 1}})
    data = body(
        user("go"),
        {"role": "model", "parts": [{"text": "First a look around."}]},
        responses({"id": "gone", "name": "f", "response": {}}),
        later,
        responses({"id": "b", "name": "g", "response": {}}),
    )
    assert codes(analyze(data)) == [("H002", "gone")]
    out = normalize_bytes(data)
    contents = json.loads(out)["contents"]
    assert contents[1]["parts"] == [{"text": "First a look around."}, *later["parts"]]
    assert [c["role"] for c in contents] == ["user", "model", "user"]
    assert found(out) == []
    call_turn = analyze(data).history.items[3]
    record = data[call_turn.span.start : call_turn.span.end]
    content = find_content(record, ("parts",))
    assert content is not None
    assert all(record[start:end] in out for start, end in content.elements)  # byte for byte


def test_a_quick_fix_repairs_only_its_finding() -> None:
    data = body(
        user("go"),
        model_calls({"id": "a", "name": "f", "args": {}}, {"id": "b", "name": "f", "args": {}}),
        responses({"id": "a", "name": "f", "response": {}}),
        user("x"),
        responses({"id": "q", "name": "f", "response": {}}),
        user("y"),
    )
    analysis = analyze(data)
    h001 = next(f for f in analysis.findings if f.code == "H001")
    title, edits = quick_fix(analysis, h001)
    assert title == "Insert a synthetic output for b"
    assert sorted(found(apply_edits(data, edits))) == [("H002", "q")]


def test_hovers_show_the_arguments_and_the_response() -> None:
    data = body(
        user("go"),
        model_calls({"id": "a", "name": "get_capital", "args": {"country": "France"}}),
        responses({"id": "a", "name": "get_capital", "response": {"error": "not supported"}}),
    )
    analysis = analyze(data)
    (call,), (output,) = analysis.history.calls, analysis.history.outputs
    assert call_details(analysis, call).arguments_summary == '{"country":"France"}'
    shown = output_details(analysis, output)
    assert shown.is_error and "not supported" in shown.first_line


# --- properties over generated histories ----------------------------------------------------


@st.composite
def broken_gemini(draw: st.DrawFn) -> bytes:
    events = draw(broken_events("call_"))
    return render_gemini_api(
        [e for e in events if e[0] != "system"],
        ids=draw(st.sampled_from(ID_STYLES)),
        layout=draw(st.sampled_from(["contents", "history", "array"])),
        snake=draw(st.booleans()),
        split=draw(st.integers(0, 3)) == 0,
        pretty=draw(st.booleans()),
        crlf=draw(st.integers(0, 4)) == 0,
    )


@SETTINGS
@given(source=broken_gemini(), keep=st.integers(0, 10))
def test_repairs_keep_their_promises(source: bytes, keep: int) -> None:
    repaired = check_repair(source, "gemini-api")
    check_trim(repaired, "gemini-api", keep)


@SETTINGS
@given(data=st.data(), ids=st.booleans())
def test_mangled_contents_never_raise(data: st.DataObject, ids: bool) -> None:
    events = [e for e in data.draw(broken_events("call_")) if e[0] != "system"]
    records = data.draw(
        mangled(
            contents_of(events, ids=ids, snake=data.draw(st.booleans())),
            [
                *("id", "name", "role", "parts", "response", "functionCall", "functionResponse"),
                *("function_call", "function_response"),
            ],
        )
    )
    check_no_crash(dumps({"contents": records}, pretty=data.draw(st.booleans())))


# --- real request bodies ----------------------------------------------------------------------


@needs_realdata
def test_the_recorded_gemini_bodies_are_healthy_gemini_histories() -> None:
    bodies = assert_healthy_bodies("test_google_model_retry.yaml", "gemini-api")
    assert len(bodies) == 3
    last = analyze(json.dumps(bodies[-1]).encode()).history
    assert [o.call_id for o in last.outputs] == [c.call_id for c in last.calls]
