"""The pairing invariants (H001–H009), as named passes over a history (what a message
holds, H008, H011 and H012, in `message_rules.py`). Linear: ids are
grouped once (`Pairs`), then each pass reads them. What a dialect requires (adjacency,
statuses, parent links, where its conversation starts) comes from its `Dialect`."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from context_ls.history.abandoned import any_abandoned
from context_ls.history.adjacency import not_adjacent_calls
from context_ls.history.dialects import Dialect, dialect_of
from context_ls.history.findings import Finding, Related
from context_ls.history.items import FLAG_ABANDONED
from context_ls.history.message_rules import OWN_PROBLEMS, message_passes
from context_ls.history.model import Call, History, ItemKind, Output, Records, Span
from context_ls.history.rules import RULES

SpanOf = Callable[[int], Span]
# The uuids of a sub-agent's parent session; None when it cannot be read.
LinkedUuids = Callable[[], Collection[str] | None]


class _Collector:
    def __init__(self, history: History, span_of: SpanOf | None) -> None:
        self.history = history
        # Not `span_of or self._own_span`: a bound method kept on its own object is a cycle,
        # and the history it holds (a big document's, each keystroke) waited for the rare
        # full collection.
        self._given_span_of = span_of
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
        span: Span | None = None,
    ) -> None:
        rule = RULES[code]
        span = span or self.span_of(item)
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

    def span_of(self, item: int) -> Span:
        """The caller's span of a record, else read from the columns: a history with
        thousands of findings asks for as many."""
        if self._given_span_of is not None:
            return self._given_span_of(item)
        items = self.history.items
        return Span(items.starts[item], items.ends[item])

    def where(self, item: int) -> str:
        return f"line {self.history.items.lines[item] + 1}"

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
    dialect = dialect_of(history.dialect)
    out = _Collector(history, span_of)
    _malformed(history, out)
    if history.problems:
        _record_problems(history, out, enforce_invariants)
    if enforce_invariants:
        pairs = Pairs.of(history, dialect, trailing_calls_pending)
        for check in PAIRING_PASSES:
            check(pairs, out)
        message_passes(history, dialect, out)
        if dialect.chain is not None:
            _parent_links(history, dialect, out, linked_uuids)
    out.findings.sort(key=lambda f: (f.span.start, f.code))
    return out.findings


def _malformed(history: History, out: _Collector) -> None:
    """H007: records that are not JSON, and calls or outputs without an id."""
    rule = RULES["H007"]
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
        message = rule.message(where=where, hint=hint, error=item.error)
        out.add("H007", message, item.index, fixable=tail)
    for index, _block, what in history.missing_ids:
        out.add("H007", rule.message("no-id", what=what), index)


def _record_problems(history: History, out: _Collector, enforce_invariants: bool) -> None:
    """What records found wrong in themselves (a data set line), named the way OpenAI's
    upload does ("line N, message M"); only H007 when invariants are not enforced."""
    for index, problem in history.problems:
        if problem.code not in OWN_PROBLEMS and (enforce_invariants or problem.code == "H007"):
            where = f"line {history.items[index].line + 1}"
            where += f", message {problem.message + 1}" if problem.message >= 0 else ""
            rule, fields = RULES[problem.code], dict(problem.fields)
            text = rule.message(problem.variant, where=where, **fields)
            if "{where}" not in rule.messages[problem.variant]:
                text = f"{where}: {text}"
            line = out.span_of(index)
            end = line.end if problem.end < 0 else line.start + problem.end
            span = Span(line.start + problem.start, end)
            call_id = fields.get("call_id")
            out.add(problem.code, text, index, call_id, fixable=problem.fixable, span=span)


# --- pairing ------------------------------------------------------------------------------


@dataclass(slots=True)
class Pairs:
    """Calls and outputs grouped by id: the first of each id (file order) and the later
    ones of ids used again, with what the passes need to judge them."""

    history: History
    dialect: Dialect
    first_calls: dict[str, Call]
    more_calls: dict[str, list[Call]]
    first_outputs: dict[str, Output]
    more_outputs: dict[str, list[Output]]
    pending_from: int  # calls from this item on may still get their output
    chain: dict[str, int]  # uuid -> row, when records link by uuid (adjacency)
    # The calls that have an output (the first is kept), those of them whose kept output
    # comes first, and the calls without one. (No tuple per call: a keystroke in a big
    # history validates it again, and thousands of new objects wake the collector.)
    answered: list[Call]
    early: list[Call]
    unanswered: list[Call]

    @classmethod
    def of(cls, history: History, dialect: Dialect, trailing_calls_pending: bool) -> Pairs:
        items = history.items
        first_row = dialect.resume_start(history) if dialect.resume_start is not None else 0
        left = any_abandoned(items)
        first_calls, more_calls = _by_id(history.calls, items, left, first_row)
        first_outputs, more_outputs = _by_id(history.outputs, items, left, first_row)
        pending_from = _pending_start(history) if trailing_calls_pending else len(items)
        chain = items.uuid_rows() if dialect.chain is not None else {}
        answered: list[Call] = []
        early: list[Call] = []
        unanswered: list[Call] = []
        for call_id, call in first_calls.items():
            kept = first_outputs.get(call_id)
            if kept is None:
                unanswered.append(call)
            else:
                answered.append(call)
                if kept.item < call.item:
                    early.append(call)
        return cls(
            history,
            dialect,
            first_calls,
            more_calls,
            first_outputs,
            more_outputs,
            pending_from,
            chain,
            answered,
            early,
            unanswered,
        )


_NONE: list[Any] = []


def _by_id(
    subjects: list[Any], items: Records, abandoned: bool, first_row: int = 0
) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """The first call (or output) of each id in file order, and the later ones of ids used
    again. `abandoned`: some rows are marked abandoned (never sent again, whatever the
    dialect); what stands on them is left out. `first_row`: records before it are never
    sent again (before a Codex compaction)."""
    if abandoned:
        flags = items.flags
        subjects = [s for s in subjects if not flags[s.item] & FLAG_ABANDONED]
    if first_row:
        subjects = [s for s in subjects if s.item >= first_row]
    # Keys stand in first-seen order: with no id used twice, that is the answer.
    first: dict[str, Any] = {subject.call_id: subject for subject in subjects}
    more: dict[str, list[Any]] = {}
    if len(first) == len(subjects):
        return first, more
    first = {}
    for subject in subjects:
        if first.setdefault(subject.call_id, subject) is not subject:
            more.setdefault(subject.call_id, []).append(subject)
    return first, more


def _tool(call: Call) -> str:
    return f" ({call.tool})" if call.tool else ""


def duplicate_calls(p: Pairs, out: _Collector) -> None:
    """H003: a second call with an id already used."""
    if not p.more_calls:
        return
    rule, api = RULES["H003"], p.dialect.api
    for call_id, first in p.first_calls.items():
        for duplicate in p.more_calls.get(call_id, _NONE):
            message = rule.message(
                call_id=call_id, first=out.where(first.item), api_error=api.duplicate_call
            )
            related = [out.related(first.item, "first call with this id")]
            out.add("H003", message, duplicate.item, call_id, related, call=duplicate)


def missing_outputs(p: Pairs, out: _Collector) -> None:
    """H001: a call no output answers (only waiting, in the live tail of a history)."""
    rule, api = RULES["H001"], p.dialect.api
    for call in p.unanswered:
        call_id = call.call_id
        if call.item >= p.pending_from:
            message = rule.message("pending", call_id=call_id, tool=_tool(call))
            out.add("H001", message, call.item, call_id, pending=True, call=call)
        else:
            error = api.missing_output(call)
            message = rule.message(call_id=call_id, tool=_tool(call), api_error=error)
            out.add("H001", message, call.item, call_id, fixable=True, call=call)


def extra_outputs(p: Pairs, out: _Collector) -> None:
    """H004: outputs after the first one of a call."""
    if not p.more_outputs:
        return
    rule = RULES["H004"]
    for call in p.answered:
        kept = p.first_outputs[call.call_id]
        for extra in p.more_outputs.get(call.call_id, _NONE):
            message = rule.message(
                call_id=call.call_id, tool=_tool(call), kept=out.where(kept.item)
            )
            related = [
                out.related(kept.item, "the output that is kept"),
                out.related(call.item, "the call"),
            ]
            out.add(
                "H004", message, extra.item, call.call_id, related, True, call=call, output=extra
            )


def early_outputs(p: Pairs, out: _Collector) -> None:
    """H005: an output before its call."""
    rule, api = RULES["H005"], p.dialect.api
    for call in p.early:
        call_id, kept = call.call_id, p.first_outputs[call.call_id]
        message = rule.message(
            call_id=call_id, call=out.where(call.item), api_error=api.orphan(kept)
        )
        related = [out.related(call.item, "the call")]
        out.add("H005", message, kept.item, call_id, related, True, call=call, output=kept)


def misplaced_outputs(p: Pairs, out: _Collector) -> None:
    """H006: an output that is not in the message right after its call's (dialects that
    require adjacency)."""
    dialect = p.dialect
    if not dialect.adjacency or dialect.api.not_adjacent is None:
        return
    rule, not_adjacent = RULES["H006"], dialect.api.not_adjacent
    for call in not_adjacent_calls(p):
        call_id, kept = call.call_id, p.first_outputs[call.call_id]
        message = rule.message(
            call_id=call_id, call=out.where(call.item), api_error=not_adjacent(call_id)
        )
        related = [out.related(call.item, "the call")]
        out.add("H006", message, kept.item, call_id, related, True, call=call, output=kept)


def orphan_outputs(p: Pairs, out: _Collector) -> None:
    """H002: outputs whose call is nowhere (legal when the server keeps the history)."""
    if p.history.server_state or len(p.first_outputs) == len(p.answered):
        return  # every output id is one a call has
    rule, api = RULES["H002"], p.dialect.api
    for call_id, kept in p.first_outputs.items():
        if call_id in p.first_calls:
            continue
        for orphan in [kept, *p.more_outputs.get(call_id, _NONE)]:
            message = rule.message(call_id=call_id, api_error=api.orphan(orphan))
            out.add("H002", message, orphan.item, call_id, fixable=True, output=orphan)


PAIRING_PASSES: tuple[Callable[[Pairs, _Collector], None], ...] = (
    duplicate_calls,
    missing_outputs,
    extra_outputs,
    early_outputs,
    misplaced_outputs,
    orphan_outputs,
)


def _pending_start(history: History) -> int:
    """First item of the live tail: after the last message that is not a call or output."""
    return history.items.last_of(ItemKind.MESSAGE) + 1


# --- what some dialects add ------------------------------------------------------------


def _parent_links(
    history: History, dialect: Dialect, out: _Collector, linked: LinkedUuids | None
) -> None:
    """H009. A sub-agent's first lines name lines of the session that started it: that is
    only a break when the parent session is at hand and lacks them too."""
    records = history.items
    if dialect.chain is None:
        return
    rule, linked_thread = RULES["H009"], dialect.chain.linked_thread
    known = records.known_uuids()
    subagent_threads = {
        number for name, number in history.thread_names.items() if linked_thread(name)
    }
    outside: Collection[str] | None = None
    asked = False
    for row, parent in records.parent_links():
        if parent is None or parent in known:
            continue
        where = "is not in the file"
        if records[row].thread in subagent_threads:
            if linked is not None and not asked:
                outside, asked = linked(), True
            if outside is None or parent in outside:
                continue
            where = "is neither in this sub-agent file nor in its parent session"
        out.add("H009", rule.message(parent=parent, where=where), row, fixable=True)
