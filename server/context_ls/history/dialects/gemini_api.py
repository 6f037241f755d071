"""Gemini API `contents`: `functionCall` parts of a model turn answered by
`functionResponse` parts of the next turn. Being built (issue 15): until then no record is
taken for one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from context_ls.history.dialects.base import ApiErrors, Dialect
from context_ls.history.facts import OTHER, RecordFacts

if TYPE_CHECKING:
    from context_ls.history.model import Call
    from context_ls.history.normalize import Plan

NAME = "gemini-api"
DEFAULT_SYNTHETIC_TEXT = "Tool execution was interrupted. Output was not received."
_COUNT_ERROR = (
    "Please ensure that the number of function response parts is equal to the number of "
    "function call parts of the function call turn."
)


_MARKS = ("functionCall", "functionResponse", "thoughtSignature", "inlineData", "fileData")


def sniff(value: Any) -> int:
    """A content: `{"role": "user"|"model", "parts": [...]}`; a model role or a part of
    Gemini's own kinds is its mark."""
    if not isinstance(value, dict) or not isinstance(value.get("parts"), list):
        return 0
    role = value.get("role")
    if role not in ("user", "model", None):
        return 0
    parts = value["parts"]
    if any(isinstance(p, dict) and any(k in p for k in _MARKS) for p in parts):
        return 3
    return 2 if role == "model" else 1


def facts(value: Any) -> RecordFacts:
    return OTHER


def synthesize(plan: Plan, call: Call) -> None:
    raise NotImplementedError("gemini-api repairs are not built yet")


DIALECT = Dialect(
    name=NAME,
    what="Gemini API `generateContent`",
    shape='`{"contents": […]}` or array of contents',
    sniff=sniff,
    facts=facts,
    api=ApiErrors(
        missing_output=lambda call: _COUNT_ERROR,
        orphan=lambda call_id: _COUNT_ERROR,
        duplicate_call=_COUNT_ERROR,
        misplaced_call_turn=(
            "Please ensure that function call turn comes immediately after a user turn or "
            "after a function response turn."
        ),
    ),
    default_text=DEFAULT_SYNTHETIC_TEXT,
    synthesize=synthesize,
)
