"""Calls and outputs on abandoned rows: a version of a message that a later one replaced,
a message a rewind dropped (Gemini CLI), a branch left by a rewind (Claude Code). They
stay in the file but are never sent again, so validation leaves them out, hovers and the
timeline tell a live call's story without them, and a question about one of them gets
what it is as its answer."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from context_ls.history.dialects import dialect_of
from context_ls.history.items import FLAG_ABANDONED
from context_ls.history.validate import any_abandoned

if TYPE_CHECKING:
    from context_ls.history.model import Call, History, Output

Subject = TypeVar("Subject", "Call", "Output")


def is_abandoned(history: History, subject: Call | Output) -> bool:
    flags = history.items.flags
    return 0 <= subject.item < len(flags) and bool(flags[subject.item] & FLAG_ABANDONED)


def live_only(history: History, subjects: list[Subject]) -> list[Subject]:
    """The calls (or outputs) the agent would send again, in their order."""
    if not any_abandoned(history.items):
        return subjects
    flags = history.items.flags
    return [s for s in subjects if not flags[s.item] & FLAG_ABANDONED]


def live_version(history: History, subject: Call | Output) -> int | None:
    """The record holding the version that replaced the one an abandoned `subject` stands
    in (Gemini CLI: the message rewritten later); None when none did."""
    version = dialect_of(history.dialect).live_version
    if version is None or not is_abandoned(history, subject):
        return None
    return version(history, subject.item, subject.block)


def abandoned_note(history: History, subject: Call | Output) -> str | None:
    """Why a call or output is not sent again (None: it is): the line of the version that
    replaced it, or the rewind that left it behind."""
    if not is_abandoned(history, subject):
        return None
    dialect = dialect_of(history.dialect)
    row = live_version(history, subject)
    if row is not None:
        line = history.items[row].line + 1
        return f"superseded by a later version at line {line}; this one is not sent again"
    if dialect.live_version is not None:
        return "dropped by a rewind; not sent again"
    if dialect.chain is not None:
        return "on a branch left by a rewind; not sent again"
    return "left behind; not sent again"
