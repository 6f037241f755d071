"""Anthropic Messages: `tool_use` blocks in an assistant message answered by `tool_result`
blocks in the very next (user) message."""

from __future__ import annotations

from typing import Any

from context_ls.history.records import (
    OTHER,
    CallFact,
    OutputFact,
    RecordFacts,
    message_kind,
    str_or_none,
    usable_id,
)

NAME = "anthropic"
DEFAULT_SYNTHETIC_TEXT = "Tool execution was interrupted. Output was not received."
_DISTINCT_BLOCKS = frozenset(
    {"tool_use", "tool_result", "thinking", "redacted_thinking", "document"}
)


def sniff(value: Any) -> int:
    if not isinstance(value, dict) or value.get("role") not in ("user", "assistant"):
        return 0
    content = value.get("content")
    if isinstance(content, list):
        for block in content:
            if not isinstance(block, dict):
                continue
            kind = str_or_none(block.get("type"))
            if kind in _DISTINCT_BLOCKS or (kind == "image" and "source" in block):
                return 3
        return 1
    return 1 if isinstance(content, str) else 0


def content_facts(
    content: Any,
) -> tuple[tuple[CallFact, ...], tuple[OutputFact, ...], tuple[tuple[int, str], ...], bool]:
    """Calls, outputs and id-less blocks of a content array; and whether it holds results only."""
    if not isinstance(content, list):
        return (), (), (), False
    calls: list[CallFact] = []
    outputs: list[OutputFact] = []
    missing: list[tuple[int, str]] = []
    only_results = bool(content)
    for index, block in enumerate(content):
        kind = str_or_none(block.get("type")) if isinstance(block, dict) else None
        if kind != "tool_result":
            only_results = False
        if kind == "tool_use":
            assert isinstance(block, dict)
            call_id = usable_id(block.get("id"))
            if call_id is None:
                missing.append((index, "tool_use block without an id"))
            else:
                calls.append(CallFact(call_id, index, "tool_use", str_or_none(block.get("name"))))
        elif kind == "tool_result":
            assert isinstance(block, dict)
            call_id = usable_id(block.get("tool_use_id"))
            if call_id is None:
                missing.append((index, "tool_result block without a tool_use_id"))
            else:
                status = "error" if block.get("is_error") is True else None
                outputs.append(OutputFact(call_id, index, "tool_result", status))
    return tuple(calls), tuple(outputs), tuple(missing), only_results


def facts(value: Any) -> RecordFacts:
    if not isinstance(value, dict):
        return OTHER
    role = str_or_none(value.get("role"))
    if role is None:
        return OTHER
    calls, outputs, missing, only_results = content_facts(value.get("content"))
    return RecordFacts(
        message_kind(calls, outputs),
        role=role,
        calls=calls,
        outputs=outputs,
        missing_ids=missing,
        only_results=only_results,
    )


def synthetic_result(call_id: str, text: str) -> dict[str, Any]:
    return {"type": "tool_result", "tool_use_id": call_id, "content": text, "is_error": True}
