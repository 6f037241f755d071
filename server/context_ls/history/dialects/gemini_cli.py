"""Gemini CLI sessions (`~/.gemini/tmp/<hash>/chats/session-*.json` and `.jsonl`): a tool
call carries its own result. Being built (issue 15): until then no record is taken for one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from context_ls.history.dialects.base import ApiErrors, Dialect
from context_ls.history.facts import OTHER, RecordFacts

if TYPE_CHECKING:
    from context_ls.history.model import Call
    from context_ls.history.normalize import Plan

NAME = "gemini-cli"
DEFAULT_SYNTHETIC_TEXT = "[Operation Cancelled] Reason: the session ended before the tool returned."
_COUNT_ERROR = (
    "Please ensure that the number of function response parts is equal to the number of "
    "function call parts of the function call turn."
)


def sniff(value: Any) -> int:
    return 0


def facts(value: Any) -> RecordFacts:
    return OTHER


def synthesize(plan: Plan, call: Call) -> None:
    raise NotImplementedError("gemini-cli repairs are not built yet")


DIALECT = Dialect(
    name=NAME,
    what="Gemini CLI sessions",
    shape="JSON session file, or JSONL upsert log",
    sniff=sniff,
    facts=facts,
    api=ApiErrors(
        missing_output=lambda call: _COUNT_ERROR,
        orphan=lambda call_id: _COUNT_ERROR,
        duplicate_call=_COUNT_ERROR,
    ),
    default_text=DEFAULT_SYNTHETIC_TEXT,
    synthesize=synthesize,
)
