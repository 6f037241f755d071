"""A JSON document's records found at byte level.

msgspec decodes the object around the records (`dict[str, Raw]`) and then their array
(`list[Raw]`) without copying: each `Raw` is a view of the source, and its length is the
record's exact length. The records lie one after the other in the array, separated by a
comma and white space, so their offsets, lines and columns follow from the lengths alone;
each record is decoded on its own afterwards. Walking the document in Python (or finding
each record's bytes again in it) cost several times the decode."""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import accumulate, repeat
from operator import add

import msgspec

# Keys a document's records may be under, in the order they are looked for.
ARRAY_KEYS = ("messages", "input", "contents", "history")
# Request-body keys that continue a history the server keeps (OpenAI Responses).
SERVER_STATE_KEYS = ("previous_response_id", "conversation")

_WS = re.compile(rb"[ \t\r\n]*")
_SEP = re.compile(rb"[ \t\r\n]*,[ \t\r\n]*")
_KEY = re.compile(rb'("(?:[^"\\]|\\.)*")[ \t\r\n]*:[ \t\r\n]*', re.S)
_AFTER_VALUE = re.compile(rb"[ \t\r\n]*([,}])[ \t\r\n]*")
_raw_object = msgspec.json.Decoder(dict[str, msgspec.Raw]).decode
_raw_array = msgspec.json.Decoder(list[msgspec.Raw]).decode
_string = msgspec.json.Decoder(str).decode


@dataclass(slots=True)
class Layout:
    """Where a valid document's records are. `raws[i]` is record i's bytes (a view of the
    source), at `starts[i]`, on line `lines[i]` (0-based) at byte column `cols[i]`."""

    key: str | None  # what the array is under; None: the document is the array
    server_state: bool  # `previous_response_id` or `conversation` is set
    open: int  # offset of the array's `[`
    raws: list[msgspec.Raw]
    starts: list[int]
    lines: list[int]
    cols: list[int]


def layout(data: bytes, start: int) -> Layout | None:
    """The records of the document in `data` from `start` (after a byte order mark), or
    None when it holds no array of records. Raises msgspec's errors when it is not valid
    JSON (the same errors, with the same messages, a whole decode gives)."""
    body = memoryview(data)[start:] if start else data
    head = _after_ws(data, start)
    first = data[head : head + 1]
    if first == b"[":
        raws = _raw_array(body)
        return _place(data, None, False, head, raws)
    if first != b"{":
        return None
    obj = _raw_object(body)
    key = next((k for k in ARRAY_KEYS if k in obj and _opens_array(obj[k])), None)
    if key is None:
        return None
    state = any(k in obj and bytes(obj[k]) != b"null" for k in SERVER_STATE_KEYS)
    raw_array = obj[key]
    return _place(data, key, state, _array_at(data, head, obj, key), _raw_array(raw_array))


def array_offset(data: bytes, brace: int, key: str) -> int:
    """The offset of the array under top-level `key` of the object whose `{` is at
    `brace` (the document is valid JSON and has one)."""
    body = memoryview(data)[brace:]
    return _array_at(data, brace, _raw_object(body), key)


def _array_at(data: bytes, brace: int, obj: dict[str, msgspec.Raw], key: str) -> int:
    value = memoryview(obj[key])
    at = _value_offset(data, brace, obj, key)
    if at is None or not data.startswith(value, at):
        at = data.rfind(value)  # repeated keys: the last one counts, as in the decode
    return at


def _after_ws(data: bytes, pos: int) -> int:
    """The offset of the first byte at or after `pos` that is not white space."""
    match = _WS.match(data, pos)
    return match.end() if match is not None else pos


def _opens_array(raw: msgspec.Raw) -> bool:
    return memoryview(raw)[:1] == b"["


def _value_offset(data: bytes, brace: int, obj: dict[str, msgspec.Raw], key: str) -> int | None:
    """Offset of the value of top-level `key`, from the lengths of the values before it;
    None when a key repeats (the lengths are then not those of the values in between)."""
    pos = _after_ws(data, brace + 1)
    seen: set[str] = set()
    while (match := _KEY.match(data, pos)) is not None:
        name = _string(match.group(1))
        if name in seen or name not in obj:
            return None
        seen.add(name)
        if name == key:
            return match.end()
        after = _AFTER_VALUE.match(data, match.end() + len(obj[name]))
        if after is None or after.group(1) != b",":
            return None
        pos = after.end()
    return None


def even_starts(data: bytes, open_at: int, raws: list[msgspec.Raw]) -> tuple[list[int], int] | None:
    """The offsets of `raws` (the elements of the array whose `[` is at `open_at`) and of
    the array's `]`, when one separator lies between every two elements, as in a
    pretty-printed or compact document; None otherwise. The offsets follow from the
    lengths, once the elements joined by that separator are found in `data` byte for byte
    (two passes in C, where `place` walks them in Python, several times slower)."""
    if not raws:
        return None
    first = _after_ws(data, open_at + 1)
    sep = b""
    if len(raws) > 1:
        match = _SEP.match(data, first + len(raws[0]))
        if match is None:
            return None
        sep = match.group()
    if not data.startswith(sep.join(raws), first):
        return None
    sizes = map(len, raws)
    starts = list(accumulate(map(add, sizes, repeat(len(sep))), initial=first))
    close = _after_ws(data, starts.pop() - len(sep))
    if data[close : close + 1] != b"]":
        return None
    return starts, close


def _place(
    data: bytes, key: str | None, state: bool, open_at: int, raws: list[msgspec.Raw]
) -> Layout:
    starts, lines, cols = place(data, open_at, raws)
    return Layout(key, state, open_at, raws, starts, lines, cols)


def place(
    data: bytes, open_at: int, raws: list[msgspec.Raw]
) -> tuple[list[int], list[int], list[int]]:
    """The offsets, lines and columns of `raws`, the elements of the array whose `[` is
    at `open_at` in `data`."""
    starts: list[int] = []
    lines: list[int] = []
    cols: list[int] = []
    count, rfind, sep = data.count, data.rfind, _SEP.match
    pos = _after_ws(data, open_at + 1)
    line = count(b"\n", 0, pos)
    line_start = rfind(b"\n", 0, pos) + 1
    counted = pos
    for raw in raws:
        more = count(b"\n", counted, pos)
        if more:
            line += more
            line_start = rfind(b"\n", counted, pos) + 1
        starts.append(pos)
        lines.append(line)
        cols.append(pos - line_start)
        counted = pos
        end = pos + len(raw)
        after = sep(data, end)
        pos = after.end() if after is not None else end
    close = _after_ws(data, pos)
    if data[close : close + 1] != b"]":
        raise AssertionError(f"records misplaced in the document (at byte {close})")
    return starts, lines, cols
