"""Repairs as a plan of minimal byte edits: synthetic outputs for dangling calls, orphans
and extra outputs removed, misplaced outputs moved next to their call, a truncated tail
dropped, broken parent links re-linked. Bytes that need no change are never touched.

Each finding's rule says what its fix asks of the plan (`Rule.fixer`); the dialect says
where things go and what a new output looks like (`Dialect.synthesize`, `output_anchor`,
`deliver_block`). Moves are settled once every finding is in (`moves.py`), and
`edits.py` turns the plan into edits."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import msgspec

from context_ls.history import moves
from context_ls.history.blocks import find_content
from context_ls.history.dialects import dialect_of
from context_ls.history.facts import DECODE_ERRORS
from context_ls.history.findings import Finding
from context_ls.history.model import Call, History, Item, Output, Span
from context_ls.history.new_records import NewRecord
from context_ls.history.rules import RULES, fix_template, move_title
from context_ls.history.style import detect_style


class Plan:
    """What to change, gathered per record, then turned into non-overlapping edits."""

    def __init__(self, history: History, data: bytes, texts: Mapping[str, str]) -> None:
        self.history = history
        self.data = data
        self.dialect = dialect = dialect_of(history.dialect)
        self.text = texts.get(dialect.name) or dialect.default_text
        self.style = detect_style(history, data)
        self.remove_items: set[int] = set()
        self.remove_blocks: dict[int, set[int]] = defaultdict(set)
        self.prepend: dict[int, list[bytes]] = defaultdict(list)
        self.insert_after: dict[int, list[NewRecord]] = defaultdict(list)
        self.parent_override: dict[int, str | None] = {}
        # Records whose result blocks go to the front of their content (H011).
        self.results_front: set[int] = set()
        # What the dialect's own repairs keep between findings (see its module).
        self.state: dict[str, Any] = {}
        self._values: dict[int, Any] = {}
        # Misplaced outputs, settled once every finding is in: whether a record moves as a
        # whole depends on what happens to the rest of it.
        self.moves: list[tuple[Output, Call]] = []
        # What the moves took: whole records (by item), and blocks (item, block) that
        # left a record which stays.
        self.moved_records: set[int] = set()
        self.moved_blocks: set[tuple[int, int]] = set()
        # Built only for findings made without their subjects (by hand, in tests).
        self._calls_by_id: dict[str, Call] | None = None
        self._outputs_at: dict[tuple[int, str], Output] | None = None
        self._result_blocks: dict[int, set[int]] | None = None

    # --- what each finding asks for -------------------------------------------------

    def add(self, finding: Finding) -> None:
        if finding.pending or not finding.fixable:
            return
        if self.dialect.fix_in_record is not None:
            self.dialect.fix_in_record(self, finding)
            return
        rule = RULES.get(finding.code)
        if rule is not None and rule.fixer is not None:
            rule.fixer(self, finding)

    def call_of(self, call_id: str | None) -> Call | None:
        """The first call with this id (for findings made without their subjects)."""
        if self._calls_by_id is None:
            self._calls_by_id = {c.call_id: c for c in reversed(self.history.calls)}
        return self._calls_by_id.get(call_id) if call_id is not None else None

    def output_at(self, finding: Finding) -> Output | None:
        """The output a finding points at (for findings made without their subjects)."""
        if self._outputs_at is None:
            self._outputs_at = {(o.item, o.call_id): o for o in reversed(self.history.outputs)}
        return self._outputs_at.get((finding.item, finding.call_id or ""))

    def synthesize(self, call: Call) -> None:
        self.dialect.synthesize(self, call)

    def remove_output(self, output: Output) -> None:
        if self.dialect.blocks and output.block >= 0:
            self.remove_blocks[output.item].add(output.block)
        else:
            self.remove_items.add(output.item)

    def results_to_front(self, index: int) -> None:
        """Record `index`'s result blocks go first, in their order (made in `edits`)."""
        self.results_front.add(index)

    def result_blocks(self, index: int) -> set[int]:
        """The blocks of record `index` that are results (with or without a usable id)."""
        if self._result_blocks is None:
            found: dict[int, set[int]] = defaultdict(set)
            for output in self.history.outputs:
                found[output.item].add(output.block)
            for item, block, what in self.history.missing_ids:
                if "result" in what:
                    found[item].add(block)
            self._result_blocks = found
        return self._result_blocks.get(index, set())

    def remove_text_block(self, index: int, span: Span) -> None:
        """The content block of record `index` that `span` covers goes (H012)."""
        item = self.history.items[index]
        content = find_content(self.bytes_of(item), self.content_path())
        if content is None or not content.is_array:
            return
        at = (span.start - item.span.start, span.end - item.span.start)
        if at in content.elements:
            self.remove_blocks[index].add(content.elements.index(at))

    def move_output(self, output: Output, call: Call) -> None:
        """Noted now, made in `settle` (a record moves whole only when nothing of it stays)."""
        self.moves.append((output, call))

    def settle(self) -> None:
        """Make the moves (see `moves.settle`)."""
        moves.settle(self)

    # --- what the dialects' repairs use ---------------------------------------------------

    def insert(self, anchor: int, record: NewRecord) -> None:
        """Insert `record` after record `anchor` (after those inserted there before)."""
        self.insert_after[anchor].append(record)

    def deliver_block(self, call: Call, block: bytes, key: str) -> None:
        """Put an output block where the results of `call` go (`Dialect.deliver_block`)."""
        deliver = self.dialect.deliver_block
        if deliver is not None:
            deliver(self, call, block, key)

    def content_path(self) -> tuple[str, ...]:
        """Where a record's content blocks are."""
        return self.dialect.content_path or ("content",)

    def bytes_of(self, item: Item) -> bytes:
        return self.data[item.span.start : item.span.end]

    def value(self, index: int) -> Any:
        """Record `index` decoded (None when it does not decode)."""
        if index not in self._values:
            try:
                self._values[index] = msgspec.json.decode(self.bytes_of(self.history.items[index]))
            except DECODE_ERRORS:
                self._values[index] = None
        return self._values[index]

    def previous_uuid(self, index: int) -> str | None:
        """The nearest earlier record that is not a descendant of record `index`
        (re-linking to a descendant would close a loop)."""
        records = self.history.items
        broken = records[index].uuid
        parents = records.parent_of_uuid()
        for earlier in records.views(range(index - 1, -1, -1)):
            if (
                earlier.uuid
                and earlier.index not in self.remove_items
                and (broken is None or not _descends_from(earlier.uuid, broken, parents))
            ):
                return earlier.uuid
        return None

    # --- titles -------------------------------------------------------------------------

    def title(self, finding: Finding) -> str | None:
        """What the fix of `finding` does, for a move: whether its record goes whole."""
        rule = RULES.get(finding.code)
        if rule is None or rule.moves_to is None:
            return None
        output = finding.output or self.output_at(finding)
        if output is None:
            return None
        if output.item in self.moved_records:
            how = "record"
        elif (output.item, output.block) in self.moved_blocks:
            how = "blocks"
        else:
            return None
        return move_title(finding.code, self.dialect.move_titles, how, finding.call_id or "")


def _descends_from(uuid: str, ancestor: str, parents: dict[str, str | None]) -> bool:
    seen: set[str] = set()
    node: str | None = uuid
    while node is not None and node not in seen:
        if node == ancestor:
            return True
        seen.add(node)
        node = parents.get(node)
    return False


def plan_for(
    history: History, data: bytes, findings: Iterable[Finding], texts: Mapping[str, str]
) -> Plan:
    plan = Plan(history, data, texts)
    for finding in findings:
        plan.add(finding)
    plan.settle()
    return plan


def fix_title(
    history: History, data: bytes, finding: Finding, texts: Mapping[str, str] | None = None
) -> str:
    """The title of the quick fix of `finding`: a move says whether its record goes whole,
    or which fields stay behind with the blocks that stay."""
    return title_of(plan_for(history, data, [finding], texts or {}), finding)


def title_of(plan: Plan, finding: Finding) -> str:
    """The title of `finding`'s fix in `plan` (a plan made for that finding)."""
    title = plan.title(finding)
    return title or fix_template(finding.code).format(call_id=finding.call_id or "")
