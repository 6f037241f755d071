"""Re-reading only what an edit touched.

The server holds big JSONL histories open while they are edited (or appended to by a
running agent). After an edit, bytes before the first and after the last changed line are
the same, so their records are too: records before are reused as they are, records after
are shifted, and only the lines in between are parsed again. Validation then runs on the
whole (cheap, linear) history, so findings are always those of a full read."""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, replace
from typing import Any

from context_ls.history import source as src
from context_ls.history.dialects import dialect_of
from context_ls.history.model import Call, History, Item, Links, Output, Records, Span
from context_ls.history.reader import HistoryBuilder, facts_reader
from context_ls.history.spliced import Source
from context_ls.history.turns import sequential_turns

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


@dataclass(frozen=True, slots=True)
class Shifts:
    """Byte offsets still to be added to the spans of a history's items: item `i` is at
    `items[i].span` moved by `offsets[k]`, for the last `k` with `firsts[k] <= i` (none:
    not moved). Keystrokes inside lines only move the records after them; collecting the
    moves here keeps each keystroke O(edit), and `materialize` applies them all at once."""

    firsts: tuple[int, ...] = ()
    offsets: tuple[int, ...] = ()

    def at(self, index: int) -> int:
        k = bisect_right(self.firsts, index) - 1
        return self.offsets[k] if k >= 0 else 0

    def span(self, item: Item) -> Span:
        offset = self.at(item.index)
        span = item.span
        return Span(span.start + offset, span.end + offset) if offset else span

    def after_edit(self, first: int, stop: int, delta: int) -> Shifts:
        """Items [first, stop) were read again (exact spans); items from `stop` on move by
        `delta` more. Item indices do not change."""
        bounds = [(f, o) for f, o in zip(self.firsts, self.offsets, strict=True) if f < first]
        bounds.append((first, 0))
        bounds.append((stop, self.at(stop) + delta))
        bounds += [
            (f, o + delta) for f, o in zip(self.firsts, self.offsets, strict=True) if f > stop
        ]
        firsts: list[int] = []
        offsets: list[int] = []
        for f, o in bounds:  # merge runs with one offset (typing in one place stays small)
            if (offsets[-1] if offsets else 0) != o:
                firsts.append(f)
                offsets.append(o)
        return Shifts(tuple(firsts), tuple(offsets))


NO_SHIFTS = Shifts()


def plan_reuse(
    old: bytes, new: bytes, old_history: History, shifts: Shifts = NO_SHIFTS
) -> Reuse | None:
    """None when nothing can be reused (a different source, or one record spanning all)."""
    prefix = common_prefix(old, new)
    suffix = common_suffix(old, new, min(len(old), len(new)) - prefix)
    return plan_edit(old, prefix, len(old) - suffix, len(new), old_history, shifts)


def plan_edit(
    old: Source,
    first: int,
    last: int,
    new_size: int,
    old_history: History,
    shifts: Shifts = NO_SHIFTS,
) -> Reuse | None:
    """`plan_reuse` when the edit is known: bytes before `first` and from `last` on (in
    `old`) are the same in the new source (of `new_size` bytes). The range may cover
    more than what changed."""
    start = old.rfind(b"\n", 0, first) + 1
    old_end = old.find(b"\n", max(last, start))
    old_end = len(old) if old_end == -1 else old_end + 1
    new_end = old_end + new_size - len(old)
    if new_end < start:
        return None
    starts = old_history.items.starts
    if shifts.firsts:
        at = shifts.at

        def start_of(row: int) -> int:
            return starts[row] + at(row)

        rows = range(len(starts))
        prefix_items = bisect_left(rows, start, key=start_of)
        suffix_from = bisect_left(rows, old_end, prefix_items, key=start_of)
    else:
        prefix_items = bisect_left(starts, start)
        suffix_from = bisect_left(starts, old_end, prefix_items)
    return Reuse(start, old_end, new_end, prefix_items, suffix_from)


class Reread:
    """An edited JSONL source read against its previous read.

    The constructor parses the edited lines (cheap). When the edit left every later record
    at its item index and line (a keystroke inside a line), `view()` is the new history at
    once, with the later records' moves kept as `Shifts`; otherwise `finish()` builds it
    with the later records moved (which needs a previous history without pending shifts)."""

    def __init__(
        self,
        old: Source,
        new: Source,
        old_history: History,
        reuse: Reuse,
        shifts: Shifts = NO_SHIFTS,
    ) -> None:
        assert old_history.dialect is not None
        self.old_history = old_history
        self.reuse = reuse
        self.shifts = shifts
        self.history = history = History(
            dialect=old_history.dialect,
            size=len(new),
            newline=src.detect_newline(new),  # the first line may be the one edited
            document=old_history.document,
            server_state=old_history.server_state,
        )
        history.ends_with_newline = new.endswith(b"\n")
        old_items = old_history.items
        # Records before the edit: as they were read.
        history.items = old_items.copy(0, reuse.prefix_items)
        self.builder = builder = HistoryBuilder(history)
        _copy_links(old_history, history, 0, reuse.prefix_items, 0)
        builder.threads = dict(old_history.thread_names) or builder.threads
        # The edited records, read again.
        self.read_region(old, new)
        self.middle = history.items.copy(reuse.prefix_items)
        self.shift = len(new) - len(old)
        old_lines = old.count(b"\n", reuse.start, reuse.old_end)
        new_lines = new.count(b"\n", reuse.start, reuse.new_end)
        self.line_shift = new_lines - old_lines
        self.index_shift = len(history.items) - reuse.suffix_from

    def read_region(self, old: Source, new: Source) -> None:
        """Add the records of the edited lines, parsed again."""
        reuse, builder = self.reuse, self.builder
        items = self.old_history.items
        first_line = _line_of(old, items, reuse.prefix_items, reuse.start, self.shifts)
        assert self.old_history.dialect is not None
        read = facts_reader(self.old_history.dialect)
        region = new[reuse.start : reuse.new_end]
        # An edit of the first line: a byte order mark before it is not part of the record.
        skip = src.content_start(region) if reuse.start == 0 else 0
        for line, pos, chunk in src.split_lines(region, skip):
            facts = read(chunk)
            start = reuse.start + pos
            builder.add(start, start + len(chunk), first_line + line, 0, facts)

    def view(self) -> tuple[History, Shifts] | None:
        """The new history with the later records not yet moved, and where they are; None
        when the edit changed later records' item index or line, or when the dialect counts
        turns its own way (they must be counted again)."""
        if self.index_shift or self.line_shift or not self._turns_kept():
            return None
        old, built, first = self.old_history, self.history, self.reuse.suffix_from
        calls, outputs, missing_ids = self._view_links()
        view = History(
            dialect=built.dialect,
            items=built.items + old.items.copy(first),
            calls=calls,
            outputs=outputs,
            size=built.size,
            newline=built.newline,
            ends_with_newline=built.ends_with_newline,
            missing_ids=missing_ids,
            problems=built.problems + [p for p in old.problems if p[0] >= first],
            thread_names=dict(self.builder.threads),
            document=built.document,
            server_state=built.server_state,
        )
        if old.read_links is not None:  # the records' own: the edited ones', the others' kept
            after = _links_in(old.read_links, first, len(old.items))
            view.read_links = _joined(built.links, after)
        return view, self.shifts.after_edit(self.reuse.prefix_items, first, self.shift)

    def _view_links(self) -> Links:
        """The view's links: those the old read kept (after its turns hook) of the records
        not read again, the edited records' own (they say what they said before, so the
        hook would drop none of them)."""
        old, built = self.old_history, self.history
        k, first = self.reuse.prefix_items, self.reuse.suffix_from
        after = _links_in(old.links, first, len(old.items))
        if old.read_links is None:  # the records before the edit hold the old read's links
            return _joined(built.links, after)
        before, edited = _links_in(old.links, 0, k), _links_in(built.links, k, len(built.items))
        return _joined(before, edited, after)

    def _turns_kept(self) -> bool:
        """Whether the records read again keep the turns they had, which are then copied
        to them (a view's turns are not counted again before validation). They do when
        they are of the same kinds (turns counted one per conversation record) or, for a
        dialect that counts turns its own way, when they say all they said before."""
        k, rows = self.reuse.prefix_items, len(self.middle)
        old, new = self.old_history.items, self.history.items
        if _own_turns(self.history):
            if not _same_facts(self.old_history, self.history, k):
                return False
        elif old.kinds[k : k + rows] != new.kinds[k:]:
            return not dialect_of(self.history.dialect).adjacency  # turns unused then
        new.turns[k:] = old.turns[k : k + rows]
        return True

    def finish(self) -> History:
        """The complete history of the new source: later records moved by the bytes,
        lines and records the edit added."""
        assert not self.shifts.firsts, "materialize the previous history first"
        history, reuse = self.history, self.reuse
        old_items = self.old_history.items
        later = old_items.copy(reuse.suffix_from)
        later.move(0, len(later), self.shift, self.line_shift)
        history.items.extend(later)
        _copy_links(self.old_history, history, reuse.suffix_from, len(old_items), self.index_shift)
        self.builder.threads = _numbered_threads(history.items, self.builder.threads)
        return self.builder.finish()


def materialize(view: History, shifts: Shifts) -> History:
    """The history `view` stands for: every record at its offset, turns counted (a copy:
    the view's records stay as they are)."""
    exact = view.items.copy()
    bounds = [*shifts.firsts, len(exact)]
    for k, offset in enumerate(shifts.offsets):
        exact.move(bounds[k], bounds[k + 1], offset)
    if not _own_turns(view):  # else the view's turns are those of a full read
        exact.turns = array("q", sequential_turns(exact.kinds))
    return replace(view, items=exact)


_POSITIONS = frozenset({"starts", "ends", "lines", "cols", "turns"})


def _same_facts(old: History, new: History, first: int) -> bool:
    """Records `first`… of `new` (the last ones) say what the same rows of `old` said:
    every column but positions and turns, their calls, outputs and problems."""
    stop = len(new.items)
    if not old.items.same_rows(first, new.items, first, _POSITIONS):
        return False
    return (
        _in_range(old.calls, first, stop) == _in_range(new.calls, first, stop)
        and _in_range(old.outputs, first, stop) == _in_range(new.outputs, first, stop)
        and [m for m in old.missing_ids if first <= m[0] < stop]
        == [m for m in new.missing_ids if m[0] >= first]
        and [p for p in old.problems if first <= p[0] < stop]
        == [p for p in new.problems if p[0] >= first]
    )


def _own_turns(history: History) -> bool:
    """The dialect counts turns its own way (not one per conversation record)."""
    return dialect_of(history.dialect).turns is not None


def _numbered_threads(records: Records, names: dict[str | None, int]) -> dict[str | None, int]:
    """Threads numbered as a full read numbers them: 0 the main conversation, the others
    in order of first appearance. The records kept from the previous read carry its
    numbers, and the edit may have removed a thread's first record or added a thread.
    Renumbers `records` (a new read's own) and returns the names' numbers."""
    if len(names) <= 1:
        return names  # the main conversation alone (every dialect but Claude Code)
    order: dict[int, int] = {0: 0}
    threads = records.threads
    for thread in threads if threads is not None else ():
        if thread not in order:
            order[thread] = len(order)
    if threads is not None and any(old != new for old, new in order.items()):
        records.threads = array("q", [order[thread] for thread in threads])
    return {key: order[number] for key, number in names.items() if number in order}


def _line_of(old: Source, items: Records, prefix_items: int, start: int, shifts: Shifts) -> int:
    """Line number of byte `start`, counted from the last record before it."""
    if prefix_items == 0:
        return old.count(b"\n", 0, start)
    last = items[prefix_items - 1]
    return last.line + old.count(b"\n", shifts.span(last).start, start)


def _copy_links(old: History, new: History, first: int, stop: int, index_shift: int) -> None:
    """Calls, outputs and id-less records of old items [first, stop), re-indexed: as the
    records say them (a turns hook drops some once every record is in, and runs again)."""
    calls, outputs, missing_ids = old.read_links or old.links
    for call in _in_range(calls, first, stop):
        new.calls.append(
            call
            if index_shift == 0
            else Call(call.call_id, call.item + index_shift, call.block, call.kind, call.tool)
        )
    for out in _in_range(outputs, first, stop):
        new.outputs.append(
            out
            if index_shift == 0
            else Output(out.call_id, out.item + index_shift, out.block, out.kind, out.status)
        )
    for index, block, what in missing_ids:
        if first <= index < stop:
            new.missing_ids.append((index + index_shift, block, what))
    for index, problem in old.problems:
        if first <= index < stop:
            new.problems.append((index + index_shift, problem))


def _links_in(links: Links, first: int, stop: int) -> Links:
    """The links of records [first, stop)."""
    calls, outputs, missing_ids = links
    return (
        _in_range(calls, first, stop),
        _in_range(outputs, first, stop),
        [m for m in missing_ids if first <= m[0] < stop],
    )


def _joined(*parts: Links) -> Links:
    calls: list[Call] = []
    outputs: list[Output] = []
    missing_ids: list[tuple[int, int, str]] = []
    for part_calls, part_outputs, part_missing in parts:
        calls += part_calls
        outputs += part_outputs
        missing_ids += part_missing
    return calls, outputs, missing_ids


def _in_range(subjects: list[Any], first: int, stop: int) -> list[Any]:
    """The calls (or outputs) of records [first, stop)."""
    low = bisect_left(subjects, first, key=_row)
    return subjects[low : bisect_left(subjects, stop, low, key=_row)]


def _row(subject: Call | Output) -> int:
    return subject.item
