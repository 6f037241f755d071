"""Where a finding points inside its record (`analysis.refine_spans`): on the id of what it
is about, when that id is written plainly, else on the whole record."""

from __future__ import annotations

import json
from typing import Any

from context_ls.history.api import analyze

from ._gen import dumps


def _body(*contents: dict[str, Any]) -> bytes:
    return dumps({"contents": list(contents)}, True)


def _call_turn_after_a_model_turn(call: dict[str, Any]) -> bytes:
    return _body(
        {"role": "user", "parts": [{"text": "go"}]},
        {"role": "model", "parts": [{"text": "Let me think."}]},
        {"role": "model", "parts": [{"text": "Now."}, {"functionCall": call}]},
        {"role": "user", "parts": [{"functionResponse": {**call, "response": {}}}]},
    )


def test_a_gemini_call_turn_h006_sits_on_the_call_id() -> None:
    """The call-turn H006 names a call and no output: it points at the call's id (the
    pairing H006 of an output points at the output's)."""
    data = _call_turn_after_a_model_turn({"id": "call-7", "name": "f", "args": {}})
    (finding,) = analyze(data).findings
    assert finding.code == "H006" and finding.output is None and finding.call is not None
    assert data[finding.span.start : finding.span.end].strip(b'"') == b"call-7"
    assert data.index(b'"id": "call-7"') < finding.span.start < data.index(b"functionResponse")


def test_a_call_turn_h006_without_an_id_stays_on_the_turn() -> None:
    """A call paired by name and order has no id token: the whole turn is the place."""
    data = _call_turn_after_a_model_turn({"name": "f", "args": {}})
    analysis = analyze(data)
    (finding,) = analysis.findings
    turn = analysis.history.items[finding.item]
    assert finding.code == "H006" and finding.span == turn.span
    assert json.loads(data[turn.span.start : turn.span.end])["parts"][1]["functionCall"]
