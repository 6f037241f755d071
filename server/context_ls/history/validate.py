"""The pairing invariants (H001–H009). Linear: ids are grouped in one pass."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from context_ls.history import messages as msg
from context_ls.history.dialects import codex
from context_ls.history.dialects.claude_code import is_subagent_thread
from context_ls.history.dialects.native import STATUSES
from context_ls.history.findings import Finding, Related
from context_ls.history.items import KIND_CODES
from context_ls.history.model import Call, History, Item, ItemKind, Output, Records, Span
from context_ls.history.rules import RULES
from context_ls.history.turns import ADJACENCY_DIALECTS

SpanOf = Callable[[int], Span]
# The uuids of a sub-agent's parent session; None when it cannot be read.
LinkedUuids = Callable[[], Collection[str] | None]


class _Collector:
    def __init__(self, history: History, span_of: SpanOf | None) -> None:
        self.history = history
        self.span_of = span_of or (lambda item: history.items[item].span)
        self.findings: list[Finding] = []

    def add(
        self,
        code: str,
        message: str,
        item: int,
        call_id: str | None = None,
        related: list[Related] | None = None,
        fixable: bool = False,
        pending: bool = False,
        call: Call | None = None,
        output: Output | None = None,
    ) -> None:
        rule = RULES[code]
        span = self.span_of(item)
        self.findings.append(
            Finding(
                code,
                rule.name,
                rule.severity,
                message,
                span,
                item,
                call_id,
                related or [],
                fixable,
                pending,
                call,
                output,
            )
        )

    def where(self, item: int) -> str:
        record = self.history.items[item]
        return f"line {record.line + 1}"

    def related(self, item: int, message: str) -> Related:
        return Related(self.span_of(item), message)


def validate(
    history: History,
    enforce_invariants: bool = True,
    trailing_calls_pending: bool = False,
    span_of: SpanOf | None = None,
    linked_uuids: LinkedUuids | None = None,
) -> list[Finding]:
    """All findings of a history, in file order of the record they point at. `span_of`:
    where item N really is, when the items' own spans are not final yet (an edit's later
    records before they are shifted, see `incremental.Reread.view`). `linked_uuids`: the
    uuids of the session a sub-agent file belongs to, read only when needed; None when that
    session is unknown."""
    if history.dialect is None:
        return []
    out = _Collector(history, span_of)
    _malformed(history, out)
    if enforce_invariants:
        _pairing(history, out, trailing_calls_pending)
        if history.dialect == "native":
            _statuses(history, out)
        if history.dialect == "claude-code":
            _parent_links(history, out, linked_uuids)
    out.findings.sort(key=lambda f: (f.span.start, f.code))
    return out.findings


def _malformed(history: History, out: _Collector) -> None:
    items = history.items
    last_index = len(items) - 1
    malformed = ItemKind.MALFORMED
    for item in [items[row] for row in items.of_kind(malformed)]:
        # A killed writer leaves a last line without its newline; a malformed line that
        # was finished (newline written) is not a crash tail and is left to a person.
        tail = item.index == last_index and not history.document and not history.ends_with_newline
        where = (
            "the last line"
            if tail
            else ("this record" if history.document else f"line {item.line + 1}")
        )
        hint = " (a half-written line left by a crash?)" if tail else ""
        out.add(
            "H007",
            f"{where} is not valid JSON{hint}: {item.error}; agents refuse to load the file",
            item.index,
            fixable=tail,
        )
    for index, _block, what in history.missing_ids:
        out.add("H007", f"{what}: it can never be paired with its partner", index)


def _by_id(
    records: list[Any], items: Records, branches: bool, first_row: int = 0
) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """The first record of each id (in file order), and the later ones of ids used again.
    `branches`: the dialect marks abandoned branches (Claude Code); their records are left
    out. `first_row`: records before it are never sent again (before a Codex compaction)."""
    if branches and items.any_abandoned():
        records = [r for r in records if not items[r.item].abandoned]
    if first_row:
        records = [r for r in records if r.item >= first_row]
    first: dict[str, Any] = {}
    more: dict[str, list[Any]] = {}
    for record in records:
        if first.setdefault(record.call_id, record) is not record:
            more.setdefault(record.call_id, []).append(record)
    return first, more


def _pairing(history: History, out: _Collector, trailing_calls_pending: bool) -> None:
    items = history.items
    branches = history.dialect == "claude-code"
    first_row = codex.resume_start(history) if history.dialect == "codex" else 0
    first_calls, more_calls = _by_id(history.calls, items, branches, first_row)
    first_outputs, more_outputs = _by_id(history.outputs, items, branches, first_row)
    dialect = history.dialect
    adjacency = dialect in ADJACENCY_DIALECTS
    pending_from = _pending_start(history) if trailing_calls_pending else len(items)
    chain = _uuid_index(history) if dialect == "claude-code" else {}

    no_more: list[Any] = []
    for call_id, first in first_calls.items():
        for duplicate in more_calls.get(call_id, no_more):
            out.add(
                "H003",
                f"call id {call_id} is used by another call ({out.where(first.item)}); "
                f"outputs cannot be matched: {msg.api_error_duplicate_call(dialect)}",
                duplicate.item,
                call_id,
                [out.related(first.item, "first call with this id")],
                call=duplicate,
            )
        kept = first_outputs.get(call_id)
        if kept is None:
            if first.item >= pending_from:
                out.add(
                    "H001",
                    f"call {call_id}{msg.tool_label(first)} is waiting for output",
                    first.item,
                    call_id,
                    pending=True,
                    call=first,
                )
            else:
                out.add(
                    "H001",
                    f"call {call_id}{msg.tool_label(first)} has no output; the API will answer: "
                    f'"{msg.api_error_missing_output(dialect, first)}"',
                    first.item,
                    call_id,
                    fixable=True,
                    call=first,
                )
            continue
        for extra in more_outputs.get(call_id, no_more):
            out.add(
                "H004",
                f"call {call_id}{msg.tool_label(first)} has more than one output; the first "
                f"({out.where(kept.item)}) is kept",
                extra.item,
                call_id,
                [
                    out.related(kept.item, "the output that is kept"),
                    out.related(first.item, "the call"),
                ],
                fixable=True,
                call=first,
                output=extra,
            )
        if kept.item < first.item:
            out.add(
                "H005",
                f"output of call {call_id} comes before its call ({out.where(first.item)}); "
                f'the API will answer: "{msg.api_error_orphan(dialect, call_id)}"',
                kept.item,
                call_id,
                [out.related(first.item, "the call")],
                fixable=True,
                call=first,
                output=kept,
            )
        elif adjacency and not _adjacent(dialect, chain, items[first.item], items[kept.item]):
            out.add(
                "H006",
                f"output of call {call_id} is not in the message right after its call "
                f"({out.where(first.item)}); the API will answer: "
                f'"{msg.api_error_not_adjacent(dialect, call_id)}"',
                kept.item,
                call_id,
                [out.related(first.item, "the call")],
                fixable=True,
                call=first,
                output=kept,
            )

    for call_id, kept in first_outputs.items():
        if call_id in first_calls or history.server_state:
            continue
        for orphan in [kept, *more_outputs.get(call_id, no_more)]:
            out.add(
                "H002",
                f"output names call {call_id}, which no call has; the API will answer: "
                f'"{msg.api_error_orphan(dialect, call_id)}"',
                orphan.item,
                call_id,
                fixable=True,
                output=orphan,
            )


def _uuid_index(history: History) -> dict[str, int]:
    """uuid -> row; empty when uuids repeat (the chain is ambiguous: file order decides)."""
    index: dict[str, int] = {}
    for row, uuid in enumerate(history.items.uuids or ()):
        if uuid:
            if uuid in index:
                return {}
            index[uuid] = row
    return index


def _adjacent(
    dialect: str | None, chain: dict[str, int], call_item: Item, output_item: Item
) -> bool:
    """Is the output in the message right after its call's message? Claude Code lines say
    so through parentUuid (walk up over result lines and non-message lines to the
    assistant message); without a link, the order of turns in the file decides."""
    if dialect == "anthropic" and output_item.role != "user":
        return False  # tool_result blocks belong in a user message
    by_chain = _reply_of_by_chain(chain, output_item) if call_item.uuid else None
    if by_chain is not None:
        return by_chain.index == call_item.index or (
            by_chain.message_id is not None and by_chain.message_id == call_item.message_id
        )
    return output_item.thread == call_item.thread and output_item.turn == call_item.turn + 1


def _reply_of_by_chain(chain: dict[str, int], output_item: Item) -> Item | None:
    """The assistant line a result line answers, following parents; None when unknown."""
    if not chain or output_item.parent_uuid is None:
        return None
    items = output_item.records
    seen: set[str] = set()
    row = chain.get(output_item.parent_uuid)
    node = None if row is None else items[row]
    while node is not None and node.uuid not in seen:
        if node.role == "assistant" and node.kind is not ItemKind.OTHER:
            return node
        if node.role == "user" and not node.results_only and node.kind is not ItemKind.OTHER:
            return node  # a user message stands between: not adjacent
        seen.add(node.uuid or "")
        row = chain.get(node.parent_uuid) if node.parent_uuid else None
        node = None if row is None else items[row]
    return None


def _pending_start(history: History) -> int:
    """First item of the live tail: after the last message that is not a call or output."""
    return history.items.kinds.rfind(KIND_CODES[ItemKind.MESSAGE]) + 1


def _statuses(history: History, out: _Collector) -> None:
    for output in history.outputs:
        if output.status not in STATUSES:
            out.add(
                "H008",
                f"output of call {output.call_id} has status {output.status!r}; expected one of "
                "success, failed, canceled, timeout",
                output.item,
                output.call_id,
                output=output,
            )


def _parent_links(history: History, out: _Collector, linked: LinkedUuids | None) -> None:
    """H009. A sub-agent's first lines name lines of the session that started it: that is
    only a break when the parent session is at hand and lacks them too."""
    records = history.items
    if records.parent_uuids is None:
        return
    known = {uuid for uuid in records.uuids or () if uuid}
    subagent_threads = {
        number for name, number in history.thread_names.items() if is_subagent_thread(name)
    }
    threads = records.threads
    outside: Collection[str] | None = None
    asked = False
    for row, parent in enumerate(records.parent_uuids):
        if parent is None or parent in known:
            continue
        where = "is not in the file"
        if threads is not None and threads[row] in subagent_threads:
            if linked is not None and not asked:
                outside, asked = linked(), True
            if outside is None or parent in outside:
                continue
            where = "is neither in this sub-agent file nor in its parent session"
        out.add(
            "H009",
            f"parentUuid {parent} names a line that {where}; Claude Code cuts the "
            "conversation here and `--resume` loses everything before it",
            row,
            fixable=True,
        )
