"""An orphan's API answer may name where the orphan is (`ApiErrors.orphan` gets the
output, its record included): Bedrock counts the body's messages from 0."""

from __future__ import annotations

from typing import Any

import pytest

from context_ls.history.api import analyze
from context_ls.history.dialects import DIALECTS
from context_ls.history.model import Output

from ._gen import dumps


def _results(*ids: str) -> dict[str, Any]:
    blocks = [{"toolResult": {"toolUseId": i, "content": [{"text": "ok"}]}} for i in ids]
    return {"role": "user", "content": blocks}


@pytest.mark.parametrize("layout", ["messages", "array"])
def test_bedrock_names_the_message_of_each_orphan(layout: str) -> None:
    messages = [
        {"role": "user", "content": [{"text": "go"}]},
        {"role": "assistant", "content": [{"text": "Nothing to call."}]},
        _results("gone"),
        {"role": "assistant", "content": [{"text": "Still nothing."}]},
        _results("gone"),
    ]
    data = dumps({"messages": messages} if layout == "messages" else messages)
    analysis = analyze(data, "bedrock-converse")
    found = [(f.code, f.item, f.message) for f in analysis.findings]
    assert [(code, item) for code, item, _ in found] == [("H002", 2), ("H002", 4)]
    assert "toolResult blocks at messages.2.content exceeds" in found[0][2]
    assert "toolResult blocks at messages.4.content exceeds" in found[1][2]
    assert "messages.N" not in found[0][2] + found[1][2]


@pytest.mark.parametrize("name", sorted(DIALECTS))
def test_every_dialect_answers_an_orphan_output(name: str) -> None:
    answer = DIALECTS[name].api.orphan(Output("call_x", 3, 0, "tool_result"))
    assert isinstance(answer, str) and answer
