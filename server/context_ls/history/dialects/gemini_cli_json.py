"""Where things stand inside a Gemini CLI record, read from its bytes so a repair edits
them in place: the messages of a record, the members and elements of a JSON value."""

from __future__ import annotations

import json
import re

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)
_BRACKET = re.compile(rb'["\[\]{}]')
_SCALAR_END = re.compile(rb"[^,\]}\s]*")
SPACE = b" \t\r\n"


def message_span(record: bytes, m: int) -> tuple[int, int] | None:
    """Message `m` of a record: the record itself, or an element of its `$set.messages`
    or `messages` list."""
    try:
        top = members(record, skip(record, 0))
        if "id" in top and m == 0 and "$rewindTo" not in top:
            return 0, len(record)
        holder = top
        if "$set" in top:
            holder = members(record, top["$set"][1])
        if "messages" not in holder:
            return None
        listed = elements(record, holder["messages"][1])
    except (IndexError, AttributeError, ValueError, KeyError):
        return None
    return listed[m] if m < len(listed) else None


def skip(data: bytes, pos: int) -> int:
    while pos < len(data) and data[pos] in SPACE:
        pos += 1
    return pos


def value_end(data: bytes, pos: int) -> int:
    """Just past the JSON value starting at `pos`."""
    head = data[pos : pos + 1]
    if head == b'"':
        match = _STRING.match(data, pos)
        if match is None:
            raise ValueError("unterminated string")
        return match.end()
    if head not in (b"{", b"["):
        return _SCALAR_END.match(data, pos).end()  # type: ignore[union-attr]
    depth, at = 0, pos
    while True:
        found = _BRACKET.search(data, at)
        if found is None:
            raise ValueError("unbalanced brackets")
        if found.group() == b'"':
            at = value_end(data, found.start())
            continue
        depth += 1 if found.group() in (b"{", b"[") else -1
        at = found.end()
        if depth == 0:
            return at


def members(data: bytes, pos: int) -> dict[str, tuple[int, int, int]]:
    """Key -> (key start, value start, value end) of the object at `pos`."""
    if data[pos : pos + 1] != b"{":
        raise ValueError("not an object")
    found: dict[str, tuple[int, int, int]] = {}
    at = skip(data, pos + 1)
    while data[at : at + 1] != b"}":
        key_end = value_end(data, at)
        key = json.loads(data[at:key_end])
        value = skip(data, skip(data, key_end) + 1)
        end = value_end(data, value)
        found.setdefault(key, (at, value, end))
        at = skip(data, end)
        if data[at : at + 1] == b",":
            at = skip(data, at + 1)
    return found


def elements(data: bytes, pos: int) -> list[tuple[int, int]]:
    """(start, end) of each element of the array at `pos`."""
    if data[pos : pos + 1] != b"[":
        raise ValueError("not an array")
    spans: list[tuple[int, int]] = []
    at = skip(data, pos + 1)
    while data[at : at + 1] != b"]":
        end = value_end(data, at)
        spans.append((at, end))
        at = skip(data, end)
        if data[at : at + 1] == b",":
            at = skip(data, at + 1)
    return spans
