"""Cutting a source into top-level records with exact byte spans: JSONL lines, or the
elements of a JSON document's array (bare, or under `messages`, `input`, `contents` or
`history`: the request bodies of the provider APIs and Gemini CLI's checkpoints)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

import msgspec

from context_ls.history.elements import ARRAY_KEYS, SERVER_STATE_KEYS, layout
from context_ls.history.facts import DECODE_ERRORS
from context_ls.history.spliced import Source

BOM = b"\xef\xbb\xbf"
_WS = b" \t\r\n"
_NON_BLANK = re.compile(rb"[^ \t\r\n]")
_decode_raw_object = msgspec.json.Decoder(dict[str, msgspec.Raw]).decode


class RawRecord(NamedTuple):
    """One record of a source as cut (a named tuple: a dataclass costs ~0.5 ms of start-up
    to define)."""

    start: int
    end: int
    line: int
    col: int
    data: bytes  # the record's own bytes (data[start:end] of the source)
    error: str | None = None  # set when the record could not be cut cleanly (salvage)


def split_lines(data: bytes, start: int = 0) -> Iterator[tuple[int, int, bytes]]:
    """(line number, offset, bytes without terminator) of every non-blank line from
    `start`, one at a time. Splitting a big document at once held a copy of it in 23k
    small objects while its records were read; the long-lived ones made between them
    kept ~5 MB of the freed memory from going back to the system."""
    find = data.find
    pos, line_no, size = start, 0, len(data)
    while pos < size:
        end = find(b"\n", pos)
        if end == -1:
            end = size
        chunk = data[pos:end]
        if chunk.endswith(b"\r"):
            chunk = chunk[:-1]
        if chunk and not chunk.isspace():
            yield line_no, pos, chunk
        pos = end + 1
        line_no += 1


def content_start(data: bytes) -> int:
    return 3 if data.startswith(BOM) else 0


def opens_spread_document(head: bytes, start: int) -> bool:
    """The first non-blank line of `head` is a lone `[` or `{` (and ends in `head`): then
    `looks_like_document` says True of any source that starts with `head`, so a few KB
    of a big file tell as much as its first megabytes."""
    first_text = _NON_BLANK.search(head, start)
    if first_text is None:
        return False
    line_start = head.rfind(b"\n", start, first_text.start()) + 1 or start
    first_nl = head.find(b"\n", first_text.start())
    return first_nl != -1 and head[line_start:first_nl].strip(_WS) in (b"[", b"{")


def looks_like_document(data: bytes, start: int) -> bool:
    """JSONL unless the source is one JSON array/object spread over lines, or a single
    line holding an array or a `messages`/`input` object."""
    first_text = _NON_BLANK.search(data, start)
    if first_text is None:
        return False  # empty or white space only
    line_start = data.rfind(b"\n", start, first_text.start()) + 1 or start
    first_nl = data.find(b"\n", first_text.start())
    first = data[line_start : len(data) if first_nl == -1 else first_nl].strip(_WS)
    rest_blank = first_nl == -1 or _NON_BLANK.search(data, first_nl) is None
    try:
        value = msgspec.json.decode(first)
    except DECODE_ERRORS:
        if first in (b"[", b"{") or _whole_is_json(data, start):
            return True
        return first[:1] in (b"[", b"{") and (
            rest_blank or not _next_line_is_object(data, first_nl)
        )
    if not rest_blank:
        return False
    return isinstance(value, list) or (
        isinstance(value, dict) and any(isinstance(value.get(k), list) for k in ARRAY_KEYS)
    )


def _whole_is_json(data: bytes, start: int) -> bool:
    try:
        msgspec.json.decode(data[start:] if start else data)
    except DECODE_ERRORS:
        return False
    return True


def _next_line_is_object(data: bytes, first_nl: int) -> bool:
    nl = data.find(b"\n", first_nl + 1)
    line = data[first_nl + 1 : len(data) if nl == -1 else nl].strip(_WS)
    if not line.startswith(b"{"):
        return False
    try:
        return isinstance(msgspec.json.decode(line), dict)
    except DECODE_ERRORS:
        return False


def document_records(data: bytes, start: int) -> tuple[list[RawRecord], str | None]:
    """The array elements of a JSON document, or (salvaged elements, error) when it is broken.
    Returns ([], None) when the document holds no array of records at all."""
    try:
        found = layout(data, start)
    except DECODE_ERRORS as error:
        return salvage(data, start), f"the document is not valid JSON: {error}"
    if found is None:
        return [], None
    return [
        RawRecord(pos, pos + len(raw), line, col, bytes(raw))
        for raw, pos, line, col in zip(
            found.raws, found.starts, found.lines, found.cols, strict=True
        )
    ], None


class Envelope(NamedTuple):
    """What the object around a document's records says: under which key the records are
    (`input` is a Responses request body, whatever its first items look like), and whether
    `previous_response_id` or `conversation` is set, so that `input` is only the newest part
    of a history the server keeps. (A named tuple: a dataclass costs ~0.5 ms to define.)"""

    key: str | None = None
    server_state: bool = False


def envelope(data: bytes, start: int) -> Envelope:
    body = data[start:]
    if body.lstrip(_WS)[:1] != b"{":
        return Envelope()
    try:
        obj = _decode_raw_object(body)
    except DECODE_ERRORS:
        return Envelope()
    key = next((k for k in ARRAY_KEYS if k in obj and bytes(obj[k]).startswith(b"[")), None)
    state = any(k in obj and bytes(obj[k]).strip() != b"null" for k in SERVER_STATE_KEYS)
    return Envelope(key, state)


_ARRAY_OPEN = re.compile(r'^\s*(?:\[|\{.*?"(?:messages|input|contents|history)"\s*:\s*\[)', re.S)


def salvage(data: bytes, start: int) -> list[RawRecord]:
    """Elements of a broken document up to where it breaks; the rest as one broken record."""
    import json  # a broken document only: a sound one needs no second JSON parser

    decoder = json.JSONDecoder()
    text = data[start:].decode("utf-8", "surrogateescape")
    match = _ARRAY_OPEN.match(text)
    if match is None:
        return []
    records: list[RawRecord] = []
    idx = match.end()
    byte_at = start + len(text[:idx].encode("utf-8", "surrogateescape"))
    char_at = idx
    lines = _Lines(data)
    while True:
        while idx < len(text) and text[idx] in " \t\r\n,":
            idx += 1
        if idx >= len(text) or text[idx] == "]":
            return records
        byte_at += len(text[char_at:idx].encode("utf-8", "surrogateescape"))
        char_at = idx
        try:
            _, end = decoder.raw_decode(text, idx)
        except (json.JSONDecodeError, RecursionError) as error:
            rest = len(data.rstrip(_WS))
            records.append(lines.record(byte_at, rest, f"not valid JSON: {error}"))
            return records
        byte_end = byte_at + len(text[idx:end].encode("utf-8", "surrogateescape"))
        records.append(lines.record(byte_at, byte_end, None))
        idx = end


class _Lines:
    """Records of `data` with their line and column, counted on from the previous one (a
    count from the start for each record made salvaging a big document quadratic: 30 s
    for a keystroke that broke a 28 MB one)."""

    __slots__ = ("counted", "data", "line")

    def __init__(self, data: bytes) -> None:
        self.data, self.line, self.counted = data, 0, 0

    def record(self, start: int, end: int, error: str | None) -> RawRecord:
        data = self.data
        self.line += data.count(b"\n", self.counted, start)
        self.counted = start
        col = start - (data.rfind(b"\n", 0, start) + 1)
        return RawRecord(start, max(end, start), self.line, col, data[start:end], error)


def detect_newline(data: Source) -> bytes:
    nl = data.find(b"\n")
    return b"\r\n" if nl > 0 and data[nl - 1 : nl] == b"\r" else b"\n"
