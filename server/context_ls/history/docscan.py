"""`check`'s lean read of a big JSON document: the document twin of `fastscan.py`.

The full read decodes every record into facts and lays out every item. Here msgspec cuts
the records as views (`msgspec.Raw`) in one pass, their offsets follow from their lengths
(`elements.even_starts`, checked against the separators), and the dialect's lean scan
(`Dialect.document_scan`) names the records a finding can come from, with every record's
turn. Only those are read in full: a *sparse* history on which the ordinary validator
gives the full read's findings. On any doubt the document is read whole (None)."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import msgspec

from context_ls.history import source as src
from context_ls.history.detect import SAMPLE_SIZE, document_dialect
from context_ls.history.dialects import dialect_of
from context_ls.history.elements import ARRAY_KEYS, SERVER_STATE_KEYS, array_offset, even_starts
from context_ls.history.facts import DECODE_ERRORS
from context_ls.history.model import DialectName, History
from context_ls.history.reader import HistoryBuilder, element_reader, new_history

# Below this size the full read is quick enough, and it is the one every path knows.
MIN_BYTES = 4 << 20
# More kept records than this share of them: the lean read saves little; read it whole.
MAX_KEPT = 0.05

_NULL = msgspec.Raw(b"null")
# What is around a document's records: the arrays they may be under, and the keys that
# tell a history the server keeps (as `elements.layout` reads them).
_Envelope = msgspec.defstruct(
    "_Envelope",
    [(key, list[msgspec.Raw] | None, None) for key in ARRAY_KEYS]
    + [(key, msgspec.Raw, _NULL) for key in SERVER_STATE_KEYS],
)
_envelope = msgspec.json.Decoder(_Envelope).decode
_array = msgspec.json.Decoder(list[msgspec.Raw]).decode
_object = msgspec.json.Decoder(dict[str, msgspec.Raw]).decode
_string = msgspec.json.Decoder(str).decode
_value = msgspec.json.decode
_ERRORS = (*DECODE_ERRORS, msgspec.ValidationError)

_WS = re.compile(rb"[ \t\r\n]*")
_KEY = re.compile(rb'("(?:[^"\\]|\\.)*")[ \t\r\n]*:[ \t\r\n]*', re.S)
# A value that is not an object or an array (the document is valid JSON: a token).
_SCALAR = re.compile(rb'"(?:[^"\\]|\\.)*"|[-+.0-9a-zA-Z]+', re.S)
_AFTER_VALUE = re.compile(rb"[ \t\r\n]*([,}])[ \t\r\n]*")


@dataclass(slots=True)
class Elements:
    """A valid document's records: `raws[i]` (a view of the source) at `starts[i]`, in the
    array whose `[` is at `open` and `]` at `close`, under `key` (None: the document is
    the array)."""

    key: str | None
    server_state: bool
    open: int
    close: int
    raws: list[msgspec.Raw]
    starts: list[int]

    def row_at(self, offset: int) -> int:
        """The record the full read files a byte at `offset` under (`Records.row_at`; the
        first one for a byte before every record)."""
        return max(bisect_right(self.starts, offset) - 1, 0)


class Pick(NamedTuple):
    """What a dialect's lean scan found: the records a finding may come from or point
    at (in order), the turn (`Item.turn`) the full read gives every record, and the
    records the validator must see beside some others to judge them as the full read
    does (what their calls and outputs pair with)."""

    rows: list[int]
    turns: Sequence[int]
    close: Callable[[Iterable[int]], set[int]]


class Scan(NamedTuple):
    """A document the lean read applies to, and the records it keeps."""

    data: bytes
    dialect: DialectName
    elements: Elements
    pick: Pick

    def history(self, more: Iterable[int] = ()) -> History:
        """The sparse history of the picked records and of the rows in `more` (those that
        hold a secret, which `analysis` files under their record)."""
        return sparse_history(self.data, self.dialect, self.elements, self.pick, more)


def scan(data: bytes, dialect: DialectName | None = None) -> Scan | None:
    """The lean read of the document in `data`, when its dialect has one; None: read it
    whole (not a valid document, no such dialect, too many records kept)."""
    start = src.content_start(data)
    if not src.looks_like_document(data, start):
        return None
    if dialect is not None and (
        dialect_of(dialect).lines_only or dialect_of(dialect).document_scan is None
    ):
        return None
    elements = locate(data, start)
    if elements is None:
        return None
    if dialect is None:
        sample = _decoded(elements.raws[: SAMPLE_SIZE * 2])
        dialect = document_dialect(elements.key, sample)
        if dialect is None:
            return None
    lean = dialect_of(dialect).document_scan
    if lean is None:
        return None
    pick = lean(data, elements)
    if pick is None or len(pick.rows) > MAX_KEPT * len(elements.raws):
        return None
    return Scan(data, dialect, elements, pick)


def _decoded(raws: list[msgspec.Raw]) -> list[Any]:
    """The sampled records detection reads (those that decode, as the full read has them)."""
    values = []
    for raw in raws:
        try:
            values.append(_value(raw))
        except DECODE_ERRORS:
            continue
    return values


def locate(data: bytes, start: int) -> Elements | None:
    """Where the records of the document in `data` (from `start`) are, when they are laid
    out evenly (`even_starts`); None when it is not valid JSON, holds no array of records,
    or is laid out otherwise."""
    head = _after_ws(data, start)
    body = memoryview(data)[start:] if start else data
    first = data[head : head + 1]
    try:
        if first == b"[":
            return _placed(data, None, False, head, _array(body))
        if first != b"{":
            return None
        envelope = _envelope(body)
        key = next((k for k in ARRAY_KEYS if getattr(envelope, k) is not None), None)
        if key is None:
            return None
        state = any(bytes(getattr(envelope, k)) != b"null" for k in SERVER_STATE_KEYS)
        at = _walked_to(data, head, key)
        if at is None:
            at = array_offset(data, head, key)
        found = _placed(data, key, state, at, getattr(envelope, key))
        if found is None or not _last_with(data, found.close, key):
            return None
        return found
    except _ERRORS:
        return None


def _placed(
    data: bytes, key: str | None, state: bool, open_at: int, raws: list[msgspec.Raw]
) -> Elements | None:
    placed = even_starts(data, open_at, raws)
    if placed is None:
        return None
    starts, close = placed
    return Elements(key, state, open_at, close, raws, starts)


def _after_ws(data: bytes, pos: int) -> int:
    match = _WS.match(data, pos)
    return match.end() if match is not None else pos


def _walked_to(data: bytes, brace: int, key: str) -> int | None:
    """The offset of the first array under top-level `key`, found by walking the keys
    before it; None when a value before it is an object or an array (not walked)."""
    pos = _after_ws(data, brace + 1)
    while (match := _KEY.match(data, pos)) is not None:
        at = match.end()
        name = _string(match.group(1))  # a key in invalid UTF-8 fails, as in the full read
        if data[at : at + 1] == b"[" and name == key:
            return at
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


def sparse_history(
    data: bytes, dialect: DialectName, elements: Elements, pick: Pick, more: Iterable[int] = ()
) -> History:
    """A history of the picked records (and `more`), each where the full read puts it
    (offset, line, column, turn); `total_records` counts them all."""
    more = set(more).difference(pick.rows)
    rows = sorted(pick.close(more).union(pick.rows)) if more else pick.rows
    history = new_history(data, dialect, document=True)
    history.server_state = dialect_of(dialect).server_state and elements.server_state
    read = element_reader(dialect)
    builder = HistoryBuilder(history)
    raws, starts = elements.raws, elements.starts
    count, rfind = data.count, data.rfind
    line = col_base = at = 0
    for row in rows:
        pos = starts[row]
        more_lines = count(b"\n", at, pos)
        if more_lines:
            line += more_lines
            col_base = rfind(b"\n", at, pos) + 1
        at = pos
        builder.add(pos, pos + len(raws[row]), line, pos - col_base, read(raws[row]))
    history.sparse = True
    history.total_records = len(raws)
    turns = pick.turns
    return builder.finish([turns[row] for row in rows])
