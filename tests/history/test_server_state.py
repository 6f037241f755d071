"""Responses request bodies that continue a history the server keeps."""

from __future__ import annotations

import json

import pytest

from context_ls.history.api import analyze, normalize_edits
from context_ls.history.model import apply_edits


def body(**top: object) -> bytes:
    items = [
        {"type": "function_call_output", "call_id": "call_prev", "output": "42"},
        {"role": "user", "content": "and now?"},
        {"type": "function_call", "call_id": "call_new", "name": "f", "arguments": "{}"},
    ]
    return json.dumps({"model": "gpt-4.1", **top, "input": items}, indent=2).encode()


@pytest.mark.parametrize(
    "top",
    [{"previous_response_id": "resp_1"}, {"conversation": "conv_1"}, {"conversation": {"id": "c"}}],
)
def test_outputs_of_calls_kept_by_the_server_are_no_orphans(top: dict) -> None:
    analysis = analyze(body(**top))
    assert analysis.history.dialect == "openai-responses"
    assert [(f.code, f.call_id) for f in analysis.findings] == [("H001", "call_new")]
    repaired = apply_edits(analysis.data, normalize_edits(analysis))
    assert b'"call_prev"' in repaired  # the output the server pairs is never removed


@pytest.mark.parametrize("top", [{}, {"previous_response_id": None}, {"conversation": None}])
def test_without_server_state_the_orphan_is_reported(top: dict) -> None:
    codes = [(f.code, f.call_id) for f in analyze(body(**top)).findings]
    assert ("H002", "call_prev") in codes
    assert ("H001", "call_new") in codes
