"""AWS Bedrock Converse: `toolUse` blocks of an assistant message answered by `toolResult`
blocks in the single next user message. Blocks are objects keyed by their kind
(`{"toolUse": {…}}`), never `{"type": …}` as in Anthropic or Chat: that is the mark that
tells a Bedrock body from theirs under the same `messages` key. Repairs go the Anthropic
way (results first in the next user message), with Bedrock's blocks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from context_ls.history.blocks import find_content
from context_ls.history.dialects import anthropic
from context_ls.history.dialects.base import ApiErrors, Dialect
from context_ls.history.facts import (
    OTHER,
    CallFact,
    OutputFact,
    Problem,
    RecordFacts,
    get_path,
    message_kind,
    str_or_none,
    usable_id,
)
from context_ls.history.text_blocks import blank_text_problems, placing_reader

if TYPE_CHECKING:
    from context_ls.history.model import Call
    from context_ls.history.normalize import Plan

NAME = "bedrock-converse"
DEFAULT_SYNTHETIC_TEXT = "Tool execution was interrupted. Output was not received."
CONTENT = ("content",)
ROLES = ("user", "assistant")
# Block kinds only Bedrock writes, and those it shares by name with plain text blocks.
_OWN_BLOCKS = ("toolUse", "toolResult", "reasoningContent", "cachePoint", "guardContent")
_PLAIN_BLOCKS = ("text", "image", "document", "video", "citationsContent")


def sniff(value: Any) -> int:
    """A message whose content blocks are objects keyed by kind, without a `type`."""
    if not isinstance(value, dict) or value.get("role") not in ROLES:
        return 0
    content = value.get("content")
    if not isinstance(content, list):
        return 0
    score = 1
    for block in content:
        if not isinstance(block, dict) or "type" in block:
            return 0  # an Anthropic or Chat block
        if any(key in block for key in _OWN_BLOCKS):
            score = 3
        elif score < 2 and any(key in block for key in _PLAIN_BLOCKS):
            score = 2
    return score


def facts(value: Any, raw: bytes | None = None) -> RecordFacts:
    """What a message says; `raw`, its bytes, places its blank text blocks (H012)."""
    if not isinstance(value, dict):
        return OTHER
    role = str_or_none(value.get("role"))
    content = value.get("content")
    if role is None or not isinstance(content, list):
        return OTHER
    calls: list[CallFact] = []
    outputs: list[OutputFact] = []
    missing: list[tuple[int, str]] = []
    blank = False  # a text block without real text (H012): rare, looked at again then
    empty: list[Problem] = []  # error results without content (H013)
    for index, block in enumerate(content):
        if not isinstance(block, dict):
            continue
        use, result, text = block.get("toolUse"), block.get("toolResult"), block.get("text")
        if isinstance(use, dict):
            call_id = usable_id(use.get("toolUseId"))
            if call_id is None:
                missing.append((index, "toolUse block without a toolUseId"))
            else:
                calls.append(CallFact(call_id, index, "toolUse", str_or_none(use.get("name"))))
        elif isinstance(result, dict):
            call_id = usable_id(result.get("toolUseId"))
            if call_id is None:
                missing.append((index, "toolResult block without a toolUseId"))
            else:
                status = str_or_none(result.get("status"))
                outputs.append(OutputFact(call_id, index, "toolResult", status))
                if status == "error" and not result.get("content"):
                    empty.append(_empty_error(call_id, index, raw))
        elif isinstance(text, str) and not text.strip():
            blank = True
    return RecordFacts(
        message_kind(tuple(calls), tuple(outputs)),
        role=role,
        calls=tuple(calls),
        outputs=tuple(outputs),
        missing_ids=tuple(missing),
        only_results=bool(content) and len(outputs) == len(content),
        problems=(*text_problems(content, raw), *empty) if blank else tuple(empty),
    )


# Bedrock's answer to a blank text block (N: the message, M: the block, from 0).
BLANK_ERROR = (
    "The text field in the ContentBlock object at messages.N.content.M is blank. Add text to "
    "the text field, and try again."
)


def _empty_error(call_id: str, block: int, raw: bytes | None) -> Problem:
    """H013: an error result without content, placed on its block when the bytes are at hand."""
    start, end = 0, -1
    found = find_content(raw, CONTENT) if raw is not None else None
    if found is not None and found.is_array and block < len(found.elements):
        start, end = found.elements[block]
    api_error = (
        f"The content field at messages.N.content.{block}.toolResult cannot be empty when "
        "status value is error."
    )
    fields = (("call_id", call_id), ("block", str(block)), ("api_error", api_error))
    return Problem("H013", -1, "", fields, start, end)


def text_problems(content: list[Any], raw: bytes | None) -> tuple[Problem, ...]:
    """H012: the blank text blocks of a message (reasoning blocks are its thinking)."""
    texts = [
        (index, block["text"])
        for index, block in enumerate(content)
        if isinstance(block, dict) and isinstance(block.get("text"), str)
    ]
    thinking = any(isinstance(b, dict) and "reasoningContent" in b for b in content)
    return blank_text_problems(
        texts, len(content), thinking, raw, CONTENT, (BLANK_ERROR, BLANK_ERROR)
    )


def subject(value: Any, block: int) -> Any:
    """The `toolUse` or `toolResult` object of a block (hovers read its input, content)."""
    part = get_path(value, "content", block)
    if isinstance(part, dict):
        inner = part.get("toolUse", part.get("toolResult"))
        if isinstance(inner, dict):
            return inner
    return part


def synthetic_result(call_id: str, text: str) -> dict[str, Any]:
    """An error result: Bedrock refuses one whose content is empty."""
    return {"toolResult": {"toolUseId": call_id, "content": [{"text": text}], "status": "error"}}


def synthesize(plan: Plan, call: Call) -> None:
    block = synthetic_result(call.call_id, plan.text)
    plan.deliver_block(call, plan.style.render(block, 2), call.call_id)


def _expected(call: Call) -> str:
    """Bedrock names the message after the call's (`messages.N` counts from 0)."""
    return (
        f"Expected toolResult blocks at messages.{call.item + 1}.content for the following "
        f"Ids: {call.call_id}"
    )


DIALECT = Dialect(
    name=NAME,
    what="AWS Bedrock Converse API",
    shape='`{"messages": […]}` with `toolUse`/`toolResult` blocks',
    sniff=sniff,
    facts=facts,
    read_line=placing_reader(facts),
    subject=subject,
    content_path=CONTENT,
    api=ApiErrors(
        missing_output=_expected,
        orphan=lambda output: (
            f"The number of toolResult blocks at messages.{output.item}.content exceeds the "
            "number of toolUse blocks of previous turn."
        ),
        not_adjacent=lambda call_id: (
            "Expected toolResult blocks at messages.N.content for the following Ids: "
            f"{call_id} (N: the message right after the call's)"
        ),
        duplicate_call=(
            "Bedrock answers `The toolUse blocks at messages.N.content contain duplicate Ids` "
            "for a repeat in one message"
        ),
    ),
    adjacency=True,
    results_role="user",
    results_first=True,
    nonempty_text=True,
    default_text=DEFAULT_SYNTHETIC_TEXT,
    synthesize=synthesize,
    deliver_block=anthropic.deliver_block,
    keep_whole=anthropic.keep_replies_whole,
    move_titles={
        "record": "Move the message with the result of {call_id} {where} "
        "(the whole message, byte for byte)",
        "blocks": "Move the result of {call_id} into the message after its call "
        "(the message it leaves keeps its other blocks and fields)",
    },
    first_role="user",
)
