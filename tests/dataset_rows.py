"""Rows of fine-tuning data sets for the tests: the messages and calls every data set test
writes (`from dataset_rows import …`, as `writer_children`)."""

from __future__ import annotations

from typing import Any

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
