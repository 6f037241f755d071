"""Re-reading only the records of a JSON document that an edit touched.

A document's records lie side by side in one array. An edit that stays within records
[k, m] (or the commas and white space between them) leaves the bytes before record k and
after record m as they were; when the edited bytes still read as one or more JSON values
separated by commas, the document is still valid and its records are those before k, the
values read from the edited bytes, and those after m, moved. Anything else (a bracket or
quote that changed how the rest reads, an edit outside the array, an empty run) is read
whole again, so the result is always that of a full read."""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from typing import Any

import msgspec

from context_ls.history import elements
from context_ls.history.detect import SAMPLE_SIZE, document_dialect
from context_ls.history.facts import DECODE_ERRORS
from context_ls.history.incremental import NO_SHIFTS, Reread, Reuse, Shifts
from context_ls.history.model import History
from context_ls.history.reader import element_reader
from context_ls.history.spliced import Source

_raw_array = msgspec.json.Decoder(list[msgspec.Raw]).decode
_decode = msgspec.json.decode


class StructureChanged(Exception):
    """The edited bytes no longer read as records in place: read the document whole."""


def plan_document_edit(
    old: Source, first: int, last: int, new_size: int, history: History, shifts: Shifts
) -> Reuse | None:
    """The records an edit of old bytes [first, last) falls within, as a `Reuse`; None
    when it reaches outside the array's records (the envelope, or no records at all)."""
    items = history.items
    count = len(items)
    if not count:
        return None
    starts, ends, at = items.starts, items.ends, shifts.at
    rows = range(count)
    if shifts.firsts:
        k = bisect_right(rows, first, key=lambda row: starts[row] + at(row)) - 1
        m = bisect_left(rows, last, max(k, 0), key=lambda row: ends[row] + at(row))
    else:
        k = bisect_right(starts, first) - 1
        m = bisect_left(ends, last, max(k, 0))
    if k < 0 or m >= count:
        return None
    start, old_end = starts[k] + at(k), ends[m] + at(m)
    return Reuse(start, old_end, old_end + new_size - len(old), k, m + 1)


class DocumentReread(Reread):
    """`Reread` for a document: the edited run of records is read again as array elements
    (raises `StructureChanged` when it does not read as one). Records after the run that
    start on the line where it ends move along that line too: their columns change, so
    they are moved by `finish`, never left to a view."""

    def read_region(self, old: Source, new: Source) -> None:
        reuse, builder, items = self.reuse, self.builder, self.old_history.items
        wrapped = b"".join((b"[", new[reuse.start : reuse.new_end], b"]"))
        try:
            raws = _raw_array(wrapped)
        except DECODE_ERRORS as error:
            raise StructureChanged(str(error)) from error
        if not raws:
            raise StructureChanged("no record left where the edit was")
        placed = elements.place(wrapped, 0, raws)
        k = reuse.prefix_items
        line0 = items.lines[k]
        col0 = items.cols[k] if items.cols is not None else 0
        assert self.old_history.dialect is not None
        read = element_reader(self.old_history.dialect)
        for raw, pos, line, col in zip(raws, *placed, strict=True):
            start = reuse.start + pos - 1
            where = col0 + pos - 1 if line == 0 else col
            builder.add(start, start + len(raw), line0 + line, where, read(raw))
        self.col_run = self._same_line_run(old, new, line0, col0)

    def _same_line_run(
        self, old: Source, new: Source, line0: int, col0: int
    ) -> tuple[int, int, int]:
        """(first, stop, columns) : the later records [first, stop) (old indices) that start
        on the line the edited run ends on, and how far along it they move."""
        reuse, items = self.reuse, self.old_history.items
        first = reuse.suffix_from
        if first >= len(items):
            return first, first, 0
        end_line = line0 + old.count(b"\n", reuse.start, reuse.old_end)
        if items.lines[first] != end_line:
            return first, first, 0
        shift = _col(new, reuse.start, reuse.new_end, col0) - _col(
            old, reuse.start, reuse.old_end, col0
        )
        stop = bisect_right(items.lines, end_line, first)
        return first, stop, shift

    def view(self) -> tuple[History, Shifts] | None:
        if self.col_run[2]:
            return None
        return super().view()

    def finish(self) -> History:
        first, stop, shift = self.col_run
        history = super().finish()
        cols = history.items.cols
        if shift and cols is not None:
            lo, hi = first + self.index_shift, stop + self.index_shift
            cols[lo:hi] = array("q", [c + shift for c in cols[lo:hi]])
        return history


def _col(data: Source, start: int, end: int, col0: int) -> int:
    """The column of byte `end`, whose line starts after `start` or is that of `start`
    (at column `col0`)."""
    nl = data.rfind(b"\n", start, end)
    return end - (nl + 1) if nl != -1 else col0 + end - start


def same_document_dialect(edit: DocumentReread, new: Source, key: str | None) -> bool:
    """Detection reads a document's first records: after an edit among them, they still
    say the same dialect."""
    history, old = edit.history, edit.old_history
    wanted = SAMPLE_SIZE * 2
    items = history.items
    spans = [(items.starts[i], items.ends[i]) for i in range(min(len(items), wanted))]
    later, shift = old.items, edit.shift
    for row in range(edit.reuse.suffix_from, len(later)):
        if len(spans) >= wanted:
            break
        offset = edit.shifts.at(row) + shift
        spans.append((later.starts[row] + offset, later.ends[row] + offset))
    values: list[Any] = []
    for start, end in spans:
        try:
            values.append(_decode(new[start:end]))
        except DECODE_ERRORS:
            continue
    return document_dialect(key, values) == old.dialect


__all__ = ["NO_SHIFTS", "DocumentReread", "StructureChanged", "plan_document_edit"]
