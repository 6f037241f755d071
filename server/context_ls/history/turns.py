"""Turns: the logical message each record belongs to. An output is adjacent to its call
when it sits in the turn right after the call's turn (dialects that require adjacency)."""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator

from context_ls.history.model import KIND_CODES, History, Item, ItemKind, Records

ADJACENCY_DIALECTS = frozenset({"anthropic", "claude-code", "openai-chat"})
CONVERSATION = (ItemKind.MESSAGE, ItemKind.CALLS, ItemKind.OUTPUTS)  # records with a turn
_CONVERSATION_CODES = frozenset(KIND_CODES[kind] for kind in CONVERSATION)


def assign_turns(history: History) -> None:
    records = history.items
    if history.dialect == "openai-chat":
        records.turns = array("q", _chat_turns(records))
    elif history.dialect == "claude-code":
        records.turns = array("q", [-1]) * len(records)
        mark_abandoned_branches(history)
        _claude_code_turns(history)
    else:
        records.turns = array("q", sequential_turns(records.kinds))


def sequential_turns(kinds: Iterable[int]) -> Iterator[int]:
    """The turn of each record (given by its `Records.kinds` code) where every
    conversation record is a turn of its own (the dialects that do not judge adjacency);
    -1 for the others."""
    turn = 0
    conversation = _CONVERSATION_CODES
    for kind in kinds:
        if kind in conversation:
            yield turn
            turn += 1
        else:
            yield -1


def _chat_turns(records: Records) -> Iterator[int]:
    """Tool messages directly after a message share the turn after it."""
    turn = -1
    previous_was_tool = False
    conversation = _CONVERSATION_CODES
    for kind, role in zip(records.kinds, records.roles, strict=True):
        if kind not in conversation:
            yield -1
            continue
        is_tool = role == "tool"
        if not (is_tool and previous_was_tool):
            turn += 1
        previous_was_tool = is_tool
        yield turn


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
    join it (before a compaction, after a broken link) keep their file order."""
    by_uuid: dict[str, Item] = {}
    repeated = False
    history.items.clear_abandoned()  # the records may be copied from an earlier read
    for item in history.items:
        if item.uuid and item.thread == 0:
            repeated = repeated or item.uuid in by_uuid
            by_uuid.setdefault(item.uuid, item)
    if repeated:  # uuids that repeat make the chain ambiguous: file order it is
        return
    leaf = next(
        (i for i in reversed(history.items) if i.uuid and i.thread == 0 and i.kind in CONVERSATION),
        None,
    )
    if leaf is None or not any(i.parent_uuid for i in history.items):
        return
    active: set[str] = set()
    node: Item | None = leaf
    while node is not None and node.uuid and node.uuid not in active:
        active.add(node.uuid)
        node = by_uuid.get(node.parent_uuid) if node.parent_uuid else None
    joins: dict[str, bool] = {}
    for item in history.items:
        if item.thread != 0 or not item.uuid or item.uuid in active:
            continue
        item.abandoned = _joins_active_path(item, by_uuid, active, joins)


def _joins_active_path(
    item: Item, by_uuid: dict[str, Item], active: set[str], joins: dict[str, bool]
) -> bool:
    trail: list[str] = []
    node: Item | None = item
    result = False
    while node is not None and node.uuid:
        if node.uuid in joins:
            result = joins[node.uuid]
            break
        if node.uuid in active:
            result = True
            break
        if node.uuid in trail:  # a loop of parent links
            break
        trail.append(node.uuid)
        parent = by_uuid.get(node.parent_uuid) if node.parent_uuid else None
        # A parent is written before its children; a link forward is no branch point.
        node = parent if parent is not None and parent.index < node.index else None
    for uuid in trail:
        joins[uuid] = result
    return result


def _claude_code_turns(history: History) -> None:
    """One API message may be split over several assistant lines (same `message.id`), and
    parallel results over several consecutive user lines: each group is one turn. Sidechain
    threads interleaved in the file count their turns apart."""
    threads: dict[int, _ThreadTurns] = {}
    for item in history.items:
        if (
            item.role not in ("user", "assistant")
            or item.kind not in CONVERSATION
            or item.abandoned
        ):
            continue
        t = threads.get(item.thread)
        if t is None:
            t = threads[item.thread] = _ThreadTurns()
        if item.role == "assistant":
            continues = t.state in ("assistant", "results") and item.message_id is not None
            if not (continues and item.message_id == t.assistant_id):
                t.last_turn += 1
                t.assistant_turn, t.assistant_id = t.last_turn, item.message_id
            item.turn = t.assistant_turn
            t.state = "assistant"
        elif item.results_only and t.state == "assistant":
            t.results_turn = item.turn = t.assistant_turn + 1
            t.last_turn = max(t.last_turn, t.results_turn)
            t.state = "results"
        elif item.results_only and t.state == "results":
            item.turn = t.results_turn
        else:
            t.last_turn += 1
            item.turn = t.results_turn = t.last_turn
            t.state = "results" if item.results_only else "user"
            t.assistant_id = None
