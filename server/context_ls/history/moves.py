"""Moving misplaced outputs next to their call (H005, H006), once a plan has every finding.

A misplaced output whose record holds nothing else moves as a whole record, byte for byte
(a Claude Code line keeps its uuid, timestamp, `toolUseResult` and unknown fields; only
its `parentUuid` link changes). Only when its record also holds blocks that stay do the
moving blocks leave it, and the record with all its fields stays with those blocks."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING

from context_ls.history.blocks import find_content, removal_ranges
from context_ls.history.model import Call
from context_ls.history.new_records import MovedRecord

if TYPE_CHECKING:
    from context_ls.history.dialects.base import Moves
    from context_ls.history.normalize import Plan


def settle(plan: Plan) -> None:
    """Make the moves. A record of which nothing stays (every block moves or goes anyway)
    moves as a whole, next to the call of its first moving block; blocks bound elsewhere
    leave it. Records that keep some blocks let their moving blocks go."""
    noted, plan.moves = plan.moves, []
    by_record: Moves = defaultdict(dict)
    for output, call in noted:
        gone = output.item in plan.remove_items or output.block in plan.remove_blocks.get(
            output.item, ()
        )
        if not gone:
            by_record[output.item].setdefault(output.block, call)
    dialect = plan.dialect
    blocky = dialect.blocks
    whole: Moves = {}
    for index, moving in by_record.items():
        if not blocky or -1 in moving:
            _move_record(plan, index, moving[min(moving)], ())
        elif _nothing_stays(plan, index, moving):
            place = _destination(plan, moving[min(moving)])
            whole[index] = {b: c for b, c in moving.items() if _destination(plan, c) == place}
    if dialect.keep_whole is not None:
        dialect.keep_whole(plan, whole, by_record)
    for index, moving in by_record.items():
        if not blocky or -1 in moving:
            continue
        along = whole.get(index, {})
        for block, call in sorted(moving.items()):
            if block not in along:
                _move_block(plan, index, block, call)
        if along:
            dropped = plan.remove_blocks.pop(index, set()) - along.keys()
            _move_record(plan, index, along[min(along)], dropped)


def _nothing_stays(plan: Plan, index: int, moving: dict[int, Call]) -> bool:
    """Every block of the record moves or is removed anyway, and no other repair puts
    blocks into it."""
    content = find_content(plan.bytes_of(plan.history.items[index]), plan.content_path())
    if content is None or not content.is_array or index in plan.prepend:
        return False
    blocks = set(range(len(content.elements)))
    return moving.keys() <= blocks <= moving.keys() | plan.remove_blocks.get(index, set())


def _destination(plan: Plan, call: Call) -> int:
    """Where a result of `call` goes (its message's blocks go to one place)."""
    return plan.dialect.anchor(plan.history.items[call.item])


def _move_record(plan: Plan, index: int, call: Call, dropped: Iterable[int]) -> None:
    """The whole record goes next to its call, byte for byte but for the blocks that go
    anyway and (chained dialects) its parent link."""
    items = plan.history.items
    item = items[index]
    raw = plan.bytes_of(item)
    dropped = set(dropped)
    if dropped:
        content = find_content(raw, plan.content_path())
        if content is not None:
            for start, end in reversed(removal_ranges(content.elements, dropped)):
                raw = raw[:start] + raw[end:]
    plan.remove_items.add(index)
    plan.remove_blocks.pop(index, None)
    anchor = plan.dialect.anchor(items[call.item])
    chain = plan.dialect.chain
    if chain is not None:
        # Moved lines go first at their place, so the first of them may keep the parent
        # it names (new lines chain on after it).
        call_uuid = items[call.item].uuid
        own = chain.moved_parent(plan.value(index), call_uuid) if call_uuid else None
        at = sum(isinstance(r, MovedRecord) for r in plan.insert_after[anchor])
        plan.insert_after[anchor].insert(at, MovedRecord(raw, item.uuid, item.parent_uuid, own))
    else:
        plan.insert(anchor, MovedRecord(raw))
    plan.moved_records.add(index)


def _move_block(plan: Plan, index: int, block: int, call: Call) -> None:
    """One block leaves a record that stays (with its other blocks and its fields)."""
    item = plan.history.items[index]
    content = find_content(plan.bytes_of(item), plan.content_path())
    if content is None or block >= len(content.elements):
        return
    plan.remove_blocks[index].add(block)
    start, end = content.elements[block]
    plan.deliver_block(call, plan.bytes_of(item)[start:end], f"moved:{call.call_id}")
    plan.moved_blocks.add((index, block))
