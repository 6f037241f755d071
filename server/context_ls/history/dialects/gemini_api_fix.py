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

if TYPE_CHECKING:
    from context_ls.history.dialects.base import Moves
    from context_ls.history.model import Call
    from context_ls.history.normalize import Plan

DEFAULT_SYNTHETIC_TEXT = "Tool execution was interrupted. Output was not received."
PARTS = ("parts",)
# Kinds of calls and outputs; those without an id are paired by name and order.
CALL = "functionCall"
CALL_BY_NAME = "functionCall (no id)"
RESPONSE_WITH_ID = "functionResponse "  # + the function's name (empty when none)
RESPONSE_BY_NAME = "functionResponse (no id) "  # + the function's name
# What a plan keeps between findings: blocks for the end of existing turns, new turns.
_APPENDS = "gemini_appends"
REPLY_ROLES = ("user", "function")  # the roles of a turn that answers calls
_NEW_TURNS = "gemini_new_turns"


def carries_id(kind: str) -> bool:
    """Whether an output of this kind came with its own id. The id-less kind starts with the
    other's prefix, and its call id is settled by pairing (a re-read copies it settled)."""
    return kind.startswith(RESPONSE_WITH_ID) and not kind.startswith(RESPONSE_BY_NAME)


def response_name(kind: str) -> str:
    """The function name an output's kind carries."""
    if kind.startswith(RESPONSE_BY_NAME):
        return kind[len(RESPONSE_BY_NAME) :]
    return kind[len(RESPONSE_WITH_ID) :]


def part_call(part: Any) -> Any:
    """A part's function call, in either spelling proto3 JSON takes."""
    return _field(part, "functionCall", "function_call")


def part_response(part: Any) -> Any:
    return _field(part, "functionResponse", "function_response")


def _field(part: Any, camel: str, snake: str) -> Any:
    if not isinstance(part, dict):
        return None
    value = part.get(camel)
    return part.get(snake) if value is None else value


def synthetic_response(call: Call, text: str, snake: bool = False) -> dict[str, Any]:
    """An error response to `call`, with its id when the call has one; `snake`: the file
    spells its fields in snake_case."""
    response: dict[str, Any] = {"id": call.call_id} if call.kind == CALL else {}
    response["name"] = call.tool or ""
    response["response"] = {"error": text}
    return {"function_response" if snake else "functionResponse": response}


def synthesize(plan: Plan, call: Call) -> None:
    record = plan.bytes_of(plan.history.items[call.item])
    snake = b'"function_call"' in record and b'"functionCall"' not in record
    block = plan.style.render(synthetic_response(call, plan.text, snake), 2)
    deliver_block(plan, call, block, call.call_id)


def reply_of(plan: Plan, call: Call) -> int | None:
    """The user turn right after a call's turn, which its responses go into."""
    call_item = plan.history.items[call.item]
    reply = next_conversation(call_item)
    if (
        reply is None
        or reply.role not in REPLY_ROLES
        or reply.turn != call_item.turn + 1
        or reply.index in plan.remove_items
    ):
        return None
    content = find_content(plan.bytes_of(reply), PARTS)
    return reply.index if content is not None and content.is_array else None


def deliver_block(plan: Plan, call: Call, block: bytes, key: str) -> None:
    """At the end of the next user turn, or in a new user turn after the call's turn (one
    for all the responses of that turn)."""
    # Repairs only: reading and `check` need no new record.
    from context_ls.history.new_records import NewRecord, raw_slot

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
    from context_ls.history.moves import _move_block  # repairs only: `check` moves nothing

    whole.clear()
    moving = dict(by_record)
    by_record.clear()
    _keep_turns_before_calls(plan, moving)
    for index, blocks in moving.items():
        for block, call in sorted(blocks.items()):
            _move_block(plan, index, block, call)
    _rejoin_call_turns(plan)
    appends: dict[int, list[bytes]] = plan.state.get(_APPENDS, {})
    for reply in list(appends):
        content = _parts(plan, reply)
        removed = plan.remove_blocks.get(reply, set())
        if content is not None and len(removed) >= len(content.elements):
            plan.prepend[reply].extend(appends.pop(reply))


def _keep_turns_before_calls(plan: Plan, moving: Moves) -> None:
    """A user turn whose responses all go (removed, or moved next to their calls) leaves
    the turn after it where it stood; a call turn there must still follow a user or a
    response turn, or join the model turns before it (`_rejoin_call_turns`). Where neither
    can be, the turn keeps its responses, reported, rather than make it worse."""
    while True:
        receivers = set(plan.state.get(_APPENDS, {}))
        new_turns = {i for i, records in plan.insert_after.items() if records}
        for blocks in moving.values():
            for call in blocks.values():
                reply = reply_of(plan, call)
                if reply is None:
                    new_turns.add(call.item)
                else:
                    receivers.add(reply)
        kept: list[Item] = []
        gap: list[int] = []
        stuck: int | None = None
        for item in plan.history.items:
            if item.kind not in CONVERSATION:
                continue
            leaving = moving.get(item.index, {}).keys()
            if item.index not in receivers and _gone(plan, item.index, leaving):
                gap.append(item.index)
                continue
            if gap and item.kind is ItemKind.CALLS and not _placed(plan, kept, new_turns):
                users = [g for g in gap if _user_turn(plan, g)]
                if users:
                    stuck = users[-1]
                    break
            kept.append(item)
            gap = []
        if stuck is None:
            return
        moving.pop(stuck, None)
        plan.remove_blocks.pop(stuck, None)


def _placed(plan: Plan, kept: list[Item], new_turns: set[int]) -> bool:
    """Whether a call turn may come after `kept` (the turns the repair keeps before it):
    right after a user or response turn, or joined to the model turns before it."""
    return bool(kept) and (_answerable(kept[-1]) or _join_start(kept, new_turns) is not None)


def _join_start(kept: list[Item], new_turns: set[int]) -> int | None:
    """Where in `kept` the model turns a call turn may join begin (the first of them follows
    a user or response turn, or a new user turn inserted after one of `new_turns`); None
    when it may join none."""
    if not _said(kept[-1:]):
        return None

    def after_new_turn(at: int) -> bool:
        return any(i in new_turns for i in range(kept[at - 1].index, kept[at].index))

    first = len(kept) - 1
    while first > 0 and _said(kept[first - 1 : first]) and not after_new_turn(first):
        first -= 1
    if first > 0 and (_answerable(kept[first - 1]) or after_new_turn(first)):
        return first
    return None


def _user_turn(plan: Plan, index: int) -> bool:
    return index not in plan.remove_items and plan.history.items[index].role in REPLY_ROLES


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
            new_turns = {i for i, records in plan.insert_after.items() if records}
            first = _join_start(kept, new_turns) if kept else None
            if first is not None:
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
        if _user_turn(plan, index) and not moved:
            plan.remove_blocks.pop(index, None)
            return index
    return None


def _said(items: list[Item]) -> bool:
    """`items` is one model turn without calls (what the model said)."""
    return bool(items) and items[0].role == "model" and items[0].kind is ItemKind.MESSAGE


def _answerable(item: Item) -> bool:
    """A call turn may follow `item`: a user turn or a turn of responses."""
    return item.role in REPLY_ROLES or item.kind is ItemKind.OUTPUTS


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
