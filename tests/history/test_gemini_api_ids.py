"""Gemini API parts the API pairs without matching ids: responses whose id the Gemini CLI
made up for an id-less call (its checkpoints until 2026-05), responses split over
consecutive user turns, and the snake_case spelling proto3 JSON parsers take."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from context_ls.history.api import analyze, normalize_bytes, output_details

from ._gen import Event, broken_events, clean_events, codes, dumps
from ._gen_gemini_api import ID_STYLES, SIGNATURE, render_gemini_api
from ._repair_props import SETTINGS, check_repair

READ = "read_file"


def call(path: str) -> dict[str, Any]:
    return {"functionCall": {"name": READ, "args": {"absolute_path": path}}}


def answer(made_up: str, output: str) -> dict[str, Any]:
    return {"functionResponse": {"id": made_up, "name": READ, "response": {"output": output}}}


CHECKPOINT = [
    {"role": "user", "parts": [{"text": "read a and b"}]},
    {"role": "model", "parts": [call("/p/a"), call("/p/b")]},
    {
        "role": "user",
        "parts": [
            answer("read_file-1760000000000-aa11", "A"),
            answer("read_file-1760000000001-bb22", "B"),
        ],
    },
    {"role": "model", "parts": [{"text": "A and B."}]},
]


def render(contents: list[Any], layout: str) -> bytes:
    return dumps(contents if layout == "array" else {layout: contents})


# --- response ids the Gemini CLI made up ------------------------------------------------------


@pytest.mark.parametrize("layout", ["array", "history", "contents"])
def test_a_gemini_cli_checkpoint_with_made_up_response_ids_is_healthy(layout: str) -> None:
    data = render(CHECKPOINT, layout)
    analysis = analyze(data)
    assert (analysis.history.dialect, analysis.findings) == ("gemini-api", [])
    # The calls take the ids their responses carry, in rank.
    assert [c.call_id for c in analysis.history.calls] == [
        "read_file-1760000000000-aa11",
        "read_file-1760000000001-bb22",
    ]
    assert [o.call_id for o in analysis.history.outputs] == [
        c.call_id for c in analysis.history.calls
    ]
    assert normalize_bytes(data) == data


def test_a_made_up_response_id_pairs_only_by_name() -> None:
    other = answer("other-1-aa", "A")
    other["functionResponse"]["name"] = "other"
    contents = [*CHECKPOINT[:2], {"role": "user", "parts": [other]}]
    found = codes(analyze(render(contents, "array")))
    assert sorted(c for c, _ in found) == ["H001", "H001", "H002"]
    assert ("H002", "other-1-aa") in found


def test_a_missing_response_beside_made_up_ids_gets_an_error_response() -> None:
    contents = [
        CHECKPOINT[0],
        CHECKPOINT[1],
        {**CHECKPOINT[2], "parts": CHECKPOINT[2]["parts"][:1]},
    ]
    data = render(contents, "history")
    assert [c for c, _ in codes(analyze(data))] == ["H001"]
    out = json.loads(normalize_bytes(data))["history"]
    first, added = out[2]["parts"]
    assert first == CHECKPOINT[2]["parts"][0]  # the real response stays
    assert (
        added["functionResponse"]["name"] == READ
        and "error" in added["functionResponse"]["response"]
    )
    assert codes(analyze(dumps({"history": out}))) == []


def test_an_id_less_response_still_answers_a_call_with_an_id() -> None:
    contents = [
        CHECKPOINT[0],
        {"role": "model", "parts": [{"functionCall": {"id": "z", "name": READ, "args": {}}}]},
        {"role": "user", "parts": [{"functionResponse": {"name": READ, "response": {}}}]},
    ]
    analysis = analyze(render(contents, "array"))
    assert analysis.findings == []
    assert [o.call_id for o in analysis.history.outputs] == ["z"]


def test_an_id_less_response_in_a_later_user_turn_answers_a_call_with_an_id() -> None:
    contents = [
        CHECKPOINT[0],
        {"role": "model", "parts": [{"functionCall": {"id": "z", "name": READ, "args": {}}}]},
        {"role": "user", "parts": [{"text": "one moment"}]},
        {"role": "user", "parts": [{"functionResponse": {"name": READ, "response": {"n": 1}}}]},
    ]
    data = render(contents, "contents")
    assert codes(analyze(data)) == [("H006", "z")]
    out = json.loads(normalize_bytes(data))["contents"]
    assert out[2]["parts"] == [{"text": "one moment"}, contents[3]["parts"][0]]


def test_a_call_answered_by_its_id_takes_no_id_less_response_besides() -> None:
    contents = [
        CHECKPOINT[0],
        {"role": "model", "parts": [{"functionCall": {"id": "z", "name": READ, "args": {}}}]},
        {
            "role": "user",
            "parts": [{"functionResponse": {"id": "z", "name": READ, "response": {}}}],
        },
        {"role": "user", "parts": [{"functionResponse": {"name": READ, "response": {}}}]},
    ]
    assert codes(analyze(render(contents, "array"))) == [("H002", "turn 3, part 0")]


# --- responses split over consecutive user turns ---------------------------------------------


def split_turns(ids: bool) -> list[Any]:
    def named(name: str, key: str) -> dict[str, Any]:
        return {"id": name.upper(), "name": name} if ids else {"name": name}

    return [
        {"role": "user", "parts": [{"text": "go"}]},
        {
            "role": "model",
            "parts": [
                {"functionCall": {**named("a", "functionCall"), "args": {}}},
                {"functionCall": {**named("b", "functionCall"), "args": {}}},
            ],
        },
        {"role": "user", "parts": [{"functionResponse": {**named("a", ""), "response": {"x": 1}}}]},
        {"role": "user", "parts": [{"functionResponse": {**named("b", ""), "response": {"x": 2}}}]},
        {"role": "model", "parts": [{"text": "done"}]},
    ]


@pytest.mark.parametrize("ids", [True, False])
def test_responses_split_over_user_turns_are_h006_and_move_losslessly(ids: bool) -> None:
    """Gemini counts the responses of the one turn after the calls: a split is refused with
    its count error (the responses are not merged), so it is reported, and repaired by a move."""
    contents = split_turns(ids)
    data = dumps({"contents": contents}, pretty=True)
    analysis = analyze(data)
    assert [f.code for f in analysis.findings] == ["H006"]
    assert analysis.findings[0].item == 3 and analysis.findings[0].fixable
    out = json.loads(normalize_bytes(data))["contents"]
    assert [c["role"] for c in out] == ["user", "model", "user", "model"]
    assert out[2]["parts"] == [*contents[2]["parts"], *contents[3]["parts"]]
    assert analyze(dumps({"contents": out})).findings == []


def test_a_run_of_response_turns_pairs_by_rank_across_the_run() -> None:
    """Three calls of one name answered one turn each: the first response answers the first
    call, and so on; only the second and third turns are out of place."""
    model = {"role": "model", "parts": [call(f"/p/{n}") for n in range(3)]}
    replies = [
        {"role": "user", "parts": [{"functionResponse": {"name": READ, "response": {"n": n}}}]}
        for n in range(3)
    ]
    analysis = analyze(render([CHECKPOINT[0], model, *replies], "array"))
    assert [(f.code, f.item) for f in analysis.findings] == [("H006", 3), ("H006", 4)]
    by_call = {o.call_id: o.item for o in analysis.history.outputs}
    assert [by_call[c.call_id] for c in analysis.history.calls] == [2, 3, 4]


def test_responses_after_a_user_text_turn_move_and_after_a_model_turn_answer_nothing() -> None:
    """Until the next model turn, the user turns after a call turn can only answer it."""
    turns = split_turns(False)
    later = {"role": "user", "parts": [*turns[2]["parts"], *turns[3]["parts"]]}
    waited = [*turns[:2], {"role": "user", "parts": [{"text": "wait"}]}, later]
    assert [c for c, _ in codes(analyze(render(waited, "array")))] == ["H006", "H006"]
    out = json.loads(normalize_bytes(render(waited, "array")))
    assert out[2]["parts"] == [{"text": "wait"}, *later["parts"]]
    said = [*turns[:2], {"role": "model", "parts": [{"text": "hm"}]}, later]
    assert sorted(c for c, _ in codes(analyze(render(said, "array")))) == [
        *("H001", "H001", "H002", "H002")
    ]


# --- snake_case field names ------------------------------------------------------------------

SNAKE_DANGLING = {
    "contents": [
        {"role": "user", "parts": [{"text": "hi"}]},
        {"role": "model", "parts": [{"function_call": {"name": "a", "args": {}}}]},
        {"role": "user", "parts": [{"text": "go on"}]},
        {"role": "model", "parts": [{"text": "done"}]},
    ]
}


def test_snake_case_parts_are_read_and_repaired_in_snake_case() -> None:
    data = dumps(SNAKE_DANGLING, pretty=True)
    analysis = analyze(data)
    assert analysis.history.dialect == "gemini-api"
    assert [f.code for f in analysis.findings] == ["H001"]
    out = normalize_bytes(data)
    assert b"functionResponse" not in out and b'"function_response"' in out
    assert analyze(out).findings == []


def test_a_snake_case_array_is_detected_by_its_parts() -> None:
    contents = json.loads(render_gemini_api(clean_events(), layout="array", snake=True))
    assert SIGNATURE in json.dumps(contents) and "thought_signature" in json.dumps(contents)
    analysis = analyze(dumps(contents))
    assert (analysis.history.dialect, analysis.findings) == ("gemini-api", [])
    shown = output_details(analysis, analysis.history.outputs[0])
    assert "result of" in shown.first_line


# --- properties --------------------------------------------------------------------------------


def without_system(events: list[Event]) -> list[Event]:
    return [e for e in events if e[0] != "system"]


@SETTINGS
@given(events=broken_events("call_"), layout=st.sampled_from(["contents", "history", "array"]))
def test_made_up_response_ids_read_as_no_ids(events: list[Event], layout: str) -> None:
    """An id-less history and the same with the CLI's made-up response ids give the same
    findings, and the repair keeps the same responses."""
    events = without_system(events)
    plain = render_gemini_api(events, ids=False, layout=layout)
    cli = render_gemini_api(events, ids="cli", layout=layout)
    assert _shape(analyze(plain)) == _shape(analyze(cli))
    fixed_plain, fixed_cli = check_repair(plain, "gemini-api"), check_repair(cli, "gemini-api")
    assert _kept(fixed_plain) == _kept(fixed_cli)


@SETTINGS
@given(events=broken_events("call_"), ids=st.sampled_from(ID_STYLES))
def test_snake_case_reads_as_camel_case(events: list[Event], ids: bool | str) -> None:
    events = without_system(events)
    camel = render_gemini_api(events, ids=ids)
    snake = render_gemini_api(events, ids=ids, snake=True)
    assert codes(analyze(camel)) == codes(analyze(snake))
    out = check_repair(snake, "gemini-api")
    assert b"functionResponse" not in out and b"functionCall" not in out


@SETTINGS
@given(batches=st.lists(st.integers(1, 3), min_size=1, max_size=4))
def test_split_responses_without_ids_read_as_with_ids(batches: list[int]) -> None:
    """Responses a turn each: the same findings (H006 for all but the first of a run) with
    ids or without, and a repair that keeps every response."""
    events = clean_events(batches=batches)
    with_ids = analyze(render_gemini_api(events, split=True))
    plain = render_gemini_api(events, ids=False, split=True)
    without = analyze(plain)
    assert Counter(f.code for f in with_ids.findings) == Counter(f.code for f in without.findings)
    assert Counter(f.code for f in without.findings) == Counter(
        {"H006": sum(batches) - len(batches)}
    )
    out = check_repair(plain, "gemini-api")
    assert analyze(out).findings == [] and _kept(out) == _kept(plain)


def _shape(analysis: Any) -> list[tuple[str, int]]:
    return sorted((f.code, f.item) for f in analysis.findings)


def _kept(data: bytes) -> Counter[str]:
    """The real responses in `data` (what the tools said)."""
    return Counter(m for m in data.decode().split('"') if m.startswith("result of "))


@SETTINGS
@given(events=broken_events("call_"), data=st.data())
def test_an_edit_re_read_in_place_pairs_like_a_full_read(events: list[Event], data: Any) -> None:
    """Made-up response ids and split turns in a JSONL of contents: a line dropped or
    repeated, re-read from the lines before and after it, pairs as a full read does."""
    from context_ls.history.analyzer import Analyzer

    events = without_system(events)
    split = data.draw(st.booleans())
    lines = render_gemini_api(events, ids="cli", layout="jsonl", split=split).split(b"\n")
    analyzer = Analyzer()
    analyzer.analyze(b"\n".join(lines))
    at = data.draw(st.integers(0, len(lines) - 2))
    edited = (
        lines[:at] + lines[at + 1 :]
        if data.draw(st.booleans())
        else [*lines[:at], lines[at], *lines[at:]]
    )
    text = b"\n".join(edited)
    again, full = analyzer.analyze(text), analyze(text)
    assert codes(again) == codes(full)
    assert [c.call_id for c in again.history.calls] == [c.call_id for c in full.history.calls]
    assert [o.call_id for o in again.history.outputs] == [o.call_id for o in full.history.outputs]


@pytest.mark.parametrize("layout", ["array", "history", "contents"])
def test_a_made_up_id_names_the_place_whatever_the_array_s_key(layout: str) -> None:
    """The facts do not know the key of the array (a bare one, `contents`, `history`), so
    a part without an id is named by its content's index and its own, and no key."""
    contents = [CHECKPOINT[0], CHECKPOINT[1], {"role": "user", "parts": [{"text": "?"}]}]
    found = codes(analyze(render(contents, layout)))
    assert found == [("H001", "turn 1, part 0"), ("H001", "turn 1, part 1")]
