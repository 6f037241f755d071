"""1-based line and column (code points) of a span, as the CLI prints them; works for a
source in memory and for a streamed file alike."""

from __future__ import annotations

from typing import NamedTuple

from context_ls.history.analysis import Analysis
from context_ls.history.model import Span
from context_ls.history.source import BOM


class Where(NamedTuple):
    """1-based line and column of a span's start and end (a named tuple: a dataclass costs
    ~0.5 ms of start-up to define)."""

    line: int
    column: int
    end_line: int
    end_column: int


def where(analysis: Analysis, item_index: int, span: Span) -> Where:
    if analysis.data or analysis.fetch is None:
        near = _from_record(analysis, item_index, span)
        if near is not None:
            return near
        lines = analysis.lines
        start, end = lines.position(span.start), lines.position(span.end)
        bom = 1 if analysis.data.startswith(BOM) else 0  # editors and ruff do not count it
        return Where(
            start.line + 1,
            lines.char_col(start) + 1 - (bom if start.line == 0 else 0),
            end.line + 1,
            lines.char_col(end) + 1 - (bom if end.line == 0 else 0),
        )
    # Streamed JSONL: every record is one line starting at column 0.
    item = analysis.history.items[item_index]
    record = analysis.read(item.span.start, item.span.end)
    start_col = _chars(record[: span.start - item.span.start])
    end_col = _chars(record[: span.end - item.span.start])
    return Where(item.line + 1, start_col + 1, item.line + 1, end_col + 1)


def _from_record(analysis: Analysis, item_index: int, span: Span) -> Where | None:
    """Counted from the start of the finding's record, whose line and column the reader
    noted: a few findings in a big source need no index of all its lines (~130 ms for
    28 MB). None when the finding does not start at or after its record's start."""
    if item_index < 0:
        return None
    item = analysis.history.items[item_index]
    anchor = item.span.start
    if not anchor <= span.start <= span.end:
        return None
    data = analysis.data
    line_start = anchor - item.col
    if line_start < 0 or data.find(b"\n", line_start, anchor) >= 0:
        return None  # the record's column does not lead back to its line's start
    if line_start and data[line_start - 1] != 0x0A:
        return None
    line, line_start = _advance(data, item.line, line_start, anchor, span.start)
    end_line, end_start = _advance(data, line, line_start, span.start, span.end)
    bom = data.startswith(BOM)
    return Where(
        line + 1,
        _column(data, line_start, span.start, bom),
        end_line + 1,
        _column(data, end_start, span.end, bom),
    )


def _advance(data: bytes, line: int, line_start: int, anchor: int, offset: int) -> tuple[int, int]:
    """The line of `offset` and where it starts, from those of `anchor` (≤ `offset`)."""
    newline = data.rfind(b"\n", anchor, offset)
    if newline < 0:
        return line, line_start
    return line + data.count(b"\n", anchor, newline + 1), newline + 1


def _column(data: bytes, line_start: int, offset: int, bom: bool) -> int:
    """1-based, in code points; editors and ruff do not count a BOM."""
    return _chars(data[line_start:offset]) + 1 - (1 if bom and line_start == 0 else 0)


def _chars(prefix: bytes) -> int:
    return len(prefix) if prefix.isascii() else len(prefix.decode("utf-8", "replace"))
