"""OpenAI Chat Completions messages: calls in an assistant message's `tool_calls`, outputs
as `role: tool` messages that must come directly after that assistant message."""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from context_ls.history.dialects.base import ApiErrors, Dialect
from context_ls.history.facts import (
    OTHER,
    CallFact,
    OutputFact,
    RecordFacts,
    get_path,
    message_kind,
    str_or_none,
    usable_id,
)
from context_ls.history.items import CONVERSATION_CODES, ItemKind, later

if TYPE_CHECKING:
    from context_ls.history.columns import Records
    from context_ls.history.doc_chunks import Elements
    from context_ls.history.docscan import Pick
    from context_ls.history.items import Item
    from context_ls.history.model import Call, History
    from context_ls.history.normalize import Plan

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
    if content is None and isinstance(value.get("parts"), list):
        return 0  # a Gemini content, not a message without content
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


def _missing_output(call_id: str) -> str:
    return (
        "An assistant message with 'tool_calls' must be followed by tool messages responding "
        "to each 'tool_call_id'. The following tool_call_ids did not have response messages: "
        f"{call_id}"
    )


API_ERRORS = ApiErrors(
    missing_output=lambda call: _missing_output(call.call_id),
    orphan=lambda output: (
        "Invalid parameter: messages with role 'tool' must be a response to a preceeding "
        "message with 'tool_calls'."
    ),
    not_adjacent=_missing_output,
    duplicate_call="the API pairs outputs with calls by id, so one of the two calls goes unanswered",
)


def turns(history: History) -> None:
    """Tool messages directly after a message share the turn after it."""
    history.items.turns = array("q", _turns(history.items))


def _turns(records: Records) -> Iterator[int]:
    turn = -1
    previous_was_tool = False
    conversation = CONVERSATION_CODES
    for kind, role in zip(records.kinds, records.roles, strict=True):
        if kind not in conversation:
            yield -1
            continue
        is_tool = role == "tool"
        if not (is_tool and previous_was_tool):
            turn += 1
        previous_was_tool = is_tool
        yield turn


def after_tool_messages(call_item: Item) -> int:
    """The last of the tool messages right after a call's message (the message itself when
    none follows): where another tool message for it goes."""
    end = call_item.index
    for after in later(call_item):
        if after.kind is ItemKind.OTHER:
            continue
        if after.role != "tool" or after.turn != call_item.turn + 1:
            break
        end = after.index
    return end


def synthesize(plan: Plan, call: Call) -> None:
    from context_ls.history.new_records import NewRecord  # repairs only: not on check's path

    value = synthetic_output(call.call_id, plan.text)
    plan.insert(after_tool_messages(plan.history.items[call.item]), NewRecord(value))


def document_scan(data: bytes, elements: Elements) -> Pick | None:
    """`chat_scan.scan`, imported on first use (most processes never read a big document)."""
    from context_ls.history.dialects.chat_scan import scan

    return scan(data, elements)


DIALECT = Dialect(
    name=NAME,
    what="OpenAI Chat Completions messages",
    shape='JSON array, `{"messages": […]}` or JSONL',
    sniff=sniff,
    facts=facts,
    subject=lambda value, block: get_path(value, "tool_calls", block) if block >= 0 else value,
    turns=turns,
    document_scan=document_scan,
    api=API_ERRORS,
    adjacency=True,
    default_text=DEFAULT_SYNTHETIC_TEXT,
    synthesize=synthesize,
    output_anchor=after_tool_messages,
    leading_roles=frozenset({"system", "developer"}),  # instructions stay when trimming
)
