"""Adjacency (H006 in the dialects that require it): is a call's output in the message
right after the call's? Chained records (Claude Code) say so through their parent links;
otherwise the turns the dialect counted decide."""

from __future__ import annotations

from typing import TYPE_CHECKING

from context_ls.history.items import Item, ItemKind

if TYPE_CHECKING:
    from context_ls.history.model import Call
    from context_ls.history.validate import Pairs


def not_adjacent_calls(p: Pairs) -> list[Call]:
    """The answered calls whose kept output comes later but not in the message right
    after theirs. Read from the columns: a keystroke in a big history validates it again,
    and a view per call and output was most of the cost."""
    items, first_outputs = p.history.items, p.first_outputs
    turns, roles, threads = items.turns, items.roles, items.threads
    role = p.dialect.results_role
    chained = p.chain and items.uuids is not None
    uuids = items.uuids or ()
    found: list[Call] = []
    for call in p.answered:
        row, at = call.item, first_outputs[call.call_id].item
        if at < row:
            continue
        if role is not None and roles[at] != role:
            found.append(call)
        elif chained and uuids[row]:
            if not adjacent(p, items[row], items[at]):
                found.append(call)
        elif turns[at] != turns[row] + 1 or (threads is not None and threads[at] != threads[row]):
            found.append(call)
    return found


def adjacent(p: Pairs, call_item: Item, output_item: Item) -> bool:
    """Is the output in the message right after its call's message? Chained records say
    so through their parent links (walk up over result lines and non-message lines to the
    assistant message); without a link, the order of turns in the file decides."""
    role = p.dialect.results_role
    if role is not None and output_item.role != role:
        return False
    by_chain = _reply_of_by_chain(p.chain, output_item) if call_item.uuid else None
    if by_chain is not None:
        return by_chain.index == call_item.index or (
            by_chain.message_id is not None and by_chain.message_id == call_item.message_id
        )
    return output_item.thread == call_item.thread and output_item.turn == call_item.turn + 1


def _reply_of_by_chain(chain: dict[str, int], output_item: Item) -> Item | None:
    """The assistant line a result line answers, following parents; None when unknown."""
    if not chain or output_item.parent_uuid is None:
        return None
    items = output_item.records
    seen: set[str] = set()
    row = chain.get(output_item.parent_uuid)
    node = None if row is None else items[row]
    while node is not None and node.uuid not in seen:
        if node.role == "assistant" and node.kind is not ItemKind.OTHER:
            return node
        if node.role == "user" and not node.results_only and node.kind is not ItemKind.OTHER:
            return node  # a user message stands between: not adjacent
        seen.add(node.uuid or "")
        row = chain.get(node.parent_uuid) if node.parent_uuid else None
        node = None if row is None else items[row]
    return None
