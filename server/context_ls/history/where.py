"""1-based line and column (code points) of a span, as the CLI prints them; works for a
source in memory and for a streamed file alike."""

from __future__ import annotations

from dataclasses import dataclass

from context_ls.history.api import Analysis
from context_ls.history.model import Span
from context_ls.history.source import BOM


@dataclass(slots=True, frozen=True)
class Where:
    line: int
    column: int
    end_line: int
    end_column: int


def where(analysis: Analysis, item_index: int, span: Span) -> Where:
    if analysis.data or analysis.fetch is None:
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


def _chars(prefix: bytes) -> int:
    return len(prefix) if prefix.isascii() else len(prefix.decode("utf-8", "replace"))
