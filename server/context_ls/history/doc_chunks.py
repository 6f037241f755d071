"""A big JSON document's records, found without decoding the document twice: the array is
cut into chunks of about `CHUNK` bytes where a record seems to end (a `}`, the
separator the document uses, a `{`), and each chunk is decoded on its own, wrapped in
brackets. That checks the cuts too: the whole array is valid JSON, and its parse is the
only one, so chunks that each decode as an array of values end where records end (a
chunk that does not decode takes the next one in). Records are laid out (offsets, views)
only in the chunks that hold a record someone asks for."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import msgspec

from context_ls.history.elements import (
    ARRAY_KEYS,
    SERVER_STATE_KEYS,
    array_offset,
    even_starts,
    place,
)
from context_ls.history.facts import DECODE_ERRORS

CHUNK = 128 << 10  # bytes of records a chunk holds, about

T = TypeVar("T")
# A chunk is decoded inside this many arrays more: as deep as the full read decodes it
# at least (inside its object, and Raw views and values count levels apart), so a record
# nested too deep for the full read fails here too, and the document is read whole.
WRAP = 8


def nested_decoder(element: Any) -> Callable[[bytes], list[Any]]:
    """A decoder of a chunk's records as `element`s, from inside `WRAP` arrays."""
    kind: Any = list[element]
    for _ in range(WRAP):
        kind = list[kind]
    decode = msgspec.json.Decoder(kind).decode

    def unwrapped(body: bytes) -> list[Any]:
        value = decode(body)
        for _ in range(WRAP):
            value = value[0]
        return value

    return unwrapped


_array = nested_decoder(msgspec.Raw)
_object = msgspec.json.Decoder(dict[str, msgspec.Raw]).decode
_string = msgspec.json.Decoder(str).decode
_ERRORS = (*DECODE_ERRORS, msgspec.ValidationError)

_WS = re.compile(rb"[ \t\r\n]*")
_SEP = re.compile(rb"[ \t\r\n]*,[ \t\r\n]*")  # between two records
_KEY = re.compile(rb'("(?:[^"\\]|\\.)*")[ \t\r\n]*:[ \t\r\n]*', re.S)
# A value that is not an object or an array (the document is valid JSON: a token).
_SCALAR = re.compile(rb'"(?:[^"\\]|\\.)*"|[-+.0-9a-zA-Z]+', re.S)
_AFTER_VALUE = re.compile(rb"[ \t\r\n]*([,}])[ \t\r\n]*")
_OPEN, _CLOSE = b"[" * (WRAP + 1), b"]" * (WRAP + 1)
# A record's `{` and its first key, as written.
_OPENING = re.compile(rb'\{[ \t\r\n]*"(?:[^"\\]|\\.)*"')
_LAST_BRACE = re.compile(rb"[ \t\r\n]*\}[ \t\r\n]*\Z")


class Elements:
    """The records of a valid document: in the array whose `[` is at `open` and `]` at
    `close`, under `key` (None: the document is the array); `cuts[k]` is the byte range
    of chunk k's records. `count` and the rows of the chunks are known once `decoded`."""

    __slots__ = (
        "_alone",
        "_bodies",
        "_chunk_starts",
        "_raws",
        "_starts",
        "close",
        "count",
        "cuts",
        "data",
        "firsts",
        "key",
        "open",
        "server_state",
    )

    def __init__(
        self,
        data: bytes,
        key: str | None,
        server_state: bool,
        open_at: int,
        close: int,
        cuts: list[tuple[int, int]],
    ) -> None:
        self.data, self.key, self.server_state = data, key, server_state
        self.open, self.close, self.cuts = open_at, close, cuts
        self.firsts: list[int] = []  # the row of each chunk's first record
        self.count = -1
        self._bodies: dict[int, bytes] = {}
        self._raws: dict[int, list[msgspec.Raw]] = {}
        self._starts: dict[int, list[int]] = {}
        self._chunk_starts: list[int] = []  # where each chunk starts, once asked
        self._alone: dict[int, int] = {}  # row -> start of the records placed alone

    def _body(self, k: int) -> bytes:
        """Chunk k as a JSON array inside `WRAP` more (its records' views point into it)."""
        start, end = self.cuts[k]
        return b"".join((_OPEN, memoryview(self.data)[start:end], _CLOSE))

    def _merge(self, k: int) -> bool:
        """Chunk k was not cut where a record ends: it takes the next one in (False: it is
        the last, and the document is not what it seemed)."""
        if k + 1 >= len(self.cuts):
            return False
        self.cuts[k] = (self.cuts[k][0], self.cuts[k + 1][1])
        del self.cuts[k + 1]
        for cache in (self._bodies, self._raws, self._starts):
            for later in [i for i in cache if i >= k]:
                del cache[later]
        self._alone.clear()
        return True

    def raws(self, k: int) -> list[msgspec.Raw] | None:
        """Chunk k's records as views (None: the document is not what it seemed)."""
        while k not in self._raws:
            if k >= len(self.cuts):
                return None
            body = self._body(k)
            try:
                self._raws[k] = _array(body)
            except RecursionError:
                return None  # nested too deep for the full read's decode too
            except DECODE_ERRORS:
                if not self._merge(k):
                    return None
                continue
            self._bodies[k] = body
        return self._raws[k]

    def head(self, count: int) -> list[msgspec.Raw]:
        """The first `count` records (fewer when there are fewer), as views."""
        found: list[msgspec.Raw] = []
        k = 0
        while len(found) < count and (raws := self.raws(k)) is not None:
            found.extend(raws)
            k += 1
        return found[:count]

    def decoded(
        self,
        shapes: Sequence[Callable[[bytes], list[T]]],
        one_by_one: Callable[[list[msgspec.Raw], int], list[T]],
        store: Callable[[list[T]], object],
    ) -> bool:
        """Every record, decoded a chunk at a time by the first of `shapes` (decoders from
        `nested_decoder`) that takes the chunk, and handed to `store` (so what is not
        kept of a chunk goes before the next is decoded). A chunk none takes (a record of
        another shape) is given record by record to `one_by_one`, with the row of its
        first record. False: the document is not what it seemed."""
        firsts: list[int] = []
        count = k = 0
        while k < len(self.cuts):
            body = self._body(k)
            found: list[T] | None = None
            for decode in shapes:
                try:
                    found = decode(body)
                    break
                except RecursionError:
                    return False  # nested too deep for the full read's decode too
                except msgspec.ValidationError:
                    continue  # another shape may take it
                except DECODE_ERRORS:
                    break
            if found is None:
                chunks = len(self.cuts)
                raws = self.raws(k)  # cut where a record ends? (else merged with the next)
                if raws is None:
                    return False
                if len(self.cuts) != chunks:
                    continue  # merged: decode it whole again
                found = one_by_one(raws, count)
            firsts.append(count)
            count += len(found)
            store(found)
            k += 1
        self.firsts, self.count = firsts, count
        return True

    def _placed(self, k: int) -> list[int]:
        """The offsets of chunk k's records in the document."""
        if k not in self._starts:
            raws = self.raws(k)
            assert raws is not None  # a decoded chunk is cut where records end
            body = self._bodies[k]
            found = even_starts(body, WRAP, raws)
            local = found[0] if found is not None else place(body, WRAP, raws)[0]
            base = self.cuts[k][0] - len(_OPEN)  # the brackets are not in the document
            self._starts[k] = [base + at for at in local]
        return self._starts[k]

    def _chunk(self, row: int) -> int:
        return bisect_right(self.firsts, row) - 1

    def start(self, row: int) -> int:
        """Where record `row` starts."""
        k = self._chunk(row)
        index = row - self.firsts[k]
        if k not in self._starts:
            at = self._alone.get(row)
            if at is None:
                at = self._evenly_at(k, index)
            if at is not None:
                self._alone[row] = at
                return at
        return self._placed(k)[index]

    def _evenly_at(self, k: int, index: int) -> int | None:
        """Where record `index` of chunk k starts when the records before it are found byte
        for byte with one separator between each two (as `elements.even_starts` finds them
        in a whole chunk, here only as far as that record: the sparse history asks for a
        record or two of a chunk). None: they are not."""
        raws = self.raws(k)
        assert raws is not None
        data, start = self.data, self.cuts[k][0]  # a chunk starts where its first record does
        if index == 0:
            return start
        sep = _SEP.match(data, start + len(raws[0]))
        if sep is None:
            return None
        before = sep.group().join([*raws[:index], b""])
        at = start + len(before)
        if not (data.startswith(before, start) and data.startswith(raws[index], at)):
            return None
        return at

    def raw(self, row: int) -> msgspec.Raw:
        """Record `row`'s bytes (a view)."""
        k = self._chunk(row)
        raws = self.raws(k)
        assert raws is not None
        return raws[row - self.firsts[k]]

    def row_at(self, offset: int) -> int:
        """The record the full read files a byte at `offset` under (`Records.row_at`; the
        first one for a byte before every record)."""
        if len(self._chunk_starts) != len(self.cuts):
            self._chunk_starts = [start for start, _end in self.cuts]
        k = max(bisect_right(self._chunk_starts, offset) - 1, 0)
        before = bisect_right(self._placed(k), offset)
        return max(self.firsts[k] + before - 1, 0)


def locate(data: bytes, start: int) -> Elements | None:
    """Where the records of the document in `data` (from `start`) are; None when it is not
    valid JSON (as far as looked), holds no records, or has a shape not handled here."""
    head = _after_ws(data, start)
    first = data[head : head + 1]
    try:
        if first == b"[":
            close = data.rfind(b"]")
            if close < head or _after_ws(data, close + 1) != len(data):
                return None
            return _chunked(data, None, False, head, close)
        if first == b"{":
            return _in_object(data, head)
    except _ERRORS:
        return None
    return None


def _in_object(data: bytes, brace: int) -> Elements | None:
    """The records of an object's array (what `elements.layout` takes them from)."""
    walked = _walked_to(data, brace)
    close = data.rfind(b"]")
    if walked is not None and _LAST_BRACE.match(data, close + 1):
        key, open_at = walked
        # What is around the array must be valid JSON too, and its keys say which array
        # the full read takes.
        skeleton = _object(b"".join((data[brace:open_at], b"[]", data[close + 1 :])))
    else:  # an object or an array before the array or after it: decode the document once
        skeleton = _object(memoryview(data)[brace:])
        key = next((k for k in ARRAY_KEYS if _opens_array(skeleton.get(k))), "")
        if not key:
            return None
        open_at = array_offset(data, brace, key)
        close = open_at + len(skeleton[key]) - 1
    if next((k for k in ARRAY_KEYS if _opens_array(skeleton.get(k))), None) != key:
        return None
    if not _last_with(data, close, key):
        return None
    state = any(bytes(skeleton.get(k, b"null")) != b"null" for k in SERVER_STATE_KEYS)
    return _chunked(data, key, state, open_at, close)


def _opens_array(raw: msgspec.Raw | None) -> bool:
    return raw is not None and memoryview(raw)[:1] == b"["


def _chunked(data: bytes, key: str | None, state: bool, open_at: int, close: int) -> Elements:
    first = _after_ws(data, open_at + 1)
    end = close
    while end > first and data[end - 1] in b" \t\r\n":
        end -= 1
    if end <= first:
        raise msgspec.DecodeError("no records")  # read whole: nothing to save
    return Elements(data, key, state, open_at, close, _cuts(data, open_at, first, end))


def _cuts(data: bytes, open_at: int, first: int, end: int) -> list[tuple[int, int]]:
    """Byte ranges of about `CHUNK` that seem to hold whole records: each ends at a `}`
    followed by a separator like the one before the first record, and a `{` with the
    first record's first key after it (in a compact document `},{` also parts the blocks
    inside a record; a cut there costs a chunk decoded twice)."""
    lead = data[open_at + 1 : first]
    seps = [b"," + lead] if b"\n" in lead else [b",", b", "]
    opening = _OPENING.match(data, first)
    key = opening.group()[1:] if opening is not None else b""
    patterns = [(b"}" + sep + b"{" + key, len(sep)) for sep in seps]
    if key:  # records that start with another key are not cut before
        patterns += [(b"}" + sep + b"{", len(sep)) for sep in seps]
    cuts: list[tuple[int, int]] = []
    at = first
    while patterns and end - at > CHUNK:
        found = [(data.find(p, at + CHUNK, end), size) for p, size in patterns]
        patterns = [pattern for pattern, (pos, _) in zip(patterns, found, strict=True) if pos >= 0]
        hits = [hit for hit in found if hit[0] >= 0]
        if not hits:
            break
        pos, size = hits[0]  # the first pattern found: the most telling
        cuts.append((at, pos + 1))
        at = pos + 1 + size
    cuts.append((at, end))
    return cuts


def _after_ws(data: bytes, pos: int) -> int:
    match = _WS.match(data, pos)
    return match.end() if match is not None else pos


def _walked_to(data: bytes, brace: int) -> tuple[str, int] | None:
    """The first key (of `ARRAY_KEYS`) of the object at `brace` whose value is an array,
    and that array's offset, found by walking the keys before it; None when a value
    before it is an object or an array (not walked)."""
    pos = _after_ws(data, brace + 1)
    while (match := _KEY.match(data, pos)) is not None:
        at = match.end()
        name = _string(match.group(1))  # a key in invalid UTF-8 fails, as in the full read
        if data[at : at + 1] == b"[" and name in ARRAY_KEYS:
            return name, at
        value = _SCALAR.match(data, at)
        if value is None:
            return None
        after = _AFTER_VALUE.match(data, value.end())
        if after is None or after.group(1) != b",":
            return None
        pos = after.end()
    return None


def _last_with(data: bytes, close: int, key: str) -> bool:
    """Whether no later top-level `key` follows the array that ends at `close` (the decode
    keeps the last of repeated keys)."""
    after = _AFTER_VALUE.match(data, close + 1)
    if after is None:
        return False
    if after.group(1) == b"}":
        return True
    return key not in _object(b"{" + data[after.end() :])


def sample_values(elements: Elements, count: int) -> list[Any]:
    """The first `count` records that decode, decoded (what detection reads)."""
    values = []
    for raw in elements.head(count):
        try:
            values.append(msgspec.json.decode(raw))
        except DECODE_ERRORS:
            continue
    return values
