"""Re-reading only what an edit touched.

The server holds big JSONL histories open while they are edited (or appended to by a
running agent). After an edit, bytes before the first and after the last changed line are
the same, so their records are too: records before are reused as they are, records after
are shifted, and only the lines in between are parsed again. Validation then runs on the
whole (cheap, linear) history, so findings are always those of a full read."""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from typing import Any

from context_ls.history import source as src
from context_ls.history.model import Call, History, Item, Output, Span
from context_ls.history.reader import HistoryBuilder, facts_reader

_CHUNK = 1 << 20


def common_prefix(a: bytes, b: bytes) -> int:
    """Length of the longest common prefix (memcmp through `startswith`, no copies)."""
    limit = min(len(a), len(b))
    view = memoryview(a)
    pos = 0
    while pos < limit:
        step = min(_CHUNK, limit - pos)
        if not b.startswith(view[pos : pos + step], pos):
            lo, hi = pos, pos + step  # the first difference is in [lo, hi)
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if b.startswith(view[lo:mid], lo):
                    lo = mid
                else:
                    hi = mid
            return lo
        pos += step
    return limit


def common_suffix(a: bytes, b: bytes, limit: int) -> int:
    """Length of the longest common suffix, at most `limit`."""
    view = memoryview(a)
    la, lb = len(a), len(b)
    n = 0
    while n < limit:
        step = min(_CHUNK, limit - n)
        if not b.endswith(view[la - n - step : la - n], 0, lb - n):
            lo, hi = n, n + step  # matched lo bytes; the difference is within hi
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if b.endswith(view[la - mid : la - lo], 0, lb - lo):
                    lo = mid
                else:
                    hi = mid
            return lo
        n += step
    return limit


@dataclass(slots=True)
class Reuse:
    """How an edited JSONL source maps onto the previous read of it."""

    start: int  # first byte of the first changed line (same in old and new)
    old_end: int  # first byte after the last changed line, in the old source
    new_end: int
    prefix_items: int  # items wholly before `start`
    suffix_from: int  # index (old) of the first item at or after `old_end`


def plan_reuse(old: bytes, new: bytes, old_history: History) -> Reuse | None:
    """None when nothing can be reused (a different source, or one record spanning all)."""
    prefix = common_prefix(old, new)
    suffix = common_suffix(old, new, min(len(old), len(new)) - prefix)
    start = old.rfind(b"\n", 0, prefix) + 1
    old_end = old.find(b"\n", max(len(old) - suffix, start))
    old_end = len(old) if old_end == -1 else old_end + 1
    new_end = old_end + len(new) - len(old)
    if new_end < start:
        return None
    starts = [item.span.start for item in old_history.items]
    prefix_items = bisect_left(starts, start)
    suffix_from = bisect_left(starts, old_end)
    return Reuse(start, old_end, new_end, prefix_items, suffix_from)


def reread(old: bytes, new: bytes, old_history: History, reuse: Reuse) -> History:
    """The history of `new`, reusing `old_history`'s records outside the edited lines."""
    assert old_history.dialect is not None
    history = History(
        dialect=old_history.dialect,
        size=len(new),
        newline=old_history.newline,
        document=False,
    )
    history.ends_with_newline = new.endswith(b"\n")
    builder = HistoryBuilder(history)
    old_items = old_history.items
    # Records before the edit: the very same objects.
    history.items.extend(old_items[: reuse.prefix_items])
    _copy_links(old_history, history, 0, reuse.prefix_items, 0)
    builder.threads = dict(old_history.thread_names) or builder.threads
    # The edited lines, parsed again.
    first_line = _line_of(old, old_items, reuse.prefix_items, reuse.start)
    read = facts_reader(old_history.dialect)
    region = new[reuse.start : reuse.new_end]
    for line, pos, chunk in src.split_lines(region):
        facts = read(chunk)
        start = reuse.start + pos
        builder.add(start, start + len(chunk), first_line + line, 0, facts)
    # Records after the edit: shifted by the bytes, lines and records the edit added.
    shift = len(new) - len(old)
    old_lines = old.count(b"\n", reuse.start, reuse.old_end)
    new_lines = new.count(b"\n", reuse.start, reuse.new_end)
    line_shift = new_lines - old_lines
    index_shift = len(history.items) - reuse.suffix_from
    for item in old_items[reuse.suffix_from :]:
        history.items.append(
            Item(
                item.index + index_shift,
                Span(item.span.start + shift, item.span.end + shift),
                item.line + line_shift,
                item.col,
                item.kind,
                item.role,
                -1,
                item.timestamp,
                item.uuid,
                item.parent_uuid,
                item.message_id,
                item.error,
                item.results_only,
                item.thread,
            )
        )
    _copy_links(old_history, history, reuse.suffix_from, len(old_items), index_shift)
    return builder.finish()


def _line_of(old: bytes, items: list[Item], prefix_items: int, start: int) -> int:
    """Line number of byte `start`, counted from the last record before it."""
    if prefix_items == 0:
        return old.count(b"\n", 0, start)
    last = items[prefix_items - 1]
    return last.line + old.count(b"\n", last.span.start, start)


def _copy_links(old: History, new: History, first: int, stop: int, index_shift: int) -> None:
    """Calls, outputs and id-less records of old items [first, stop), re-indexed."""
    for call in _in_range(old.calls, first, stop):
        new.calls.append(
            call
            if index_shift == 0
            else Call(
                call.call_id,
                call.item + index_shift,
                call.block,
                call.kind,
                call.tool,
                call.timestamp,
            )
        )
    for out in _in_range(old.outputs, first, stop):
        new.outputs.append(
            out
            if index_shift == 0
            else Output(
                out.call_id, out.item + index_shift, out.block, out.kind, out.status, out.timestamp
            )
        )
    for index, block, what in old.missing_ids:
        if first <= index < stop:
            new.missing_ids.append((index + index_shift, block, what))


def _in_range(records: list[Any], first: int, stop: int) -> list[Any]:
    keys = [r.item for r in records]
    return records[bisect_left(keys, first) : bisect_left(keys, stop)]
