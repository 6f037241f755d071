"""Records a repair writes: new ones (rendered in the file's style, with blocks copied byte
for byte) and moved ones (their bytes unchanged but for their `parentUuid` link)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import msgspec

from context_ls.history.locate import key_value_span
from context_ls.history.style import Style

_RAW = "\x00raw-block-{}\x00"
_NULL_PARENT = re.compile(rb'"parentUuid"\s*:\s*(null)')


def raw_slot(index: int) -> str:
    """The place of `NewRecord.raws[index]` in its value: the raw bytes replace it."""
    return _RAW.format(index)


@dataclass(slots=True)
class NewRecord:
    """A record to insert: a value to render, with raw blocks spliced in byte for byte."""

    value: dict[str, Any]
    raws: list[bytes] = field(default_factory=list)
    uuid: str | None = None
    # Chained dialects: the parent the record names when it is the first one inserted at
    # its place (a moved 2.1.x result hangs off its own call's line).
    own_parent: str | None = None

    def render(self, style: Style, parent: str | None, chained: bool) -> bytes:
        value = self.value
        if chained and "parentUuid" in value:
            value = {**value, "parentUuid": parent}
        out = style.render(value)
        for index, raw in enumerate(self.raws):
            out = out.replace(msgspec.json.encode(raw_slot(index)), raw)
        return out


class MovedRecord(NewRecord):
    """An existing record moved elsewhere: its bytes unchanged, but for the value of its
    `parentUuid` (chained dialects), which names the record now before it."""

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
    """Where the value of a record's `parentUuid` (`parent`, or null) stands in its bytes."""
    if parent is None:
        match = _NULL_PARENT.search(record)
        return (match.start(1), match.end(1)) if match else None
    span = key_value_span(record, 0, "parentUuid", parent)
    return (span.start, span.end) if span else None
