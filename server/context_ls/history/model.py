"""The history model every reader produces and every consumer (validator, normalizer,
CLI, server, report) reads.

Positions are byte offsets into the exact source bytes: that keeps edits byte-exact (CRLF,
unicode escapes, even invalid UTF-8 survive) and lets a 260 MB rollout be streamed.
`position.py` turns offsets into line/column for people (CLI) and editors (LSP, UTF-16).
The records themselves, and how a history holds them, are in `items.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from context_ls.history.columns import Records as Records
from context_ls.history.items import Item as Item
from context_ls.history.items import ItemKind as ItemKind
from context_ls.history.items import Span as Span

if TYPE_CHECKING:
    from context_ls.history.facts import Problem

# A name from the dialect registry (`history/dialects/__init__.py`, `NAMES`).
DialectName = str


@dataclass(slots=True)
class Call:
    """A request to run a tool. `block` is its index inside the item (content block,
    tool_calls entry); -1 when the item is the call itself."""

    call_id: str
    item: int
    block: int
    kind: str  # function_call, custom_tool_call, local_shell_call, tool_search_call, tool_use, tool_call
    tool: str | None = None


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


# A history's calls, outputs and id-less records (`History.read_links`).
Links = tuple[list[Call], list[Output], list[tuple[int, int, str]]]


@dataclass(slots=True)
class History:
    """Everything a reader found in one source. `items` are in file order."""

    dialect: DialectName | None
    items: Records = field(default_factory=Records)
    calls: list[Call] = field(default_factory=list)
    outputs: list[Output] = field(default_factory=list)
    size: int = 0  # bytes in the source
    newline: bytes = b"\n"  # the line terminator the source uses (for inserted lines)
    # Byte offset just past the last item's own line terminator; inserts go there.
    ends_with_newline: bool = True
    # Records that hold a call or output but no id at all (H007), as (item, block, what).
    missing_ids: list[tuple[int, int, str]] = field(default_factory=list)
    # Findings records hold by themselves (data set lines), as (item, problem).
    problems: list[tuple[int, Problem]] = field(default_factory=list)
    # A JSON document (array, {"messages": …}, {"input": …}) rather than JSONL.
    document: bool = False
    # Only the records findings need were kept (the `check` fast path); `total_records`
    # counts all of them.
    sparse: bool = False
    total_records: int = -1
    # A request body that continues a history the server keeps (`previous_response_id`,
    # `conversation`): outputs may answer calls that are not in the body.
    server_state: bool = False
    # Claude Code thread keys (None: the main conversation) -> Item.thread numbers.
    thread_names: dict[str | None, int] = field(default_factory=dict)
    # The links as the records say them, when the dialect's turns hook dropped some once
    # every record was in (None: `calls`, `outputs` and `missing_ids` are those). A re-read
    # copies these, so the hook judges again what the edit changed, as a full read does.
    read_links: Links | None = None

    @property
    def links(self) -> Links:
        return self.calls, self.outputs, self.missing_ids

    def links_as_read(self) -> Links:
        """Puts back the links a turns hook dropped (it runs again) and returns them."""
        if self.read_links is not None:
            self.calls, self.outputs, self.missing_ids = self.read_links
            self.read_links = None
        return self.links

    def keep_read_links(self, read: Links) -> None:
        """`read` (from `links_as_read`) is kept when a turns hook replaced any of them: it
        drops links, and gives ids its own pairing settles (a re-read must settle again)."""
        calls, outputs, missing_ids = read
        same = calls is self.calls and outputs is self.outputs and missing_ids is self.missing_ids
        self.read_links = None if same else read

    @property
    def record_count(self) -> int:
        return self.total_records if self.total_records >= 0 else len(self.items)

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
