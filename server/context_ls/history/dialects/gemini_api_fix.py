"""Repairs of Gemini API `contents`: a response goes at the END of the user turn right after
its call's turn (a new user turn when none follows), so that responses paired by name and
order keep their rank; orphan and extra responses are removed. Call parts, and the
`thoughtSignature` beside them, are never touched."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from context_ls.history.blocks import Content, find_content
from context_ls.history.items import CONVERSATION, Item, ItemKind, next_conversation
from context_ls.history.model import Span, TextEdit
from context_ls.history.moves import _move_block
from context_ls.history.new_records import NewRecord, raw_slot

if TYPE_CHECKING:
    from context_ls.history.dialects.base import Moves
    from context_ls.history.model import Call
    from context_ls.history.normalize import Plan

DEFAULT_SYNTHETIC_TEXT = "Tool execution was interrupted. Output was not received."
PARTS = ("parts",)
# Kinds of calls and outputs; those without an id are paired by name and order.
CALL = "functionCall"
CALL_BY_NAME = "functionCall (no id)"
RESPONSE = "functionResponse"
RESPONSE_BY_NAME = "functionResponse (no id) "  # + the function's name
# What a plan keeps between findings: blocks for the end of existing turns, new turns.
_APPENDS = "gemini_appends"
_NEW_TURNS = "gemini_new_turns"


def synthetic_response(call: Call, text: str) -> dict[str, Any]:
    """An error response to `call`, with its id when the call has one."""
    response: dict[str, Any] = {"id": call.call_id} if call.kind == CALL else {}
    response["name"] = call.tool or ""
    response["response"] = {"error": text}
    return {"functionResponse": response}


def synthesize(plan: Plan, call: Call) -> None:
    block = plan.style.render(synthetic_response(call, plan.text), 2)
    deliver_block(plan, call, block, call.call_id)


def reply_of(plan: Plan, call: Call) -> int | None:
    """The user turn right after a call's turn, which its responses go into."""
    call_item = plan.history.items[call.item]
    reply = next_conversation(call_item)
    if (
        reply is None
        or reply.role not in ("user", "function")
        or reply.turn != call_item.turn + 1
        or reply.index in plan.remove_items
    ):
        return None
    content = find_content(plan.bytes_of(reply), PARTS)
    return reply.index if content is not None and content.is_array else None


def deliver_block(plan: Plan, call: Call, block: bytes, key: str) -> None:
    """At the end of the next user turn, or in a new user turn after the call's turn (one
    for all the responses of that turn)."""
    reply = reply_of(plan, call)
    if reply is not None:
        appends: dict[int, list[bytes]] = plan.state.setdefault(_APPENDS, {})
        appends.setdefault(reply, []).append(block)
        return
    new_turns: dict[int, NewRecord] = plan.state.setdefault(_NEW_TURNS, {})
    turn = new_turns.get(call.item)
    if turn is None:
        turn = new_turns[call.item] = NewRecord({"role": "user", "parts": []})
        plan.insert(call.item, turn)
    turn.value["parts"].append(raw_slot(len(turn.raws)))
    turn.raws.append(block)


def settle_moves(plan: Plan, whole: Moves, by_record: Moves) -> None:
    """Responses move part by part (a turn never moves whole: the turn after the call may
    already hold some of its responses), then what goes at the end of a turn of which
    every part leaves becomes its only content."""
    whole.clear()
    moving = dict(by_record)
    by_record.clear()
    kept = _first_turn_kept(plan, moving)
    if kept is not None:
        moving.pop(kept, None)
        plan.remove_blocks.pop(kept, None)
    for index, blocks in moving.items():
        for block, call in sorted(blocks.items()):
            _move_block(plan, index, block, call)
    appends: dict[int, list[bytes]] = plan.state.get(_APPENDS, {})
    for reply in list(appends):
        content = _parts(plan, reply)
        removed = plan.remove_blocks.get(reply, set())
        if content is not None and len(removed) >= len(content.elements):
            plan.prepend[reply].extend(appends.pop(reply))
    _rejoin_call_turns(plan)


def _first_turn_kept(plan: Plan, moving: Moves) -> int | None:
    """The first turn, when emptying it would leave a call turn first in the history (H006,
    which has no fix): its responses then stay where they are, reported, rather than make
    it worse."""
    conversation = (item for item in plan.history.items if item.kind in CONVERSATION)
    first = next(conversation, None)
    if first is None or first.index in plan.remove_items:
        return None
    if not _gone(plan, first.index, moving.get(first.index, {}).keys()):
        return None
    after = next(
        (i for i in conversation if not _gone(plan, i.index, moving.get(i.index, {}).keys())),
        None,
    )
    return first.index if after is not None and after.kind is ItemKind.CALLS else None


def _gone(plan: Plan, index: int, leaving: Iterable[int] = ()) -> bool:
    """Whether the repair leaves nothing of record `index` (it is removed whole), `leaving`
    also taken out of it."""
    if index in plan.remove_items:
        return True
    removed = plan.remove_blocks.get(index, set()) | set(leaving)
    if not removed or plan.prepend.get(index) or index in plan.state.get(_APPENDS, {}):
        return False
    content = _parts(plan, index)
    return content is not None and len(removed) >= len(content.elements)


def _rejoin_call_turns(plan: Plan) -> None:
    """A user turn the repair empties may have stood between what the model said and its
    next turn of calls; Gemini wants a call turn right after a user turn or a response turn
    (H006). Those calls then join the model turns before them, back to the first one that
    follows a user or a response turn: one model turn, every part byte for byte. When no
    such turn is before them, the emptied turn keeps its responses (reported, not fixed)."""
    items = plan.history.items
    kept: list[Item] = []
    gap: list[int] = []  # the turns the repair removed since the last one kept
    for item in items:
        if item.kind not in CONVERSATION:
            continue
        if _gone(plan, item.index):
            gap.append(item.index)
            continue
        if gap and item.kind is ItemKind.CALLS and (not kept or _said(kept[-1:])):
            first = len(kept) - 1
            while first > 0 and _said(kept[first - 1 : first]) and not _new_turn(plan, kept, first):
                first -= 1
            if first > 0 and (_answerable(kept[first - 1]) or _new_turn(plan, kept, first)):
                _join(plan, kept[first], [*kept[first + 1 :], item])
                del kept[first + 1 :]
                gap = []
                continue
            back = _keep_a_turn(plan, gap)
            if back is not None:
                kept.append(items[back])
        kept.append(item)
        gap = []


def _keep_a_turn(plan: Plan, gap: list[int]) -> int | None:
    """The last user turn of `gap` whose parts only go (none moves elsewhere), kept as it
    is; None when there is none."""
    for index in reversed(gap):
        moved = any(record == index for record, _ in plan.moved_blocks)
        user = plan.history.items[index].role in ("user", "function")
        if user and not moved and index not in plan.remove_items:
            plan.remove_blocks.pop(index, None)
            return index
    return None


def _said(items: list[Item]) -> bool:
    """`items` is one model turn without calls (what the model said)."""
    return bool(items) and items[0].role == "model" and items[0].kind is ItemKind.MESSAGE


def _new_turn(plan: Plan, kept: list[Item], at: int) -> bool:
    """Whether the repair puts a new user turn right before `kept[at]` (its responses to
    the calls before; inserted after a record, or after the last kept one before it)."""
    return any(plan.insert_after.get(i) for i in range(kept[at - 1].index, kept[at].index))


def _answerable(item: Item) -> bool:
    """A call turn may follow `item`: a user turn or a turn of responses."""
    return item.role == "user" or item.kind is ItemKind.OUTPUTS


def _join(plan: Plan, target: Item, turns: list[Item]) -> None:
    """The parts of `turns` go at the end of `target`; the turns go."""
    joined: list[bytes] = plan.state.setdefault(_APPENDS, {}).setdefault(target.index, [])
    for turn in turns:
        content = _parts(plan, turn.index)
        record = plan.bytes_of(turn)
        if content is not None:
            joined.extend(record[start:end] for start, end in content.elements)
        plan.remove_items.add(turn.index)


def record_edits(plan: Plan) -> list[TextEdit]:
    """Responses written after the last part of their turn."""
    edits: list[TextEdit] = []
    for reply, blocks in plan.state.get(_APPENDS, {}).items():
        content = _parts(plan, reply)
        removed = plan.remove_blocks.get(reply, set())
        if content is None or len(removed) >= len(content.elements):
            continue  # settled into `prepend` (a plan always settles before its edits)
        record = plan.bytes_of(plan.history.items[reply])
        at = plan.history.items[reply].span.start + content.elements[-1][1]
        separator = _separator(plan, record, content)
        edits.append(TextEdit(Span(at, at), b"".join(separator + b for b in blocks)))
    return edits


def _parts(plan: Plan, index: int) -> Content | None:
    content = find_content(plan.bytes_of(plan.history.items[index]), PARTS)
    return content if content is not None and content.is_array else None


def _separator(plan: Plan, record: bytes, content: Content) -> bytes:
    """What the turn puts between two parts (`,` and its white space)."""
    elements = content.elements
    if len(elements) > 1:
        return record[elements[-2][1] : elements[-1][0]]
    gap = record[content.start + 1 : elements[0][0]]
    if b"\n" in gap and not gap.strip():
        return b"," + gap
    return plan.style.item_separators[0].encode()
