"""Writing new records the way the file already writes them (separators, indentation,
line endings), so an inserted line looks like its neighbours."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from context_ls.history.model import History

# A key, its scalar value, and the separator after it: `"key": "value", "` and the like.
_PAIR = re.compile(
    rb'"[^"\\]*"(\s*):(\s*)(?:"(?:[^"\\]|\\.)*"|-?\d[\d.eE+-]*|true|false|null)(\s*),(\s*)"'
)


@dataclass(slots=True, frozen=True)
class Style:
    item_separators: tuple[str, str]
    indent_unit: int | None  # pretty-printed documents: spaces per level
    item_col: int  # column of the document's elements
    newline: bytes

    def render(self, value: Any, nested_levels: int = 0) -> bytes:
        """One record (or block, `nested_levels` deeper than the elements) as bytes."""
        if self.indent_unit is None:
            text = json.dumps(value, ensure_ascii=False, separators=self.item_separators)
        else:
            text = json.dumps(value, ensure_ascii=False, indent=self.indent_unit)
            pad = " " * (self.item_col + nested_levels * self.indent_unit)
            text = text.replace("\n", "\n" + pad)
        return text.encode("utf-8").replace(b"\n", self.newline)


def detect_style(history: History, data: bytes) -> Style:
    separators = _separators(history, data)
    unit: int | None = None
    col = 0
    if history.document and history.items:
        first = history.items[0]
        col = first.col
        record = data[first.span.start : first.span.end]
        nl = record.find(b"\n")
        if nl != -1:
            rest = record[nl + 1 :]
            unit = max(len(rest) - len(rest.lstrip(b" ")) - col, 1)
    return Style(separators, unit, col, history.newline)


def _separators(history: History, data: bytes) -> tuple[str, str]:
    """The separators of the first record (escaped JSON inside strings must not count)."""
    for item in history.items[:20]:
        match = _PAIR.search(data, item.span.start, item.span.end)
        if match and b"\n" not in match.group(4):
            return (
                "," + match.group(4).decode(),
                match.group(1).decode() + ":" + match.group(2).decode(),
            )
    return (", ", ": ")
