"""Repairs as minimal byte edits: synthetic outputs for dangling calls, orphans and extra
outputs removed, misplaced outputs moved next to their call, a truncated tail dropped,
broken parent links re-linked. Bytes that need no change are never touched.

A misplaced output whose record holds nothing else moves as a whole record, byte for byte
(a Claude Code line keeps its uuid, timestamp, `toolUseResult` and unknown fields; only
its `parentUuid` link changes). Only when its record also holds blocks that stay do the
moving blocks leave it, and the record with all its fields stays with those blocks."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any

import msgspec

from context_ls.history.blocks import find_content, removal_ranges
from context_ls.history.dialects import anthropic, chat, claude_code, codex, native, responses
from context_ls.history.findings import Finding
from context_ls.history.locate import key_value_span
from context_ls.history.model import Call, History, Item, ItemKind, Output
from context_ls.history.records import DECODE_ERRORS
from context_ls.history.rules import fix_template, move_title
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
_NULL_PARENT = re.compile(rb'"parentUuid"\s*:\s*(null)')


@dataclass(slots=True)
class NewRecord:
    """A record to insert: a value to render, with raw blocks spliced in byte for byte."""

    value: dict[str, Any]
    raws: list[bytes] = field(default_factory=list)
    uuid: str | None = None
    # Claude Code: the parent the record names when it is the first one inserted at its
    # place (a moved 2.1.x result hangs off its own call's line, `sourceToolAssistantUUID`).
    own_parent: str | None = None

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
        # Misplaced outputs, settled once every finding is in: whether a record moves as a
        # whole depends on what happens to the rest of it.
        self._moves: list[tuple[Output, Call]] = []
        # What the moves took: whole records (by item), and blocks (item, block) that
        # left a record which stays.
        self.moved_records: set[int] = set()
        self.moved_blocks: set[tuple[int, int]] = set()
        # Anthropic: the call messages that get result blocks delivered into their reply.
        self._block_targets: set[int] = set()
        # Built only for findings made without their subjects (by hand, in tests).
        self._calls_by_id: dict[str, Call] | None = None
        self._outputs_at: dict[tuple[int, str], Output] | None = None
        # Codex paginated rollouts: the ordinals given so far (None: not paginated).
        self._ordinals: list[int | None] | None = None

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
            ordinal = self._next_ordinal()
            value = codex.synthetic_line(
                call.call_id, call.kind, self.text, call_item.timestamp, ordinal
            )
            # A paginated rollout numbers its lines: no number is free between two of them,
            # so the output goes at the end (the Responses API does not ask for adjacency).
            anchor = call.item if ordinal is None else len(self.history.items) - 1
            self.insert_after[anchor].append(NewRecord(value))
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

    def _next_ordinal(self) -> int | None:
        """The ordinal the next appended line of a paginated rollout gets (None when the
        rollout is not paginated)."""
        if self._ordinals is None:
            lines = bytes(self.data).splitlines() if self.data else []
            ordinals = codex.read_ordinals(lines)
            self._ordinals = [ordinals.last] if ordinals.paginated else [None]
        last = self._ordinals[-1]
        if last is None:
            return None
        self._ordinals.append(last + 1)
        return last + 1

    def remove_output(self, output: Output) -> None:
        if self.dialect in BLOCK_DIALECTS and output.block >= 0:
            self.remove_blocks[output.item].add(output.block)
        else:
            self.remove_items.add(output.item)

    def move_output(self, output: Output, call: Call) -> None:
        """Noted now, made in `settle` (a record moves whole only when nothing of it stays)."""
        self._moves.append((output, call))

    # --- moves ------------------------------------------------------------------------

    def settle(self) -> None:
        """Make the moves. A record of which nothing stays (every block moves or goes
        anyway) moves as a whole, next to the call of its first moving block; blocks bound
        elsewhere leave it. Records that keep some blocks let their moving blocks go."""
        moves, self._moves = self._moves, []
        by_record: dict[int, dict[int, Call]] = defaultdict(dict)
        for output, call in moves:
            gone = output.item in self.remove_items or output.block in self.remove_blocks.get(
                output.item, ()
            )
            if not gone:
                by_record[output.item].setdefault(output.block, call)
        blocky = self.dialect in BLOCK_DIALECTS
        whole: dict[int, dict[int, Call]] = {}
        for index, moving in by_record.items():
            if not blocky or -1 in moving:
                self._move_record(index, moving[min(moving)], ())
            elif self._nothing_stays(index, moving):
                place = self._destination(moving[min(moving)])
                whole[index] = {b: c for b, c in moving.items() if self._destination(c) == place}
        if self.dialect == "anthropic":
            self._keep_replies_whole(whole, by_record)
        for index, moving in by_record.items():
            if not blocky or -1 in moving:
                continue
            along = whole.get(index, {})
            for block, call in sorted(moving.items()):
                if block not in along:
                    self._move_block(index, block, call)
            if along:
                dropped = self.remove_blocks.pop(index, set()) - along.keys()
                self._move_record(index, along[min(along)], dropped)

    def _nothing_stays(self, index: int, moving: dict[int, Call]) -> bool:
        """Every block of the record moves or is removed anyway, and no other repair puts
        blocks into it."""
        content = find_content(self._bytes(self.history.items[index]), self._content_path())
        if content is None or not content.is_array or index in self.prepend:
            return False
        blocks = set(range(len(content.elements)))
        return moving.keys() <= blocks <= moving.keys() | self.remove_blocks.get(index, set())

    def _keep_replies_whole(
        self, whole: dict[int, dict[int, Call]], by_record: dict[int, dict[int, Call]]
    ) -> None:
        """Anthropic wants every result of one assistant message in the one message after
        it: a message moves whole only when it alone brings results there. Otherwise its
        blocks go into that reply, which must not itself be a message on the move."""
        changed = True
        while changed:
            changed = False
            targets = set(self._block_targets)
            replies: set[int] = set(self.prepend)
            movers: dict[int, int] = defaultdict(int)
            for index, moving in by_record.items():
                along = whole.get(index, {})
                if along:
                    movers[along[min(along)].item] += 1
                for block, call in moving.items():
                    if block in along:
                        continue
                    targets.add(call.item)
                    reply = self._anthropic_reply(call)
                    if reply is not None:
                        replies.add(reply)
            for index, along in list(whole.items()):
                call = along[min(along)]
                reply = self._anthropic_reply(call)
                holds_results = reply is not None and (
                    self.history.items[reply].kind is ItemKind.OUTPUTS
                )
                if (
                    call.item in targets
                    or movers[call.item] > 1
                    or holds_results
                    or index in replies
                ):
                    del whole[index]
                    changed = True

    def _destination(self, call: Call) -> int:
        """Where a result of `call` goes: the end of its message and results (Claude Code),
        its call message (Anthropic)."""
        if self.dialect == "claude-code":
            return self._reply_end(self.history.items[call.item])
        return call.item

    def _move_record(self, index: int, call: Call, dropped: Iterable[int]) -> None:
        """The whole record goes next to its call, byte for byte but for the blocks that go
        anyway and (Claude Code) its parent link."""
        items = self.history.items
        item = items[index]
        raw = self._bytes(item)
        dropped = set(dropped)
        if dropped:
            content = find_content(raw, self._content_path())
            if content is not None:
                for start, end in reversed(removal_ranges(content.elements, dropped)):
                    raw = raw[:start] + raw[end:]
        self.remove_items.add(index)
        self.remove_blocks.pop(index, None)
        if self.dialect == "claude-code":
            anchor = self._reply_end(items[call.item])
            record = _MovedRecord(raw, item.uuid, item.parent_uuid, self._source_line(index, call))
            self.insert_after[anchor].insert(self._moved_at(anchor), record)
            self.moved_records.add(index)
            return
        anchor = call.item
        if self.dialect == "openai-chat":
            anchor = self._tool_block_end(items[call.item])
        self.insert_after[anchor].append(_MovedRecord(raw))
        self.moved_records.add(index)

    def _move_block(self, index: int, block: int, call: Call) -> None:
        """One block leaves a record that stays (with its other blocks and its fields)."""
        item = self.history.items[index]
        content = find_content(self._bytes(item), self._content_path())
        if content is None or block >= len(content.elements):
            return
        self.remove_blocks[index].add(block)
        start, end = content.elements[block]
        self._deliver_block(call, self._bytes(item)[start:end], f"moved:{call.call_id}")
        self.moved_blocks.add((index, block))

    def _moved_at(self, anchor: int) -> int:
        """Moved lines go first at their place, so the first of them may keep the parent it
        names (new lines chain on after it)."""
        return sum(isinstance(r, _MovedRecord) for r in self.insert_after[anchor])

    def _source_line(self, index: int, call: Call) -> str | None:
        """Claude Code 2.1: the call's line, when the result line names it as its source
        (`sourceToolAssistantUUID`): a moved result hangs off it, as Claude Code writes it."""
        value = self._value(index)
        call_uuid = self.history.items[call.item].uuid
        if (
            isinstance(value, dict)
            and call_uuid
            and value.get("sourceToolAssistantUUID") == call_uuid
        ):
            return call_uuid
        return None

    def _anthropic_reply(self, call: Call) -> int | None:
        """The user message right after a call's message, which its results go into."""
        call_item = self.history.items[call.item]
        reply = self._next_conversation(call_item)
        if (
            reply is not None
            and reply.role == "user"
            and reply.turn == call_item.turn + 1
            and find_content(self._bytes(reply), ("content",)) is not None
        ):
            return reply.index
        return None

    # --- titles -------------------------------------------------------------------------

    def title(self, finding: Finding) -> str | None:
        """What the fix of `finding` does, for a move: whether its record goes whole."""
        if finding.code not in ("H005", "H006"):
            return None
        output = finding.output or self._output_at(finding)
        if output is None:
            return None
        if output.item in self.moved_records:
            how = "record"
        elif (output.item, output.block) in self.moved_blocks:
            how = "blocks"
        else:
            return None
        return move_title(finding.code, self.dialect, how, finding.call_id or "")

    # --- where things go ----------------------------------------------------------------

    def _deliver_block(self, call: Call, block: bytes, key: str) -> None:
        """Anthropic: into the next user message (or a new one); Claude Code: a new line."""
        items = self.history.items
        call_item = items[call.item]
        if self.dialect == "anthropic":
            self._block_targets.add(call.item)
            reply = self._anthropic_reply(call)
            if reply is not None:
                self.prepend[reply].append(block)
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
        """Claude Code: the last line of the call's message and of the results after it,
        and of the lines that are no messages after them but go on from them (hook
        progress) or stand outside the chain (queue operations): a result goes where
        Claude Code writes it. A line that branches off an earlier one is passed over."""
        end = call_item.index
        tip = call_item.uuid  # the uuid the run ends on, so far
        for later in self._after(call_item):
            if later.kind is ItemKind.MALFORMED or later.thread != call_item.thread:
                continue
            if later.kind is ItemKind.OTHER:
                if later.uuid is None or (tip is not None and later.parent_uuid == tip):
                    tip = later.uuid or tip
                    end = later.index
                continue
            same_message = later.turn == call_item.turn
            results = later.turn == call_item.turn + 1 and later.results_only
            if not (same_message or results):
                break
            tip = later.uuid or tip
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


class _MovedRecord(NewRecord):
    """An existing record moved elsewhere: its bytes unchanged, but for the value of its
    `parentUuid` (Claude Code), which names the line now before it."""

    def __init__(
        self,
        raw: bytes,
        uuid: str | None = None,
        parent: str | None = None,
        own_parent: str | None = None,
    ) -> None:
        super().__init__({}, [raw], uuid, own_parent)
        self.parent = parent

    def render(self, style: Style, parent: str | None, chained: bool) -> bytes:
        raw = self.raws[0]
        if not chained or parent == self.parent:
            return raw
        return relinked(raw, self.parent, parent)


def relinked(record: bytes, old: str | None, new: str | None) -> bytes:
    """`record` with its `parentUuid` value (`old`) replaced by `new`; the rest untouched."""
    span = parent_span(record, old)
    if span is None:
        return record
    return record[: span[0]] + msgspec.json.encode(new) + record[span[1] :]


def parent_span(record: bytes, parent: str | None) -> tuple[int, int] | None:
    """Where the value of a line's `parentUuid` (`parent`, or null) stands in its bytes."""
    if parent is None:
        match = _NULL_PARENT.search(record)
        return (match.start(1), match.end(1)) if match else None
    span = key_value_span(record, 0, "parentUuid", parent)
    return (span.start, span.end) if span else None


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
    title = plan_for(history, data, [finding], texts or {}).title(finding)
    return title or fix_template(finding.code).format(call_id=finding.call_id or "")
