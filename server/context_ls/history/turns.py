"""Turns: the logical message each record belongs to. An output is adjacent to its call
when it sits in the turn right after the call's turn (dialects that require adjacency
count turns their own way: `Dialect.turns`)."""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator

from context_ls.history.dialects import dialect_of
from context_ls.history.items import CONVERSATION, CONVERSATION_CODES
from context_ls.history.model import History

__all__ = ["CONVERSATION", "assign_turns", "sequential_turns"]


def assign_turns(history: History) -> None:
    dialect = dialect_of(history.dialect)
    if dialect.turns is not None:
        dialect.turns(history)
    else:
        history.items.turns = array("q", sequential_turns(history.items.kinds))


def sequential_turns(kinds: Iterable[int]) -> Iterator[int]:
    """The turn of each record (given by its `Records.kinds` code) where every
    conversation record is a turn of its own (the dialects that do not judge adjacency);
    -1 for the others."""
    turn = 0
    conversation = CONVERSATION_CODES
    for kind in kinds:
        if kind in conversation:
            yield turn
            turn += 1
        else:
            yield -1
