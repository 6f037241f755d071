"""Claude Code's conversation tree: which lines a resumed session sends again (the path
from the newest line up the `parentUuid` links, with the lines Claude Code 2.1 hangs off
it), and the turns of those lines. A line's `turn` is the API message it belongs to."""

from __future__ import annotations

from array import array

from context_ls.history.items import (
    CONVERSATION_CODES,
    FLAG_ABANDONED,
    FLAG_RESULTS_ONLY,
    Item,
    ItemKind,
    later,
)
from context_ls.history.model import History, Records


def count_turns(history: History) -> None:
    """Mark the branches a rewind left behind, then count the turns of the rest."""
    history.items.turns = array("q", [-1]) * len(history.items)
    mark_abandoned_branches(history)
    _claude_code_turns(history)


class _ThreadTurns:
    """Turn bookkeeping of one Claude Code conversation."""

    __slots__ = ("assistant_id", "assistant_turn", "last_turn", "results_turn", "state")

    def __init__(self) -> None:
        self.last_turn = -1
        self.assistant_turn = self.results_turn = -1
        self.assistant_id: str | None = None
        self.state = ""  # what the previous conversation line was: assistant | results | user


def mark_abandoned_branches(history: History) -> None:
    """After a rewind the conversation goes on from an earlier line; the lines of the branch
    left behind stay in the file but are not sent again. A line is abandoned when its chain
    of parents joins the active path (leaf to root) somewhere above it. Chains that never
    join it (before a compaction, after a broken link) keep their file order. (Read on the
    columns: a view per record and field cost ~130 ms a keystroke in a 40 MB transcript.)"""
    records = history.items
    records.clear_abandoned()  # the records may be copied from an earlier read
    uuids, parents, threads = records.uuids, records.parent_uuids, records.threads
    if uuids is None or parents is None or not any(parents):
        return
    by_uuid: dict[str, int] = {}  # uuid -> row, main conversation only
    for row, uuid in enumerate(uuids):
        if uuid and (threads is None or not threads[row]):
            if uuid in by_uuid:
                return  # uuids that repeat make the chain ambiguous: file order it is
            by_uuid[uuid] = row
    conversation, kinds = CONVERSATION_CODES, records.kinds
    leaf = next(
        (
            row
            for row in range(len(uuids) - 1, -1, -1)
            if uuids[row] and (threads is None or not threads[row]) and kinds[row] in conversation
        ),
        None,
    )
    if leaf is None:
        return
    active: set[str] = set()
    node: int | None = leaf
    while node is not None and (uuid := uuids[node]) and uuid not in active:
        active.add(uuid)
        parent = parents[node]
        node = by_uuid.get(parent) if parent else None
    _reattach_parallel_lines(records, active, by_uuid)
    joins: dict[str, bool] = {}
    for row, uuid in enumerate(uuids):
        if not uuid or uuid in active or (threads is not None and threads[row]):
            continue
        if _joins_active_path(row, uuids, parents, by_uuid, active, joins):
            records[row].abandoned = True


def _reattach_parallel_lines(records: Records, active: set[str], by_uuid: dict[str, int]) -> None:
    """Claude Code 2.1 writes one API response as a chain of assistant lines and hangs each
    tool result off its own call's line, so the leaf-to-root path misses the sibling lines of
    a parallel batch. Its loader puts them back on resume: assistant lines of a message on
    the path, and result-only lines whose parent is such a line. Adds their uuids to
    `active` (file order: a parent is written before its children)."""
    uuids, parents, roles, flags = records.uuids, records.parent_uuids, records.roles, records.flags
    message_ids = records.message_ids
    if uuids is None or parents is None:
        return
    on_path = {message_ids[by_uuid[uuid]] for uuid in active if message_ids is not None} - {None}
    for uuid, row in by_uuid.items():
        if uuid in active:
            continue
        role = roles[row]
        if role == "assistant":
            if message_ids is not None and message_ids[row] in on_path:
                active.add(uuid)
        elif role == "user" and flags[row] & FLAG_RESULTS_ONLY:
            parent = parents[row]
            if parent in active and roles[by_uuid[parent]] == "assistant":
                active.add(uuid)


def _joins_active_path(
    row: int,
    uuids: list[str | None],
    parents: list[str | None],
    by_uuid: dict[str, int],
    active: set[str],
    joins: dict[str, bool],
) -> bool:
    trail: list[str] = []
    node: int | None = row
    result = False
    while node is not None and (uuid := uuids[node]):
        if uuid in joins:
            result = joins[uuid]
            break
        if uuid in active:
            result = True
            break
        if uuid in trail:  # a loop of parent links
            break
        trail.append(uuid)
        parent_uuid = parents[node]
        parent = by_uuid.get(parent_uuid) if parent_uuid else None
        # A parent is written before its children; a link forward is no branch point.
        node = parent if parent is not None and parent < node else None
    for uuid in trail:
        joins[uuid] = result
    return result


def _claude_code_turns(history: History) -> None:
    """One API message may be split over several assistant lines (same `message.id`), and
    parallel results over several consecutive user lines: each group is one turn. Sidechain
    threads interleaved in the file count their turns apart."""
    records = history.items
    turns, kinds, flags = records.turns, records.kinds, records.flags
    threads, message_ids = records.threads, records.message_ids
    conversation = CONVERSATION_CODES
    per_thread: dict[int, _ThreadTurns] = {}
    for row, role in enumerate(records.roles):
        if (
            role not in ("user", "assistant")
            or kinds[row] not in conversation
            or flags[row] & FLAG_ABANDONED
        ):
            continue
        thread = 0 if threads is None else threads[row]
        t = per_thread.get(thread)
        if t is None:
            t = per_thread[thread] = _ThreadTurns()
        results_only = flags[row] & FLAG_RESULTS_ONLY
        if role == "assistant":
            message_id = None if message_ids is None else message_ids[row]
            continues = t.state in ("assistant", "results") and message_id is not None
            if not (continues and message_id == t.assistant_id):
                t.last_turn += 1
                t.assistant_turn, t.assistant_id = t.last_turn, message_id
            turns[row] = t.assistant_turn
            t.state = "assistant"
        elif results_only and t.state == "assistant":
            t.results_turn = turns[row] = t.assistant_turn + 1
            t.last_turn = max(t.last_turn, t.results_turn)
            t.state = "results"
        elif results_only and t.state == "results":
            turns[row] = t.results_turn
        else:
            t.last_turn += 1
            turns[row] = t.results_turn = t.last_turn
            t.state = "results" if results_only else "user"
            t.assistant_id = None


def reply_end(call_item: Item) -> int:
    """The last line of a call's message and of the results after it, and of the lines
    that are no messages after them but go on from them (hook progress) or stand outside
    the chain (queue operations): a result goes where Claude Code writes it. A line that
    branches off an earlier one is passed over."""
    end = call_item.index
    tip = call_item.uuid  # the uuid the run ends on, so far
    for after in later(call_item):
        if after.kind is ItemKind.MALFORMED or after.thread != call_item.thread:
            continue
        if after.kind is ItemKind.OTHER:
            if after.uuid is None or (tip is not None and after.parent_uuid == tip):
                tip = after.uuid or tip
                end = after.index
            continue
        same_message = after.turn == call_item.turn
        results = after.turn == call_item.turn + 1 and after.results_only
        if not (same_message or results):
            break
        tip = after.uuid or tip
        end = after.index
    return end
