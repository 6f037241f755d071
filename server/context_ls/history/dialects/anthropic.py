"""Anthropic Messages: `tool_use` blocks in an assistant message answered by `tool_result`
blocks in the very next (user) message. The API combines consecutive messages of one role
into a single turn, so a run of them is one turn here too (`count_turns`), and repairs put
results after the whole run, never inside it."""

from __future__ import annotations

from array import array
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from context_ls.history.blocks import find_content
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
from context_ls.history.items import (
    CONVERSATION_CODES,
    FLAG_RESULTS_ONLY,
    KIND_CODES,
    Item,
    ItemKind,
    later,
    next_conversation,
)
from context_ls.history.text_blocks import (
    THINKING_TYPES,
    blank_text_problems,
    placing_reader,
    string_content_problem,
)

if TYPE_CHECKING:
    from context_ls.history.dialects.base import Moves
    from context_ls.history.doc_chunks import Elements
    from context_ls.history.docscan import Pick
    from context_ls.history.model import Call, History
    from context_ls.history.normalize import Plan

NAME = "anthropic"
DEFAULT_SYNTHETIC_TEXT = "Tool execution was interrupted. Output was not received."
CONTENT = ("content",)
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


def text_problems(
    content: Any, role: str | None, raw: bytes | None, path: tuple[str, ...]
) -> tuple[Problem, ...]:
    """H012: the blank text blocks of a message (`raw`: its record's bytes, to place them)."""
    if isinstance(content, str):
        blank = role == "user" and content != "" and not content.strip()
        return (string_content_problem(content, raw, path),) if blank else ()
    if not isinstance(content, list) or not any(map(_blank_text, content)):
        return ()
    texts: list[tuple[int, str]] = []
    thinking = False
    for index, block in enumerate(content):
        if isinstance(block, dict):
            kind = str_or_none(block.get("type"))
            if kind == "text" and isinstance(block.get("text"), str):
                texts.append((index, block["text"]))
            elif kind in THINKING_TYPES:
                thinking = True
    return blank_text_problems(texts, len(content), thinking, raw, path)


def _blank_text(block: Any) -> bool:
    """A text block of white space only (the common case, none, is told in one pass)."""
    if not isinstance(block, dict) or block.get("type") != "text":
        return False
    text = block.get("text")
    return isinstance(text, str) and not text.strip()


def facts(value: Any, raw: bytes | None = None) -> RecordFacts:
    if not isinstance(value, dict):
        return OTHER
    role = str_or_none(value.get("role"))
    if role is None:
        return OTHER
    content = value.get("content")
    calls, outputs, missing, only_results = content_facts(content)
    return RecordFacts(
        message_kind(calls, outputs),
        role=role,
        calls=calls,
        outputs=outputs,
        missing_ids=missing,
        only_results=only_results,
        problems=text_problems(content, role, raw, CONTENT),
    )


read_line = placing_reader(facts)


def synthetic_result(call_id: str, text: str) -> dict[str, Any]:
    return {"type": "tool_result", "tool_use_id": call_id, "content": text, "is_error": True}


API_ERRORS = ApiErrors(
    missing_output=lambda call: (
        f"`tool_use` ids were found without `tool_result` blocks immediately after: {call.call_id}"
    ),
    orphan=lambda output: (
        f"unexpected `tool_use_id` found in `tool_result` blocks: {output.call_id}"
    ),
    not_adjacent=lambda call_id: (
        f"`tool_use` ids were found without `tool_result` blocks immediately after: {call_id}"
    ),
    duplicate_call="Anthropic answers: `tool_use` ids must be unique",
)


# --- turns: a run of consecutive messages of one role is one turn ------------------------

_OUTPUTS = KIND_CODES[ItemKind.OUTPUTS]
_ROLES = ("user", "assistant")


def count_turns(history: History) -> None:
    """The API combines consecutive `user` (or `assistant`) messages into one turn: each
    run is one turn. A user message with results joins its run only while every message
    before it in the run holds results alone: in the combined turn its results would
    follow other blocks, which the API refuses; as a turn of its own, it is reported
    (H006) and its results move to the front."""
    records = history.items
    kinds, flags, roles = records.kinds, records.flags, records.roles
    turns = array("q", [-1]) * len(records)
    conversation = CONVERSATION_CODES
    turn, role, results_run = -1, None, False
    for row, kind in enumerate(kinds):
        if kind not in conversation:
            continue
        this = roles[row]
        results = bool(flags[row] & FLAG_RESULTS_ONLY)
        joins = this == role and this in _ROLES
        if joins and this == "user" and kind == _OUTPUTS and not results_run:
            joins = False
        if not joins:
            turn += 1
            results_run = True
        results_run = results_run and results
        role = this
        turns[row] = turn
    records.turns = turns


def run_end(item: Item) -> int:
    """The last record of the run (turn) `item` belongs to: what comes after its message."""
    end = item.index
    for after in later(item):
        if after.kind is ItemKind.OTHER or after.kind is ItemKind.MALFORMED:
            continue
        if after.turn != item.turn:
            break
        end = after.index
    return end


# --- repairs: results go into the user message right after their call's turn -------------


def synthesize(plan: Plan, call: Call) -> None:
    block = synthetic_result(call.call_id, plan.text)
    plan.deliver_block(call, plan.style.render(block, 2), call.call_id)


def reply_of(plan: Plan, call: Call) -> int | None:
    """The user message right after a call's turn, which its results go into (the first
    of a run of them: results come first in the combined turn)."""
    items = plan.history.items
    call_item = items[call.item]
    reply = next_conversation(items[run_end(call_item)])
    if (
        reply is not None
        and reply.role == "user"
        and reply.turn == call_item.turn + 1
        and find_content(plan.bytes_of(reply), CONTENT) is not None
    ):
        return reply.index
    return None


def _turn_of(plan: Plan, call: Call) -> int:
    """The call's turn, named by its last record (where what answers it goes after)."""
    return run_end(plan.history.items[call.item])


def output_anchor(item: Item) -> int:
    """A result message goes after the whole turn of its call, never inside it."""
    return run_end(item)


def _targets(plan: Plan) -> set[int]:
    """The call turns (`_turn_of`) that get result blocks delivered into their reply."""
    targets: set[int] = plan.state.setdefault("block_targets", set())
    return targets


def deliver_block(plan: Plan, call: Call, block: bytes, key: str) -> None:
    """Into the next user message, or into a new one after the call's turn."""
    # Repairs only: reading and `check` need no new record.
    from context_ls.history.new_records import NewRecord, raw_slot

    turn = _turn_of(plan, call)
    _targets(plan).add(turn)
    reply = reply_of(plan, call)
    if reply is not None:
        plan.prepend[reply].append(block)
        return
    # No user message follows: every result of this call's turn goes in one new one.
    new_replies: dict[int, NewRecord] = plan.state.setdefault("new_replies", {})
    new_message = new_replies.get(turn)
    if new_message is None:
        new_message = new_replies[turn] = NewRecord({"role": "user", "content": []})
        plan.insert(turn, new_message)
    new_message.value["content"].append(raw_slot(len(new_message.raws)))
    new_message.raws.append(block)


def keep_replies_whole(plan: Plan, whole: Moves, by_record: Moves) -> None:
    """Every result of one assistant turn goes in the one message after it: a message
    moves whole only when it alone brings results there. Otherwise its blocks go into
    that reply, which must not itself be a message on the move."""
    # A message of another role than the results' would stand where they belong and still
    # not be their answer: its blocks move instead.
    for index in [i for i in whole if plan.history.items[i].role != "user"]:
        del whole[index]
    separate = plan.dialect.turns is None  # a run of messages is not combined into one
    changed = True
    while changed:
        changed = False
        targets = set(_targets(plan))
        replies: set[int] = set(plan.prepend)
        movers: dict[int, int] = defaultdict(int)
        for index, moving in by_record.items():
            along = whole.get(index, {})
            if along:
                movers[_turn_of(plan, along[min(along)])] += 1
            for block, call in moving.items():
                if block in along:
                    continue
                targets.add(_turn_of(plan, call))
                reply = reply_of(plan, call)
                if reply is not None:
                    replies.add(reply)
        for index, along in list(whole.items()):
            call = along[min(along)]
            reply = reply_of(plan, call)
            # Bedrock refuses two user messages in a row: its blocks join the reply there.
            joins_reply = reply is not None and (
                separate or plan.history.items[reply].kind is ItemKind.OUTPUTS
            )
            turn = _turn_of(plan, call)
            if turn in targets or movers[turn] > 1 or joins_reply or index in replies:
                del whole[index]
                changed = True


def document_scan(data: bytes, elements: Elements) -> Pick | None:
    """`anthropic_scan.scan`, imported on first use (most processes never read a big
    document)."""
    from context_ls.history.dialects.anthropic_scan import scan

    return scan(data, elements)


DIALECT = Dialect(
    name=NAME,
    what="Anthropic Messages API",
    shape='`{"messages": […]}` or array of messages',
    sniff=sniff,
    facts=facts,
    read_line=read_line,
    document_scan=document_scan,
    subject=lambda value, block: get_path(value, "content", block),
    content_path=CONTENT,
    api=API_ERRORS,
    turns=count_turns,
    adjacency=True,
    results_role="user",  # tool_result blocks belong in a user message
    results_first=True,
    nonempty_text=True,
    default_text=DEFAULT_SYNTHETIC_TEXT,
    synthesize=synthesize,
    output_anchor=output_anchor,
    deliver_block=deliver_block,
    keep_whole=keep_replies_whole,
    move_titles={
        "record": "Move the message with the result of {call_id} {where} "
        "(the whole message, byte for byte)",
        "blocks": "Move the result of {call_id} into the message after its call "
        "(the message it leaves keeps its other blocks and fields)",
    },
    first_role="user",  # the API requires the first message to come from the user
)
