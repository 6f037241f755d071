"""Gemini API parts without an id take one when the parts are paired; pairing must read
only what the parts themselves say (their facts), never an id a previous pairing gave,
since a re-read after an edit copies the records it did not read again as they were."""

from __future__ import annotations

import json
from typing import Any

from context_ls.history.analyzer import Analyzer
from context_ls.history.api import analyze

from ._gen import codes, dumps

READ = "read_file"
ASK = {"role": "user", "parts": [{"text": "read it"}]}


def call(call_id: str) -> dict[str, Any]:
    return {"role": "model", "parts": [{"functionCall": {"id": call_id, "name": READ}}]}


# A response without an id: it answers the call before it by name and takes its id.
ANSWER = {"role": "user", "parts": [{"functionResponse": {"name": READ, "response": {}}}]}
DONE = {"role": "model", "parts": [{"text": "done"}]}


def ids(analysis: Any) -> tuple[list[str], list[str]]:
    history = analysis.history
    return [c.call_id for c in history.calls], [o.call_id for o in history.outputs]


def test_an_id_less_response_answers_a_call_whose_id_is_the_function_s_name() -> None:
    """Before pairing, an id-less response's id is its function's name: that is no id,
    and it does not mark a call whose id happens to be that name as answered."""
    analysis = analyze(dumps({"contents": [ASK, call(READ), ANSWER, DONE]}))
    assert (codes(analysis), ids(analysis)) == ([], ([READ], [READ]))


# A record added before the call: the records after it are copied from the previous read,
# moved, and paired again (a keystroke that changes no facts keeps the pairs as they were).
HELLO = {"role": "user", "parts": [{"text": "hello"}]}


def test_a_document_edited_elsewhere_keeps_the_response_paired() -> None:
    data = json.dumps({"contents": [ASK, call("z"), ANSWER, DONE]}, indent=2).encode()
    analyzer = Analyzer()
    first = analyzer.analyze(data)
    assert ids(first) == (["z"], ["z"])
    at = first.history.items.ends[0]  # right after the first record: it is read again
    edited = data[:at] + b", " + json.dumps(HELLO).encode() + data[at:]
    again = analyzer.analyze(edited)
    assert (codes(again), ids(again)) == (codes(analyze(edited)), (["z"], ["z"]))


def test_a_jsonl_of_contents_edited_elsewhere_keeps_the_response_paired() -> None:
    lines = [json.dumps(c).encode() for c in [ASK, call("z"), ANSWER, DONE]]
    data = b"\n".join(lines) + b"\n"
    analyzer = Analyzer()
    assert ids(analyzer.analyze(data)) == (["z"], ["z"])
    edited = json.dumps(HELLO).encode() + b"\n" + data
    again = analyzer.analyze(edited)
    assert (codes(again), ids(again)) == (codes(analyze(edited)), (["z"], ["z"]))
