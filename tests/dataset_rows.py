"""Rows of fine-tuning data sets for the tests: the messages and calls every data set test
writes, and generated data sets holding every kind of finding (`from dataset_rows import
…`, as `writer_children`)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

USER = {"role": "user", "content": "hi"}
DONE = {"role": "assistant", "content": "done"}


def call(call_id: str, name: str = "shell", arguments: Any = "{}") -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def ask(*calls: dict[str, Any]) -> dict[str, Any]:
    """An assistant message making `calls`."""
    return {"role": "assistant", "content": None, "tool_calls": list(calls)}


def tool(call_id: str, content: Any = "ok") -> dict[str, Any]:
    """A tool message answering `call_id`."""
    return {"role": "tool", "tool_call_id": call_id, "content": content}


TOOLS = [{"type": "function", "function": {"name": "shell", "parameters": {}}}]
KEY = "sk-proj-" + "A1b2C3d4E5f6G7h8I9j0" * 2  # a credential-looking value (H010)


# Conversations, healthy and broken in each way the rules know (and lines that are none).
SHAPES: dict[str, Any] = {
    "healthy": [USER, ask(call("c1")), tool("c1"), DONE],
    "target": [USER, ask(call("c1"))],
    "dangling": [USER, ask(call("c1")), USER, DONE],
    "orphan": [USER, tool("c9"), DONE],
    "duplicate": [USER, ask(call("c1"), call("c1")), tool("c1"), DONE],
    "twice": [USER, ask(call("c1")), tool("c1"), tool("c1"), DONE],
    "early": [USER, tool("c1"), ask(call("c1")), DONE],
    "late": [USER, ask(call("c1")), USER, tool("c1"), DONE],
    "object-arguments": [USER, ask(call("c1", arguments={"q": 1})), tool("c1"), DONE],
    "bad-arguments": [USER, ask(call("c1", arguments="{nope")), tool("c1"), DONE],
    "unknown-tool": [USER, ask(call("c1", name="rm")), tool("c1"), DONE],
    "role": [{"role": "robot", "content": "x"}, DONE],
    "tool-content": [USER, ask(call("c1")), tool("c1", [{"type": "text"}]), DONE],
    "no-id": [USER, ask({"type": "function", "function": {"name": "shell"}}), DONE],
    "secret": [{"role": "user", "content": f"my key is {KEY}"}, DONE],
    "unicode": [{"role": "user", "content": "héllo ✓ 𝄞"}, ask(call("c1", name="gone"))],
}
ODD_LINES = ["not json", "[1, 2]", '{"prompt": "x"}', "", "   "]


@st.composite
def datasets(draw: st.DrawFn) -> bytes:
    """A data set of every kind of line, with LF or CRLF, a byte-order mark or not, a
    final newline or not."""
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 30))):
        if draw(st.integers(0, 9)) == 0:
            lines.append(draw(st.sampled_from(ODD_LINES)))
            continue
        row: dict[str, Any] = {"messages": SHAPES[draw(st.sampled_from(sorted(SHAPES)))]}
        if draw(st.booleans()):
            row["tools"] = TOOLS
        lines.append(json.dumps(row, ensure_ascii=draw(st.booleans())))
    # The first line always a conversation: detection reads the head.
    lines.insert(0, json.dumps({"messages": SHAPES["healthy"], "tools": TOOLS}))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    text = newline.join(lines) + draw(st.sampled_from([newline, ""]))
    return (b"\xef\xbb\xbf" if draw(st.booleans()) else b"") + text.encode()
