"""Repairs as minimal byte edits: synthetic outputs for dangling calls, orphans and extra
outputs removed, misplaced outputs moved next to their call, a truncated tail dropped,
broken parent links re-linked. Bytes that need no change are never touched."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any

import msgspec

from context_ls.history.blocks import find_content
from context_ls.history.dialects import anthropic, chat, claude_code, codex, native, responses
from context_ls.history.findings import Finding
from context_ls.history.model import Call, History, Item, ItemKind, Output
from context_ls.history.records import DECODE_ERRORS
from context_ls.history.style import Style, detect_style

BLOCK_DIALECTS = frozenset({"anthropic", "claude-code"})
DEFAULT_TEXT = {
    "codex": codex.DEFAULT_SYNTHETIC_TEXT,
    "openai-responses": responses.DEFAULT_SYNTHETIC_TEXT,
    "openai-chat": chat.DEFAULT_SYNTHETIC_TEXT,
    "anthropic": anthropic.DEFAULT_SYNTHETIC_TEXT,
    "claude-code": claude_code.DEFAULT_SYNTHETIC_TEXT,
    "native": native.DEFAULT_SYNTHETIC_TEXT,
}
_RAW = "\x00raw-block-{}\x00"


@dataclass(slots=True)
class NewRecord:
    """A record to insert: a value to render, with raw blocks spliced in byte for byte."""

    value: dict[str, Any]
    raws: list[bytes] = field(default_factory=list)
    uuid: str | None = None

    def render(self, style: Style, parent: str | None, chained: bool) -> bytes:
        value = self.value
        if chained and "parentUuid" in value:
            value = {**value, "parentUuid": parent}
        out = style.render(value)
        for index, raw in enumerate(self.raws):
            out = out.replace(msgspec.json.encode(_RAW.format(index)), raw)
        return out


class Plan:
    """What to change, gathered per record, then turned into non-overlapping edits."""

    def __init__(self, history: History, data: bytes, texts: Mapping[str, str]) -> None:
        self.history = history
        self.data = data
        self.dialect = history.dialect or "codex"
        self.text = texts.get(self.dialect) or DEFAULT_TEXT[self.dialect]
        self.style = detect_style(history, data)
        self.remove_items: set[int] = set()
        self.remove_blocks: dict[int, set[int]] = defaultdict(set)
        self.prepend: dict[int, list[bytes]] = defaultdict(list)
        self.insert_after: dict[int, list[NewRecord]] = defaultdict(list)
        self.parent_override: dict[int, str | None] = {}
        self._values: dict[int, Any] = {}
        self._new_replies: dict[int, NewRecord] = {}
        # Built only for findings made without their subjects (by hand, in tests).
        self._calls_by_id: dict[str, Call] | None = None
        self._outputs_at: dict[tuple[int, str], Output] | None = None

    # --- what each finding asks for -------------------------------------------------

    def add(self, finding: Finding) -> None:
        code = finding.code
        if finding.pending or not finding.fixable:
            return
        if code == "H001":
            call = finding.call or self._call_of(finding.call_id)
            if call is not None:
                self.synthesize(call)
        elif code in ("H002", "H004"):
            output = finding.output or self._output_at(finding)
            if output is not None:
                self.remove_output(output)
        elif code in ("H005", "H006"):
            output = finding.output or self._output_at(finding)
            call = finding.call or (self._call_of(output.call_id) if output else None)
            if output is not None and call is not None:
                self.move_output(output, call)
        elif code == "H007":
            self.remove_items.add(finding.item)
        elif code == "H009":
            self.parent_override[finding.item] = self._previous_uuid(finding.item)

    def _call_of(self, call_id: str | None) -> Call | None:
        """The first call with this id (for findings made without their subjects)."""
        if self._calls_by_id is None:
            self._calls_by_id = {c.call_id: c for c in reversed(self.history.calls)}
        return self._calls_by_id.get(call_id) if call_id is not None else None

    def _output_at(self, finding: Finding) -> Output | None:
        """The output a finding points at (for findings made without their subjects)."""
        if self._outputs_at is None:
            self._outputs_at = {(o.item, o.call_id): o for o in reversed(self.history.outputs)}
        return self._outputs_at.get((finding.item, finding.call_id or ""))

    def synthesize(self, call: Call) -> None:
        dialect = self.dialect
        call_item = self.history.items[call.item]
        if dialect == "codex":
            value = codex.synthetic_line(call.call_id, call.kind, self.text, call_item.timestamp)
            self.insert_after[call.item].append(NewRecord(value))
        elif dialect == "openai-responses":
            value = responses.synthetic_output(call.call_id, call.kind, self.text)
            self.insert_after[call.item].append(NewRecord(value))
        elif dialect == "native":
            value = native.synthetic_output(call.call_id, self.text, call_item.timestamp)
            self.insert_after[call.item].append(NewRecord(value))
        elif dialect == "openai-chat":
            value = chat.synthetic_output(call.call_id, self.text)
            self.insert_after[self._tool_block_end(call_item)].append(NewRecord(value))
        else:
            block = anthropic.synthetic_result(call.call_id, self.text)
            self._deliver_block(call, self.style.render(block, 2), call.call_id)

    def remove_output(self, output: Output) -> None:
        if self.dialect in BLOCK_DIALECTS and output.block >= 0:
            self.remove_blocks[output.item].add(output.block)
        else:
            self.remove_items.add(output.item)

    def move_output(self, output: Output, call: Call) -> None:
        self.remove_output(output)
        item = self.history.items[output.item]
        if self.dialect in BLOCK_DIALECTS and output.block >= 0:
            content = find_content(self._bytes(item), self._content_path())
            if content is None or output.block >= len(content.elements):
                return
            start, end = content.elements[output.block]
            self._deliver_block(call, self._bytes(item)[start:end], f"moved:{call.call_id}")
            return
        anchor = call.item
        if self.dialect == "openai-chat":
            anchor = self._tool_block_end(self.history.items[call.item])
        self.insert_after[anchor].append(_VerbatimRecord(self._bytes(item)))

    # --- where things go ----------------------------------------------------------------

    def _deliver_block(self, call: Call, block: bytes, key: str) -> None:
        """Anthropic: into the next user message (or a new one); Claude Code: a new line."""
        items = self.history.items
        call_item = items[call.item]
        if self.dialect == "anthropic":
            reply = self._next_conversation(call_item)
            if (
                reply is not None
                and reply.role == "user"
                and reply.turn == call_item.turn + 1
                and find_content(self._bytes(reply), ("content",)) is not None
            ):
                self.prepend[reply.index].append(block)
                return
            # No user message follows: every result of this call's message goes in one new one.
            new_message = self._new_replies.get(call.item)
            if new_message is None:
                new_message = self._new_replies[call.item] = NewRecord(
                    {"role": "user", "content": []}
                )
                self.insert_after[call.item].append(new_message)
            new_message.value["content"].append(_RAW.format(len(new_message.raws)))
            new_message.raws.append(block)
            return
        anchor = self._reply_end(call_item)
        neighbour = self._value(call.item)  # same session, same thread as the call
        value: dict[str, Any] = claude_code.synthetic_line(
            call.call_id,
            self.text,
            None,
            neighbour if isinstance(neighbour, dict) else {},
            call_item.timestamp,
        )
        new_uuid = claude_code.synthetic_uuid(key)
        value["message"] = {"role": "user", "content": [_RAW.format(0)]}
        value["uuid"] = new_uuid
        if key.startswith("moved:"):
            value.pop("toolUseResult", None)
        self.insert_after[anchor].append(NewRecord(value, [block], new_uuid))

    def _after(self, item: Item) -> Iterator[Item]:
        """The records after `item`, in file order."""
        items = self.history.items
        return items.views(range(item.index + 1, len(items)))

    def _next_conversation(self, item: Item) -> Item | None:
        for later in self._after(item):
            if later.kind in (ItemKind.MESSAGE, ItemKind.CALLS, ItemKind.OUTPUTS):
                return later
        return None

    def _tool_block_end(self, call_item: Item) -> int:
        end = call_item.index
        for later in self._after(call_item):
            if later.kind is ItemKind.OTHER:
                continue
            if later.role != "tool" or later.turn != call_item.turn + 1:
                break
            end = later.index
        return end

    def _reply_end(self, call_item: Item) -> int:
        """Claude Code: the last line of the call's message and of the results after it."""
        end = call_item.index
        for later in self._after(call_item):
            if (
                later.kind in (ItemKind.OTHER, ItemKind.MALFORMED)
                or later.thread != call_item.thread
            ):
                continue
            same_message = later.turn == call_item.turn
            results = later.turn == call_item.turn + 1 and later.results_only
            if not (same_message or results):
                break
            end = later.index
        return end

    def _previous_uuid(self, index: int) -> str | None:
        """The nearest earlier line that is not a descendant of line `index` (re-linking to
        a descendant would close a loop)."""
        records = self.history.items
        broken = records[index].uuid
        parents = {
            uuid: parent
            for uuid, parent in zip(
                records.uuids or (), records.parent_uuids or repeat(None), strict=False
            )
            if uuid
        }
        for earlier in records.views(range(index - 1, -1, -1)):
            if (
                earlier.uuid
                and earlier.index not in self.remove_items
                and (broken is None or not _descends_from(earlier.uuid, broken, parents))
            ):
                return earlier.uuid
        return None

    def _content_path(self) -> tuple[str, ...]:
        return ("message", "content") if self.dialect == "claude-code" else ("content",)

    def _bytes(self, item: Item) -> bytes:
        return self.data[item.span.start : item.span.end]

    def _value(self, index: int) -> Any:
        if index not in self._values:
            try:
                self._values[index] = msgspec.json.decode(self._bytes(self.history.items[index]))
            except DECODE_ERRORS:
                self._values[index] = None
        return self._values[index]


def _descends_from(uuid: str, ancestor: str, parents: dict[str, str | None]) -> bool:
    seen: set[str] = set()
    node: str | None = uuid
    while node is not None and node not in seen:
        if node == ancestor:
            return True
        seen.add(node)
        node = parents.get(node)
    return False


class _VerbatimRecord(NewRecord):
    """An existing record moved elsewhere: its bytes unchanged."""

    def __init__(self, raw: bytes) -> None:
        super().__init__({}, [raw])

    def render(self, style: Style, parent: str | None, chained: bool) -> bytes:
        return self.raws[0]


def plan_for(
    history: History, data: bytes, findings: Iterable[Finding], texts: Mapping[str, str]
) -> Plan:
    plan = Plan(history, data, texts)
    for finding in findings:
        plan.add(finding)
    return plan
