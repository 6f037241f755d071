"""The native JSONL shape of the project's design notes: `tool_call` / `tool_output` records."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from context_ls.history.dialects.base import ApiErrors, Dialect
from context_ls.history.facts import (
    OTHER,
    CallFact,
    OutputFact,
    RecordFacts,
    stamp,
    str_or_none,
    usable_id,
)
from context_ls.history.model import ItemKind
from context_ls.history.rules import ReaderEffect

NAME = "native"
DEFAULT_SYNTHETIC_TEXT = "Tool execution was interrupted. Output was not received."
STATUSES = ("success", "failed", "canceled", "timeout")

if TYPE_CHECKING:
    from context_ls.history.model import Call
    from context_ls.history.normalize import Plan


def sniff(value: Any) -> int:
    if not isinstance(value, dict) or not isinstance(value.get("type"), str):
        return 0
    if value["type"] in ("tool_call", "tool_output") and "call_id" in value:
        return 3
    return 1


def facts(value: Any) -> RecordFacts:
    if not isinstance(value, dict):
        return OTHER
    kind = str_or_none(value.get("type"))
    timestamp = stamp(value.get("timestamp"))
    if kind not in ("tool_call", "tool_output"):
        role = str_or_none(value.get("role"))
        item_kind = ItemKind.MESSAGE if role or kind == "message" else ItemKind.OTHER
        return RecordFacts(item_kind, role=role, timestamp=timestamp)
    call_id = usable_id(value.get("call_id"))
    if call_id is None:
        return RecordFacts(
            ItemKind.MESSAGE, missing_ids=((-1, f"{kind} without a call_id"),), timestamp=timestamp
        )
    if kind == "tool_call":
        tool = str_or_none(value.get("tool_name"))
        return RecordFacts(
            ItemKind.CALLS,
            role="assistant",
            calls=(CallFact(call_id, -1, "tool_call", tool),),
            timestamp=timestamp,
        )
    status = value.get("status")
    return RecordFacts(
        ItemKind.OUTPUTS,
        role="tool",
        outputs=(
            OutputFact(
                call_id, -1, "tool_output", status if isinstance(status, str) else repr(status)
            ),
        ),
        timestamp=timestamp,
    )


def synthetic_output(call_id: str, text: str, timestamp: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "type": "tool_output",
        "call_id": call_id,
        "status": "canceled",
        "content": text,
    }
    if timestamp is not None:
        record["timestamp"] = timestamp
    return record


def synthesize(plan: Plan, call: Call) -> None:
    # Repairs only: reading and `check` need no new record.
    from context_ls.history.new_records import NewRecord

    timestamp = plan.history.items[call.item].timestamp
    plan.insert(call.item, NewRecord(synthetic_output(call.call_id, plan.text, timestamp)))


DIALECT = Dialect(
    name=NAME,
    what="`tool_call` / `tool_output` records",
    shape="JSONL",
    sniff=sniff,
    facts=facts,
    # No provider's API reads this format: the texts say what goes wrong for the program
    # that reads the file, and findings do not quote them as an API's answer.
    api=ApiErrors(
        missing_output=lambda call: ReaderEffect(
            "no tool_output says how it ended, so a program that reads or resumes this file "
            "cannot tell whether the tool ran"
        ),
        orphan=lambda output: ReaderEffect(
            "a program that reads this file in order finds no earlier tool_call for it to answer"
        ),
        duplicate_call=ReaderEffect(
            "a program that pairs tool_output records by call_id cannot tell which call one answers"
        ),
    ),
    statuses=STATUSES,
    default_text=DEFAULT_SYNTHETIC_TEXT,
    synthesize=synthesize,
)
