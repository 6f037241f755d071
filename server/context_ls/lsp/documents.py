"""The server's own model of an open document: exact UTF-8 bytes plus line starts.

pygls's `TextDocument` rebuilds the whole text on every incremental change (O(document));
a one-line edit in a 25 MB rollout would cost as much as the open. Here a change shifts
the line starts after it and its bytes are a `Spliced` of the previous version's: the
diagnostics of the edit are computed from the pieces, and the new bytes are copied once,
afterwards (`TextSnapshot.data`). Every version is an immutable `TextSnapshot`, so an
analysis always converts its byte spans with the line index of the exact bytes it read,
even while newer edits arrive.

A big document's line starts are listed only when first needed (~70 ms for the 400k
lines of a 28 MB pretty-printed document, most of the time it took to receive it): its
first diagnostics are placed by `LineIndex`'s blocks, and the list is made in the
background afterwards (`materialize`).
"""

from __future__ import annotations

import threading
from array import array
from bisect import bisect_right
from dataclasses import dataclass, field

from lsprotocol import types

from context_ls.history.position import LineIndex, line_starts
from context_ls.history.spliced import Source, Spliced, as_bytes

UTF8 = types.PositionEncodingKind.Utf8
UTF16 = types.PositionEncodingKind.Utf16
UTF32 = types.PositionEncodingKind.Utf32
MAX_PENDING_EDITS = 8  # versions chained on one copy at most (each read goes through all)
# Bytes: a smaller text's line starts take 4 bytes each, not 8 (1.6 MB less for the 400k
# lines of a 28 MB document). Stored starts may be less a pending move (see `apply`), so
# they must fit a signed 32-bit int with room to spare.
NARROW_BELOW = 1 << 30
FEW_PLACES = 1000  # offsets placed by blocks before every line is listed
_PLACING = threading.Lock()  # a `LineIndex` fills its blocks as it goes: one thread at a time


def starts_typecode(size: int) -> str:
    """The array type of the line starts of a text of `size` bytes."""
    return "i" if size < NARROW_BELOW else "q"


def _narrow(starts: array[int], size: int) -> array[int]:
    code = starts_typecode(size)
    return starts if starts.typecode == code else array(code, starts)


def _units(text: str, encoding: str) -> int:
    """Length of `text` in the position units of `encoding`."""
    if encoding == UTF32 or text.isascii():
        return len(text)
    if encoding == UTF8:
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


@dataclass(frozen=True, slots=True)
class TextSnapshot:
    """One version of a document. Never mutated: a change makes a new snapshot."""

    source: Source  # its bytes, or an edit of the previous version's not yet copied
    # Where lines start: line i at raw_starts[i], plus `shift` from line `shifted` on. A
    # keystroke moves every line after it; adding to each of them cost ~15 ms in a 28 MB
    # pretty-printed document (400k lines), so the move is kept pending and composed with
    # the next edit's (see `apply`); `starts` gives them all moved. None: not listed yet
    # (only for bytes as received; `raw_starts` lists them).
    known_starts: array[int] | None
    version: int
    encoding: str = UTF16
    shifted: int = 1 << 62
    shift: int = 0
    # Places offsets while `known_starts` is None (made on first use, dropped after), and
    # how many it placed: many more (an outline) list every line at once.
    _index: LineIndex | None = field(default=None, init=False, repr=False, compare=False)
    _placed_count: int = field(default=0, init=False, repr=False, compare=False)

    @classmethod
    def from_text(cls, text: str, version: int, encoding: str = UTF16) -> TextSnapshot:
        data = text.encode("utf-8", "surrogatepass")
        return cls.from_bytes(data, version, encoding)

    @classmethod
    def from_bytes(cls, data: bytes, version: int, encoding: str = UTF16) -> TextSnapshot:
        return cls(data, None, version, encoding)

    @property
    def raw_starts(self) -> array[int]:
        """The line starts as stored (see `known_starts`), listed on first use."""
        starts = self.known_starts
        if starts is None:
            # Listing twice in two threads is harmless: both lists are the same.
            data = as_bytes(self.source)
            starts = _narrow(line_starts(data, first=0), len(data))
            object.__setattr__(self, "known_starts", starts)
            object.__setattr__(self, "_index", None)
        return starts

    @property
    def lines_listed(self) -> bool:
        return self.known_starts is not None

    def more_lines_than(self, count: int) -> bool:
        """Whether the text has over `count` lines (without listing them all)."""
        if self.known_starts is not None:
            return len(self.known_starts) > count
        data, at = as_bytes(self.source), -1
        for _ in range(count):
            at = data.find(b"\n", at + 1)
            if at == -1:
                return False
        return True

    @property
    def starts(self) -> array[int]:
        """starts[i] = byte offset of line i; starts[0] == 0 (a copy when moves are pending)."""
        raw, first, shift = self.raw_starts, self.shifted, self.shift
        if not shift or first >= len(raw):
            return raw
        moved = raw[:first]
        moved.extend(map(shift.__add__, raw[first:]))
        return moved

    def _start(self, line: int) -> int:
        start = self.raw_starts[line]
        return start + self.shift if line >= self.shifted else start

    def _line_at(self, offset: int) -> int:
        """The line `offset` is on: `bisect_right(starts, offset) - 1`."""
        raw, first, shift = self.raw_starts, self.shifted, self.shift
        if first < len(raw) and offset >= raw[first] + shift:
            return bisect_right(raw, offset - shift, first) - 1
        return bisect_right(raw, offset, 0, min(first, len(raw))) - 1

    @property
    def data(self) -> bytes:
        """The exact bytes (copied from the previous version's on first use after an edit)."""
        return as_bytes(self.source)

    @property
    def size(self) -> int:
        return len(self.source)

    @property
    def copy_pending(self) -> bool:
        return isinstance(self.source, Spliced) and self.source.base is not None

    @property
    def work_pending(self) -> bool:
        """Bytes to copy or lines to list before a request or an edit needs them."""
        return self.copy_pending or self.known_starts is None

    def materialize(self) -> None:
        """Copy an edited version's bytes and list its lines now (in a worker, before
        someone needs them)."""
        as_bytes(self.source)
        self.raw_starts  # noqa: B018  (listed on first use)

    @property
    def line_count(self) -> int:
        return len(self.raw_starts)

    def _line_bounds(self, line: int) -> tuple[int, int]:
        """Byte range of a line's content, without its `\\n` / `\\r\\n`."""
        start = self._start(line)
        if line + 1 < len(self.raw_starts):
            end = self._start(line + 1) - 1
            if end > start and self.source[end - 1 : end] == b"\r":
                end -= 1
        else:
            end = len(self.source)
        return start, end

    def offset_at(self, line: int, character: int) -> int:
        """Byte offset of an LSP position (clamped to the document, like editors do)."""
        if line < 0:
            return 0
        if line >= len(self.raw_starts):
            return len(self.source)
        start, end = self._line_bounds(line)
        if character <= 0:
            return start
        raw = self.source[start:end]
        if self.encoding == UTF8 or raw.isascii():
            return start + min(character, len(raw))
        text = raw.decode("utf-8", "surrogateescape")
        units = 0
        for index, char in enumerate(text):
            if units >= character:
                return start + len(text[:index].encode("utf-8", "surrogateescape"))
            units += _units(char, self.encoding)
        return end

    def line_span(self, offset: int) -> tuple[int, int, int]:
        """(line, where it starts, where the next one starts) of a byte offset within the
        text; the next start is `size + 1` after the last line. Lines not listed yet stay
        so for a few calls (see `_placed`)."""
        if self.known_starts is None and self._placed_count < FEW_PLACES:
            line, start = self._placed(offset)
            end = as_bytes(self.source).find(b"\n", offset) + 1
            return line, start, end or self.size + 1
        line = self._line_at(offset)
        after = self._start(line + 1) if line + 1 < len(self.raw_starts) else self.size + 1
        return line, self._start(line), after

    def position_at(self, offset: int) -> types.Position:
        """LSP position of a byte offset."""
        offset = max(0, min(offset, len(self.source)))
        if self.known_starts is None and self._placed_count < FEW_PLACES:
            line, start = self._placed(offset)
        else:
            line = self._line_at(offset)
            start = self._start(line)
        prefix = self.source[start:offset]
        if self.encoding == UTF8 or prefix.isascii():
            return types.Position(line=line, character=len(prefix))
        text = prefix.decode("utf-8", "surrogateescape")
        return types.Position(line=line, character=_units(text, self.encoding))

    def _placed(self, offset: int) -> tuple[int, int]:
        """(line, where it starts) of `offset` before the lines are listed: a few offsets
        (a first look's findings) cost a count of the newlines before them, in C."""
        with _PLACING:
            index = self._index
            if index is None:
                index = LineIndex(as_bytes(self.source))
                object.__setattr__(self, "_index", index)
            place = index.position(offset)
            object.__setattr__(self, "_placed_count", self._placed_count + 1)
        return place.line, offset - place.byte_col

    def range_of(self, start: int, end: int) -> types.Range:
        return types.Range(start=self.position_at(start), end=self.position_at(end))

    def apply(self, change: types.TextDocumentContentChangeEvent, version: int) -> TextSnapshot:
        """The snapshot after one content change: its bytes are a `Spliced` of these."""
        new = change.text.encode("utf-8", "surrogatepass")
        if isinstance(change, types.TextDocumentContentChangeWholeDocument):
            return TextSnapshot.from_bytes(new, version, self.encoding)
        rng = change.range
        first = self.offset_at(rng.start.line, rng.start.character)
        last = self.offset_at(rng.end.line, rng.end.character)
        if last < first:
            first, last = last, first
        if isinstance(self.source, Spliced) and self.source.depth >= MAX_PENDING_EDITS:
            self.source.materialize()  # edits came faster than versions were copied
        data = Spliced(self.source, first, last, new)
        # Lines that start inside (first, last] are gone; new ones come from `new`.
        keep_before = self._line_at(first) + 1
        resume = self._line_at(last) + 1
        delta = len(new) - (last - first)
        raw, moved_from, shift = self.raw_starts, self.shifted, self.shift
        if raw.typecode != "q" and len(data) >= NARROW_BELOW:
            raw = array("q", raw)  # the text grew past NARROW_BELOW
        if not shift or moved_from >= len(raw):
            moved_from, shift = len(raw), 0
        # Lines before the edit, moved (those of the pending move before it: few, when
        # typing goes on in one place).
        starts = raw[: min(keep_before, moved_from)]
        if keep_before > moved_from:
            starts.extend(map(shift.__add__, raw[moved_from:keep_before]))
        starts.fromlist(line_starts(new, first).tolist())
        # Lines after it keep their raw offsets under one pending move: `shift + delta`
        # for those the pending move covered; any before those are stored less `shift`.
        shifted = len(starts)
        if shift and resume < moved_from:
            starts.extend(map((-shift).__add__, raw[resume:moved_from]))
            starts.extend(raw[moved_from:])
        else:
            starts.extend(raw[resume:])
        return TextSnapshot(data, starts, version, self.encoding, shifted, shift + delta)
