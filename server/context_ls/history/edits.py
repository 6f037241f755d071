"""Turning a repair plan into minimal, non-overlapping byte edits."""

from __future__ import annotations

import msgspec

from context_ls.history.blocks import find_content, removal_ranges
from context_ls.history.facts import DECODE_ERRORS
from context_ls.history.model import Item, ItemKind, Records, Span, TextEdit
from context_ls.history.new_records import parent_span
from context_ls.history.normalize import Plan

_WS = b" \t\r\n"


def plan_edits(plan: Plan) -> list[TextEdit]:
    history = plan.history
    items = history.items
    edits: list[TextEdit] = []
    removed = set(plan.remove_items)
    replaced = _results_to_front(plan, removed, edits)
    # Whole records whose every block goes (and that receive none) are removed whole;
    # those that receive new blocks get their array's contents replaced in one edit.
    for index, blocks in plan.remove_blocks.items():
        if index in replaced:
            continue
        content = find_content(plan.bytes_of(items[index]), plan.content_path())
        if content is None or not content.is_array:
            continue
        base = items[index].span.start
        if len(blocks) >= len(content.elements):
            if not plan.prepend.get(index):
                removed.add(index)
                continue
            first, last = content.elements[0][0], content.elements[-1][1]
            joined = _block_separator(plan, plan.bytes_of(items[index]), content.start, first).join(
                plan.prepend[index]
            )
            edits.append(TextEdit(Span(base + first, base + last), joined))
            replaced.add(index)
        else:
            for start, end in removal_ranges(content.elements, blocks):
                edits.append(TextEdit(Span(base + start, base + end), b""))
    removed -= set(plan.prepend)
    edits.extend(_removals(plan, sorted(removed)))
    for index, new_blocks in plan.prepend.items():
        if index not in replaced:
            edits.extend(_prepend(plan, items[index], new_blocks))
    edits.extend(_inserts_and_links(plan, removed))
    if plan.dialect.record_edits is not None:
        edits.extend(plan.dialect.record_edits(plan))
    return edits


def _results_to_front(plan: Plan, removed: set[int], edits: list[TextEdit]) -> set[int]:
    """H011: each record's blocks in their new order (blocks put in front first, then its
    results, then the rest; removed blocks left out), written in one edit over its array's
    elements. The separators stay where they were, and bytes that do not change are not
    part of the edit. Returns the records done here."""
    done: set[int] = set()
    for index in sorted(plan.results_front - removed):
        item = plan.history.items[index]
        record = plan.bytes_of(item)
        content = find_content(record, plan.content_path())
        if content is None or not content.is_array or not content.elements:
            continue
        elements = content.elements
        gone = plan.remove_blocks.get(index, set())
        results = plan.result_blocks(index)
        kept = [b for b in range(len(elements)) if b not in gone]
        order = [b for b in kept if b in results] + [b for b in kept if b not in results]
        pieces = [*plan.prepend.get(index, []), *(record[slice(*elements[b])] for b in order)]
        if not pieces:
            continue  # nothing stays: the record goes whole (below)
        gaps = [record[elements[n][1] : elements[n + 1][0]] for n in range(len(elements) - 1)]
        if not gaps:
            gaps = [_block_separator(plan, record, content.start, elements[0][0])]
        new = pieces[0] + b"".join(
            gaps[min(n, len(gaps) - 1)] + p for n, p in enumerate(pieces[1:])
        )
        start, end = elements[0][0], elements[-1][1]
        edits.append(_changed_part(item.span.start + start, record[start:end], new))
        done.add(index)
    return done


def _changed_part(base: int, old: bytes, new: bytes) -> TextEdit:
    """An edit of `old` (at `base`) into `new` that leaves out their common ends."""
    head = 0
    limit = min(len(old), len(new))
    while head < limit and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < limit - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    return TextEdit(Span(base + head, base + len(old) - tail), new[head : len(new) - tail])


def _line_end(data: bytes, end: int) -> int:
    """Just past the line terminator after byte `end` (a record's end), if any."""
    if data.startswith(b"\r\n", end):
        return end + 2
    if data.startswith(b"\n", end):
        return end + 1
    return end


def _removals(plan: Plan, removed: list[int]) -> list[TextEdit]:
    items = plan.history.items
    data = plan.data
    if not plan.history.document:
        gone = [items[i].span for i in removed]
        return [TextEdit(Span(s.start, _line_end(data, s.end)), b"") for s in gone]
    rows = items.rows_of(kind for kind in ItemKind if kind is not ItemKind.MALFORMED)
    spans = [(span.start, span.end) for span in (items[row].span for row in rows)]
    positions = {row: n for n, row in enumerate(rows)}
    chosen = {positions[index] for index in removed if index in positions}
    return [TextEdit(Span(s, e), b"") for s, e in removal_ranges(spans, chosen)]


def _prepend(plan: Plan, item: Item, blocks: list[bytes]) -> list[TextEdit]:
    record = plan.bytes_of(item)
    content = find_content(record, plan.content_path())
    base = item.span.start
    sep = plan.style.item_separators[0].encode()
    joined = sep.join(blocks)
    if content is None:
        return []
    if not content.is_array:
        text_block = b'{"type"' + _colon(plan) + b'"text"' + sep + b'"text"' + _colon(plan)
        original = record[content.start : content.end]
        new = b"[" + joined + sep + text_block + original + b"}]"
        if not _decoded_text(original).strip():  # a blank text block is refused (H012)
            new = b"[" + joined + b"]"
        return [TextEdit(Span(base + content.start, base + content.end), new)]
    if not content.elements:
        return [TextEdit(Span(base + content.start + 1, base + content.start + 1), joined)]
    first_start = content.elements[0][0]
    between = _block_separator(plan, record, content.start, first_start)
    return [TextEdit(Span(base + first_start, base + first_start), between.join(blocks) + between)]


def _decoded_text(raw: bytes) -> str:
    try:
        value = msgspec.json.decode(raw)
    except DECODE_ERRORS:
        return "?"
    return value if isinstance(value, str) else "?"


def _block_separator(plan: Plan, record: bytes, array_start: int, first_start: int) -> bytes:
    """`,` plus the white space the array puts before its first block."""
    gap = record[array_start + 1 : first_start]
    if b"\n" in gap and not gap.strip(_WS):
        return b"," + gap
    return plan.style.item_separators[0].encode()


def _colon(plan: Plan) -> bytes:
    return plan.style.item_separators[1].encode()


def _inserts_and_links(plan: Plan, removed: set[int]) -> list[TextEdit]:
    history = plan.history
    items = history.items
    data = plan.data
    chained = plan.dialect.chain is not None and items.has_parent_links()
    edits: list[TextEdit] = []
    # Chained records: parents of removed lines, and where each insertion point now leads.
    kept_uuids = items.known_uuids(skip=removed)
    removed_parent: dict[str | None, str | None] = {}
    for i in removed:
        gone = items[i]
        if gone.uuid and gone.uuid not in kept_uuids:  # a copy that stays keeps its children
            removed_parent[gone.uuid] = plan.parent_override.get(i, gone.parent_uuid)
    redirect: dict[str | None, str | None] = {}
    anchor_index_of: dict[str | None, int] = {}
    # A uuid that several lines carry leaves its links ambiguous (Claude Code then reads
    # the file in order): only the first line after the insertion that names it follows.
    repeated = items.repeated_uuids() if chained else set()
    row_redirect: dict[int, tuple[str | None, str | None]] = {}
    for anchor_index in sorted(plan.insert_after):
        records = plan.insert_after[anchor_index]
        anchor = _kept_anchor(items, anchor_index, removed)
        parent = _uuid_at_or_before(items, anchor, removed) if chained else None
        rendered: list[bytes] = []
        for n, record in enumerate(records):
            if n == 0 and record.own_parent is not None and record.own_parent in kept_uuids:
                parent = record.own_parent  # a moved 2.1 result hangs off its call's line
            rendered.append(record.render(plan.style, parent, chained))
            if record.uuid is not None:
                parent = record.uuid
        first_parent = _uuid_at_or_before(items, anchor, removed) if chained else None
        if chained and parent != first_parent and first_parent in repeated:
            row = _first_child_after(plan, anchor, first_parent, removed)
            if row is not None:
                row_redirect[row] = (first_parent, parent)
        elif chained and parent != first_parent:
            redirect[first_parent] = parent
            # The inserted lines go between the anchor and its children in the chain, even
            # children written earlier in the file; when the anchor has no uuid of its own,
            # only lines after it are its children.
            anchor_index_of[first_parent] = -1 if items[anchor].uuid == first_parent else anchor
        edits.append(_insert_after(plan, data, items, anchor, rendered))
    if not chained:
        return edits
    malformed, override = set(items.of_kind(ItemKind.MALFORMED)), plan.parent_override
    for row, own in items.parent_links():
        if row in removed or row in malformed:
            continue
        parent = override.get(row, own)
        seen: set[str | None] = set()
        while parent in removed_parent and parent not in seen:
            seen.add(parent)
            parent = removed_parent[parent]
        if parent in redirect and row > anchor_index_of[parent]:
            parent = redirect[parent]
        elif row in row_redirect and parent == row_redirect[row][0]:
            parent = row_redirect[row][1]
        if parent != own:
            edit = _relink(plan, items[row], parent)
            if edit is not None:
                edits.append(edit)
    return edits


def _first_child_after(plan: Plan, anchor: int, parent: str, removed: set[int]) -> int | None:
    """The first kept line after `anchor` (in its thread) whose parentUuid is `parent`."""
    items = plan.history.items
    thread = items[anchor].thread
    for later in items.views(range(anchor + 1, len(items))):
        if later.index in removed or later.thread != thread:
            continue
        if plan.parent_override.get(later.index, later.parent_uuid) == parent:
            return later.index
    return None


def _kept_anchor(items: Records, index: int, removed: set[int]) -> int:
    """The anchor, or the nearest earlier kept record of its thread when it goes."""
    thread = items[index].thread
    while index > 0 and (index in removed or items[index].thread != thread):
        index -= 1
    return index


def _uuid_at_or_before(items: Records, index: int, removed: set[int]) -> str | None:
    """The uuid of the nearest kept line of the same thread at or before `index`."""
    thread = items[index].thread
    while index >= 0:
        item = items[index]
        if item.uuid and index not in removed and item.thread == thread:
            return item.uuid
        index -= 1
    return None


def _insert_after(
    plan: Plan, data: bytes, items: Records, anchor: int, rendered: list[bytes]
) -> TextEdit:
    item = items[anchor]
    if not plan.history.document:
        newline = plan.history.newline
        end = _line_end(data, item.span.end)
        if end == item.span.end:  # the anchor is the last line and has no terminator
            return TextEdit(Span(end, end), b"".join(newline + r for r in rendered))
        return TextEdit(Span(end, end), b"".join(r + newline for r in rendered))
    gap = _element_gap(data, items, anchor)
    return TextEdit(Span(item.span.end, item.span.end), b"".join(b"," + gap + r for r in rendered))


def _element_gap(data: bytes, items: Records, anchor: int) -> bytes:
    """The white space the document puts between two elements."""
    for first, second in ((anchor, anchor + 1), (anchor - 1, anchor)):
        if first >= 0 and second < len(items):
            between = data[items[first].span.end : items[second].span.start]
            gap = between.replace(b",", b"", 1)
            if not gap.strip(_WS):
                return gap
    item = items[anchor]
    return b"\n" + b" " * item.col if item.col else b" "


def _relink(plan: Plan, item: Item, parent: str | None) -> TextEdit | None:
    span = parent_span(plan.bytes_of(item), item.parent_uuid)
    if span is None:
        return None
    start = item.span.start
    return TextEdit(Span(start + span[0], start + span[1]), msgspec.json.encode(parent))
