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


def _claude_code_turns(history: History) -> None:
    """One API message may be split over several assistant lines (same `message.id`), and
    parallel results over several consecutive user lines: each group is one turn."""
    last_turn = -1
    assistant_turn = results_turn = -1
    assistant_id: str | None = None
    state = ""  # what the previous conversation line was: assistant | results | user
    for item in history.items:
        if item.role not in ("user", "assistant") or item.kind not in _CONVERSATION:
            continue
        if item.role == "assistant":
            continues = state in ("assistant", "results") and item.message_id is not None
            if not (continues and item.message_id == assistant_id):
                last_turn += 1
                assistant_turn, assistant_id = last_turn, item.message_id
            item.turn = assistant_turn
            state = "assistant"
        elif item.results_only and state == "assistant":
            results_turn = item.turn = assistant_turn + 1
            last_turn = max(last_turn, results_turn)
            state = "results"
        elif item.results_only and state == "results":
            item.turn = results_turn
        else:
            last_turn += 1
            item.turn = results_turn = last_turn
            state = "results" if item.results_only else "user"
            assistant_id = None
