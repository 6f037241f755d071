"""OpenAI Responses API input items (also the `payload` of Codex `response_item` lines)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from context_ls.history.dialects.base import ApiErrors, Dialect
from context_ls.history.facts import (
    OTHER,
    CallFact,
    OutputFact,
    RecordFacts,
    str_or_none,
    usable_id,
)
from context_ls.history.model import ItemKind

if TYPE_CHECKING:
    from context_ls.history.model import Call
    from context_ls.history.normalize import Plan

NAME = "openai-responses"
DEFAULT_SYNTHETIC_TEXT = "aborted"

# call type -> the output type that answers it
CALL_TYPES = {
    "function_call": "function_call_output",
    "custom_tool_call": "custom_tool_call_output",
    "local_shell_call": "function_call_output",
    "tool_search_call": "tool_search_output",
}
OUTPUT_TYPES = frozenset({"function_call_output", "custom_tool_call_output", "tool_search_output"})
# Items that are part of the conversation but never paired (`compaction_summary` is an old
# name of `compaction`; `additional_tools` carries tool definitions with a role).
CONVERSATION_TYPES = frozenset(
    {
        "message",
        "agent_message",
        "reasoning",
        "web_search_call",
        "image_generation_call",
        "file_search_call",
        "computer_call",
        "computer_call_output",
        "code_interpreter_call",
        "mcp_call",
        "mcp_list_tools",
        "compaction",
        "compaction_summary",
        "context_compaction",
        "additional_tools",
    }
)
# A message from another agent (author, recipient, content): Codex treats it as input, like
# a user message (it stands between a call and its output the way a user message does).
AGENT_MESSAGE = "agent_message"


def sniff(value: Any) -> int:
    if not isinstance(value, dict):
        return 0
    kind = str_or_none(value.get("type"))
    if kind in CALL_TYPES or kind in OUTPUT_TYPES:
        return 3 if "call_id" in value else 2
    if kind in CONVERSATION_TYPES:
        return 2
    if kind is None and "role" in value and "content" in value and "tool_calls" not in value:
        return 1
    return 0


def facts(item: Any, timestamp: str | int | float | None = None) -> RecordFacts:
    if not isinstance(item, dict):
        return OTHER
    kind = str_or_none(item.get("type"))
    if kind in CALL_TYPES:
        return _call_facts(item, kind, timestamp)
    if kind in OUTPUT_TYPES:
        return _output_facts(item, kind, timestamp)
    role = str_or_none(item.get("role"))
    if kind == AGENT_MESSAGE:
        return RecordFacts(ItemKind.MESSAGE, role="user", timestamp=timestamp)
    if kind in CONVERSATION_TYPES or (kind is None and role is not None):
        return RecordFacts(ItemKind.MESSAGE, role=role or "assistant", timestamp=timestamp)
    # Unknown item types (and request controls such as `compaction_trigger`): kept, never paired.
    return RecordFacts(ItemKind.OTHER, timestamp=timestamp)


def tool_name(item: dict[str, Any], kind: str) -> str:
    """The tool a call runs. MCP tools are named in two parts (`namespace`
    `mcp__node_repl__`, `name` `js`): the model and the user know them by the whole name."""
    name = str_or_none(item.get("name"))
    namespace = str_or_none(item.get("namespace"))
    if name and namespace:
        return namespace + name
    return name or namespace or {"local_shell_call": "local_shell"}.get(kind, kind)


def _call_facts(
    item: dict[str, Any], kind: str, timestamp: str | int | float | None
) -> RecordFacts:
    raw_id = item.get("call_id")
    if (raw_id is None and kind in ("local_shell_call", "tool_search_call")) or (
        kind == "tool_search_call" and item.get("execution") == "server"
    ):
        # A local shell call with no call_id is never paired; nor is a tool search the server
        # ran (it writes its output itself, with `execution: "server"` and usually no call_id).
        return RecordFacts(ItemKind.MESSAGE, role="assistant", timestamp=timestamp)
    call_id = usable_id(raw_id)
    if call_id is None:
        return RecordFacts(
            ItemKind.MESSAGE,
            role="assistant",
            missing_ids=((-1, f"{kind} without a call_id"),),
            timestamp=timestamp,
        )
    tool = tool_name(item, kind)
    return RecordFacts(
        ItemKind.CALLS,
        role="assistant",
        calls=(CallFact(call_id, -1, kind, tool),),
        timestamp=timestamp,
    )


def _output_facts(
    item: dict[str, Any], kind: str, timestamp: str | int | float | None
) -> RecordFacts:
    raw_id = item.get("call_id")
    server_side = kind == "tool_search_output" and (
        raw_id is None or item.get("execution") == "server"
    )
    if server_side:
        return RecordFacts(ItemKind.MESSAGE, role="tool", timestamp=timestamp)
    call_id = usable_id(raw_id)
    if call_id is None:
        return RecordFacts(
            ItemKind.MESSAGE,
            role="tool",
            missing_ids=((-1, f"{kind} without a call_id"),),
            timestamp=timestamp,
        )
    status = str_or_none(item.get("status"))
    return RecordFacts(
        ItemKind.OUTPUTS,
        role="tool",
        outputs=(OutputFact(call_id, -1, kind, status),),
        timestamp=timestamp,
    )


def synthetic_output(call_id: str, call_kind: str, text: str) -> dict[str, Any]:
    """What Codex inserts itself for a call with no output (`aborted`)."""
    output_type = CALL_TYPES.get(call_kind, "function_call_output")
    if output_type == "tool_search_output":
        return {"type": output_type, "call_id": call_id, "status": "completed", "tools": []}
    return {"type": output_type, "call_id": call_id, "output": text}


def _missing_output(call: Call) -> str:
    what = "custom tool call" if call.kind == "custom_tool_call" else "function call"
    return f"No tool output found for {what} {call.call_id}."


API_ERRORS = ApiErrors(
    missing_output=_missing_output,
    orphan=lambda output: (
        f"No tool call found for function call output with call_id {output.call_id}."
    ),
    duplicate_call="the API pairs outputs with calls by id, so one of the two calls goes unanswered",
)


def claims_document(key: str | None, detected: str | None, sample: Sequence[Any]) -> bool:
    """A body under `input` is a Responses request even when its items are plain
    `{role, content}` messages that fit Chat Completions too: the key decides."""
    return key == "input" and detected == "openai-chat" and all(map(sniff, sample))


def synthesize(plan: Plan, call: Call) -> None:
    # Repairs only: reading and `check` need no new record.
    from context_ls.history.new_records import NewRecord

    value = synthetic_output(call.call_id, call.kind, plan.text)
    plan.insert(call.item, NewRecord(value))


DIALECT = Dialect(
    name=NAME,
    what="OpenAI Responses API input",
    shape='JSON array, `{"input": […]}` or JSONL of items',
    sniff=sniff,
    facts=facts,
    claims_document=claims_document,
    server_state=True,
    api=API_ERRORS,
    default_text=DEFAULT_SYNTHETIC_TEXT,
    synthesize=synthesize,
)
