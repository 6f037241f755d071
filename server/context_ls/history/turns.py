"""Turns: the logical message each record belongs to. An output is adjacent to its call
when it sits in the turn right after the call's turn (dialects that require adjacency)."""

from __future__ import annotations

from context_ls.history.model import History, ItemKind

ADJACENCY_DIALECTS = frozenset({"anthropic", "claude-code", "openai-chat"})
_CONVERSATION = (ItemKind.MESSAGE, ItemKind.CALLS, ItemKind.OUTPUTS)


def assign_turns(history: History) -> None:
    if history.dialect == "openai-chat":
        _chat_turns(history)
    elif history.dialect == "claude-code":
        _claude_code_turns(history)
    else:
        turn = 0
        for item in history.items:
            if item.kind in _CONVERSATION:
                item.turn = turn
                turn += 1


def _chat_turns(history: History) -> None:
    """Tool messages directly after a message share the turn after it."""
    turn = -1
    previous_was_tool = False
    for item in history.items:
        if item.kind not in _CONVERSATION:
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


def _claude_code_turns(history: History) -> None:
    """One API message may be split over several assistant lines (same `message.id`), and
    parallel results over several consecutive user lines: each group is one turn. Sidechain
    threads interleaved in the file count their turns apart."""
    threads: dict[int, _ThreadTurns] = {}
    for item in history.items:
        if item.role not in ("user", "assistant") or item.kind not in _CONVERSATION:
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
