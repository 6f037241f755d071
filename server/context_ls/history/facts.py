"""What one record says, independent of where it stands in the file.

Readers turn each decoded record into `RecordFacts`; because facts carry no position they
can be cached per line (the server re-parses only the lines an edit touched) and shared.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import msgspec

from context_ls.history.model import ItemKind

# What decoding one record may raise: msgspec raises UnicodeDecodeError for invalid UTF-8,
# and very deep nesting ends in RecursionError.
DECODE_ERRORS = (msgspec.DecodeError, UnicodeDecodeError, RecursionError)


@dataclass(slots=True, frozen=True)
class CallFact:
    call_id: str
    block: int
    kind: str
    tool: str | None = None


@dataclass(slots=True, frozen=True)
class OutputFact:
    call_id: str
    block: int
    kind: str
    status: str | None = None


class Problem(NamedTuple):
    """A finding a record holds by itself, judged without the rest of the file (a data set
    line is a whole conversation): its rule, the message of the record it is about (-1: the
    record), the rule's message variant and fields, and the bytes it covers, relative to
    the record's start."""

    code: str
    message: int
    variant: str
    fields: tuple[tuple[str, str], ...]
    start: int
    end: int
    fixable: bool = False


# Not frozen: building a frozen dataclass costs ~3x (1.9 µs against 0.5 µs), paid by every
# record read; nothing changes facts once made (they are cached per line and shared).
@dataclass(slots=True)
class RecordFacts:
    kind: ItemKind
    role: str | None = None
    calls: tuple[CallFact, ...] = ()
    outputs: tuple[OutputFact, ...] = ()
    # (block, what) for a call or output that carries no usable id.
    missing_ids: tuple[tuple[int, str], ...] = ()
    timestamp: str | int | float | None = None
    uuid: str | None = None
    parent_uuid: str | None = None
    message_id: str | None = None
    # The record holds tool results and nothing else (Claude Code result lines).
    only_results: bool = False
    # Claude Code: which conversation the line belongs to (a sub-agent's sidechain is its own).
    thread: str | None = None
    error: str | None = None
    problems: tuple[Problem, ...] = ()


OTHER = RecordFacts(ItemKind.OTHER)


def malformed(error: str) -> RecordFacts:
    return RecordFacts(ItemKind.MALFORMED, error=error)


def message_kind(calls: tuple[CallFact, ...], outputs: tuple[OutputFact, ...]) -> ItemKind:
    if calls:
        return ItemKind.CALLS
    if outputs:
        return ItemKind.OUTPUTS
    return ItemKind.MESSAGE


def get_path(value: Any, *path: str | int) -> Any:
    """`value[k1][k2]…` of a decoded record, or None where a key or index is missing."""
    for key in path:
        if isinstance(key, int):
            value = (
                value[key] if isinstance(value, list) and -len(value) <= key < len(value) else None
            )
        else:
            value = value.get(key) if isinstance(value, dict) else None
    return value


def str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def usable_id(value: Any) -> str | None:
    """An id the APIs would accept: a non-empty string."""
    return value if isinstance(value, str) and value else None


def stamp(value: Any) -> str | int | float | None:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return None
