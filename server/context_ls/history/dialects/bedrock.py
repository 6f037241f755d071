"""AWS Bedrock Converse: `toolUse` blocks of an assistant message answered by `toolResult`
blocks in the single next user message. Being built (issue 15): until then no record is
taken for one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from context_ls.history.dialects.base import ApiErrors, Dialect
from context_ls.history.facts import OTHER, RecordFacts

if TYPE_CHECKING:
    from context_ls.history.model import Call
    from context_ls.history.normalize import Plan

NAME = "bedrock-converse"
DEFAULT_SYNTHETIC_TEXT = "Tool execution was interrupted. Output was not received."


def sniff(value: Any) -> int:
    return 0


def facts(value: Any) -> RecordFacts:
    return OTHER


def synthesize(plan: Plan, call: Call) -> None:
    raise NotImplementedError("bedrock-converse repairs are not built yet")


DIALECT = Dialect(
    name=NAME,
    what="AWS Bedrock Converse API",
    shape='`{"messages": […]}` with `toolUse`/`toolResult` blocks',
    sniff=sniff,
    facts=facts,
    api=ApiErrors(
        missing_output=lambda call: (
            f"Expected toolResult blocks at messages.{call.item + 1}.content for the "
            f"following Ids: {call.call_id}"
        ),
        orphan=lambda call_id: (
            "The number of toolResult blocks exceeds the number of toolUse blocks of previous turn."
        ),
        duplicate_call="Bedrock answers: toolUseId values must be unique",
    ),
    results_first=True,
    nonempty_text=True,
    default_text=DEFAULT_SYNTHETIC_TEXT,
    synthesize=synthesize,
)
