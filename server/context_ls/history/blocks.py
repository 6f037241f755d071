"""Byte spans of the content blocks inside one record, for edits that touch a single
block (remove a tool_result, put one in front) without re-serializing the record."""

from __future__ import annotations

import re
from dataclasses import dataclass

import msgspec

from context_ls.history.facts import DECODE_ERRORS

_decode_object = msgspec.json.Decoder(dict[str, msgspec.Raw]).decode
_decode_array = msgspec.json.Decoder(list[msgspec.Raw]).decode


@dataclass(slots=True)
class Content:
    """Where a message's `content` value stands in its record (offsets relative to it)."""

    start: int
    end: int
    is_array: bool
    elements: list[tuple[int, int]]  # element spans when `is_array`


def _value_at(record: bytes, key: str, base: int, raw: msgspec.Raw) -> int:
    """Offset of the value of `key` (raw) inside record, searching from base."""
    key_match = re.compile(rb'"' + re.escape(key.encode()) + rb'"\s*:\s*').search(record, base)
    start = key_match.end() if key_match else base
    found = record.find(bytes(raw), start)
    return found if found >= 0 else record.find(bytes(raw), base)


def find_content(record: bytes, path: tuple[str, ...]) -> Content | None:
    """Follow `path` (e.g. ("message", "content")) through nested objects."""
    try:
        base = 0
        obj = _decode_object(record)
        for depth, key in enumerate(path):
            raw = obj.get(key)
            if raw is None:
                return None
            offset = _value_at(record, key, base, raw)
            chunk = bytes(raw)
            if depth < len(path) - 1:
                obj = _decode_object(chunk)
                base = offset
                continue
            if chunk.startswith(b'"'):
                return Content(offset, offset + len(chunk), False, [])
            if not chunk.startswith(b"["):
                return None
            elements: list[tuple[int, int]] = []
            cursor = offset + 1
            for element in _decode_array(chunk):
                piece = bytes(element)
                at = record.find(piece, cursor)
                elements.append((at, at + len(piece)))
                cursor = at + len(piece)
            return Content(offset, offset + len(chunk), True, elements)
    except DECODE_ERRORS:
        return None
    return None


def removal_ranges(elements: list[tuple[int, int]], removed: set[int]) -> list[tuple[int, int]]:
    """Ranges to delete so the array stays valid JSON: each run of removed elements goes
    with the separator after it, or before it when it ends the array."""
    ranges: list[tuple[int, int]] = []
    index = 0
    count = len(elements)
    while index < count:
        if index not in removed:
            index += 1
            continue
        run_end = index
        while run_end + 1 < count and run_end + 1 in removed:
            run_end += 1
        if run_end + 1 < count:
            ranges.append((elements[index][0], elements[run_end + 1][0]))
        elif index > 0:
            ranges.append((elements[index - 1][1], elements[run_end][1]))
        else:
            ranges.append((elements[index][0], elements[run_end][1]))
        index = run_end + 1
    return ranges
