"""OpenAI Chat Completions messages: calls in an assistant message's `tool_calls`, outputs
as `role: tool` messages that must come directly after that assistant message."""

from __future__ import annotations

from typing import Any

from context_ls.history.model import ItemKind
from context_ls.history.records import (
    OTHER,
    CallFact,
    OutputFact,
    RecordFacts,
    message_kind,
    str_or_none,
    usable_id,
)

NAME = "openai-chat"
DEFAULT_SYNTHETIC_TEXT = "Tool execution was interrupted. Output was not received."
ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
_ANTHROPIC_ONLY_BLOCKS = frozenset({"tool_use", "tool_result", "thinking", "redacted_thinking"})


def _role(value: dict[str, Any]) -> str | None:
    role = value.get("role")
    # VT Code and others capitalise roles ("Tool"): accept any case.
    return role.lower() if isinstance(role, str) else None


def sniff(value: Any) -> int:
    if not isinstance(value, dict):
        return 0
    role = _role(value)
    if role not in ROLES:
        return 0
    content = value.get("content")
    if isinstance(content, list) and any(
        isinstance(b, dict) and str_or_none(b.get("type")) in _ANTHROPIC_ONLY_BLOCKS
        for b in content
    ):
        return 0
    if role == "tool" and "tool_call_id" in value:
        return 3
    if role == "assistant" and isinstance(value.get("tool_calls"), list):
        return 3
    if role in ("system", "developer", "tool"):
        return 2
    return 2 if isinstance(content, str) or content is None else 1


def facts(value: Any) -> RecordFacts:
    if not isinstance(value, dict):
        return OTHER
    role = _role(value)
    if role == "tool":
        call_id = usable_id(value.get("tool_call_id"))
        if call_id is None:
            return RecordFacts(
                ItemKind.MESSAGE,
                role=role,
                missing_ids=((-1, "tool message without a tool_call_id"),),
            )
        return RecordFacts(ItemKind.OUTPUTS, role=role, outputs=(OutputFact(call_id, -1, "tool"),))
    calls: list[CallFact] = []
    missing: list[tuple[int, str]] = []
    tool_calls = value.get("tool_calls") if role == "assistant" else None
    if isinstance(tool_calls, list):
        for index, tool_call in enumerate(tool_calls):
            if not isinstance(tool_call, dict):
                continue
            call_id = usable_id(tool_call.get("id"))
            function = tool_call.get("function")
            tool = str_or_none(function.get("name")) if isinstance(function, dict) else None
            if call_id is None:
                missing.append((index, "tool call without an id"))
            else:
                calls.append(CallFact(call_id, index, "tool_call", tool))
    if role is None:
        return OTHER
    return RecordFacts(
        message_kind(tuple(calls), ()), role=role, calls=tuple(calls), missing_ids=tuple(missing)
    )


def synthetic_output(call_id: str, text: str) -> dict[str, Any]:
    return {"role": "tool", "tool_call_id": call_id, "content": text}
