"""Turns: the logical message each record belongs to. An output is adjacent to its call
when it sits in the turn right after the call's turn (dialects that require adjacency)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from context_ls.history.model import History, Item, ItemKind

ADJACENCY_DIALECTS = frozenset({"anthropic", "claude-code", "openai-chat"})
CONVERSATION = (ItemKind.MESSAGE, ItemKind.CALLS, ItemKind.OUTPUTS)  # records with a turn


def assign_turns(history: History) -> None:
    for item in history.items:  # items may be reused from an earlier read
        item.turn = -1
    if history.dialect == "openai-chat":
        _chat_turns(history)
    elif history.dialect == "claude-code":
        mark_abandoned_branches(history)
        _claude_code_turns(history)
    else:
        for item, turn in zip(history.items, sequential_turns(history.items), strict=True):
            item.turn = turn


def sequential_turns(items: Iterable[Item]) -> Iterator[int]:
    """The turn of each record where every conversation record is a turn of its own (the
    dialects that do not judge adjacency); -1 for the others."""
    turn = 0
    for item in items:
        if item.kind in CONVERSATION:
            yield turn
            turn += 1
        else:
            yield -1


def _chat_turns(history: History) -> None:
    """Tool messages directly after a message share the turn after it."""
    turn = -1
    previous_was_tool = False
    for item in history.items:
        if item.kind not in CONVERSATION:
            continue
        is_tool = item.role == "tool"
        if not (is_tool and previous_was_tool):
            turn += 1
        previous_was_tool = is_tool
        item.turn = turn


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
    for item in history.items:
        item.abandoned = False  # items may be reused from an earlier read
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
