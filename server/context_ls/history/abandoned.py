"""Calls and outputs on abandoned rows: a version of a message that a later one replaced,
a message a rewind dropped (Gemini CLI), a branch left by a rewind (Claude Code). They
stay in the file but are never sent again, so validation leaves them out, hovers and the
timeline tell a live call's story without them, and a question about one of them gets
what it is as its answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from context_ls.history.dialects import dialect_of
from context_ls.history.items import FLAG_ABANDONED

if TYPE_CHECKING:
    from context_ls.history.model import Call, History, Output, Records

Subject = TypeVar("Subject", "Call", "Output")


# The flag bytes without the abandoned bit (deleted in C to ask whether any row has it).
_KEPT_FLAGS = bytes(flag for flag in range(256) if not flag & FLAG_ABANDONED)


def any_abandoned(items: Records) -> bool:
    """Whether the dialect marked rows abandoned (Claude Code's branches left by a rewind,
    Gemini CLI's rewritten or rewound versions): asked of every history on every
    keystroke, so answered without a Python loop over the rows."""
    return bool(items.flags.translate(None, _KEPT_FLAGS))


def is_abandoned(history: History, subject: Call | Output) -> bool:
    flags = history.items.flags
    return 0 <= subject.item < len(flags) and bool(flags[subject.item] & FLAG_ABANDONED)


def live_only(history: History, subjects: list[Subject]) -> list[Subject]:
    """The calls (or outputs) the agent would send again, in their order."""
    if not any_abandoned(history.items):
        return subjects
    flags = history.items.flags
    return [s for s in subjects if not flags[s.item] & FLAG_ABANDONED]


class Abandoned:
    """What each abandoned call or output of one history is. Ask many through one object:
    the dialect finds the live versions once (it reads every record)."""

    def __init__(self, history: History) -> None:
        self.history = history
        self._dialect = dialect_of(history.dialect)
        self._version: Callable[[int, int], int | None] | None = None

    def live_version(self, subject: Call | Output) -> int | None:
        """The record holding the version that replaced the one an abandoned `subject`
        stands in (Gemini CLI: the message rewritten later); None when none did."""
        make = self._dialect.live_version
        if make is None or not is_abandoned(self.history, subject):
            return None
        if self._version is None:
            self._version = make(self.history)
        return self._version(subject.item, subject.block)

    def note(self, subject: Call | Output) -> str | None:
        """Why a call or output is not sent again (None: it is): the line of the version
        that replaced it, or the rewind that left it behind."""
        if not is_abandoned(self.history, subject):
            return None
        row = self.live_version(subject)
        if row is not None:
            line = self.history.items[row].line + 1
            return f"superseded by a later version at line {line}; this one is not sent again"
        if self._dialect.live_version is not None:
            return "dropped by a rewind; not sent again"
        if self._dialect.chain is not None:
            return "on a branch left by a rewind; not sent again"
        return "left behind; not sent again"
