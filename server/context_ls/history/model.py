"""The history model every reader produces and every consumer (validator, normalizer,
CLI, server, report) reads.

Positions are byte offsets into the exact source bytes: that keeps edits byte-exact (CRLF,
unicode escapes, even invalid UTF-8 survive) and lets a 260 MB rollout be streamed.
`position.py` turns offsets into line/column for people (CLI) and editors (LSP, UTF-16).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

DialectName = Literal[
    "codex", "openai-responses", "openai-chat", "anthropic", "claude-code", "native"
]
DIALECTS: tuple[DialectName, ...] = (
    "codex",
    "openai-responses",
    "openai-chat",
    "anthropic",
    "claude-code",
    "native",
)


class Span(NamedTuple):
    """Half-open byte range [start, end) in the source (a tuple: millions are made)."""

    start: int
    end: int


class ItemKind(enum.Enum):
    """What a top-level record (a JSONL line, an element of the JSON array) is."""

    MESSAGE = "message"  # a conversation message without calls or outputs
    CALLS = "calls"  # holds one or more tool calls
    OUTPUTS = "outputs"  # holds one or more tool outputs
    OTHER = "other"  # metadata, events, unknown record types: kept, never paired
    MALFORMED = "malformed"  # not valid JSON (e.g. the half-written last line)


@dataclass(slots=True)
class Item:
    """One top-level record. `line`/`col` are where `span` starts (0-based, col in bytes)."""

    index: int
    span: Span
    line: int
    col: int
    kind: ItemKind
    role: str | None = None  # "user", "assistant", "tool", "system", … when the record has one
    turn: int = -1  # logical message number used for adjacency; -1: not a message
    timestamp: str | int | float | None = None  # as the record says (ISO-8601 or unix seconds)
    # Claude Code: the record's own uuid, its parent and the API message id it belongs to.
    uuid: str | None = None
    parent_uuid: str | None = None
    message_id: str | None = None
    error: str | None = None  # why a MALFORMED item is malformed
    # Holds tool results and nothing else (Claude Code writes one result a line).
    results_only: bool = False
    # Conversations interleaved in one file (Claude Code sidechains); adjacency is judged
    # within one thread. 0 is the main conversation.
    thread: int = 0
    # Claude Code: on a branch left by a rewind (never sent to the API again).
    abandoned: bool = False


@dataclass(slots=True)
class Call:
    """A request to run a tool. `block` is its index inside the item (content block,
    tool_calls entry); -1 when the item is the call itself."""

    call_id: str
    item: int
    block: int
    kind: str  # function_call, custom_tool_call, local_shell_call, tool_search_call, tool_use, tool_call
    tool: str | None = None
    timestamp: str | int | float | None = None


@dataclass(slots=True)
class Output:
    """A tool result, pointing at its call by id."""

    call_id: str
    item: int
    block: int
    kind: (
        str  # function_call_output, custom_tool_call_output, tool_search_output, tool_result, tool
    )
    status: str | None = None  # native status; "error" for Anthropic is_error results
    timestamp: str | int | float | None = None


@dataclass(slots=True)
class History:
    """Everything a reader found in one source. `items` are in file order."""

    dialect: DialectName | None
    items: list[Item] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    outputs: list[Output] = field(default_factory=list)
    size: int = 0  # bytes in the source
    newline: bytes = b"\n"  # the line terminator the source uses (for inserted lines)
    # Byte offset just past the last item's own line terminator; inserts go there.
    ends_with_newline: bool = True
    # Records that hold a call or output but no id at all (H007), as (item, block, what).
    missing_ids: list[tuple[int, int, str]] = field(default_factory=list)
    # A JSON document (array, {"messages": …}, {"input": …}) rather than JSONL.
    document: bool = False
    # Only the records findings need were kept (the `check` fast path); `records` counts all.
    sparse: bool = False
    records: int = -1
    # Claude Code thread keys (None: the main conversation) -> Item.thread numbers.
    thread_names: dict[str | None, int] = field(default_factory=dict)

    @property
    def record_count(self) -> int:
        return self.records if self.records >= 0 else len(self.items)

    @property
    def is_history(self) -> bool:
        return self.dialect is not None


@dataclass(slots=True, frozen=True)
class TextEdit:
    """Replace the bytes of `span` with `new_bytes` (an insert when the span is empty)."""

    span: Span
    new_bytes: bytes


def apply_edits(data: bytes, edits: list[TextEdit]) -> bytes:
    """Apply non-overlapping edits; edits at one offset keep their given order."""
    ordered = sorted(
        enumerate(edits), key=lambda pair: (pair[1].span.start, pair[1].span.end, pair[0])
    )
    out: list[bytes] = []
    cursor = 0
    for _, edit in ordered:
        if edit.span.start < cursor:
            raise ValueError(f"overlapping edits at byte {edit.span.start}")
        out.append(data[cursor : edit.span.start])
        out.append(edit.new_bytes)
        cursor = edit.span.end
    out.append(data[cursor:])
    return b"".join(out)
