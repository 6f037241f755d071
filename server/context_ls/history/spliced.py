"""A source with one edit applied, before its bytes are copied.

After a keystroke in a 25 MB document, building the new version's bytes is one 25 MB copy.
Once the server has been quiet and gave its spare memory back, that copy lands on fresh
pages and costs more than the rest of the keystroke's work together. The diagnostics of
the new version need only the edited lines and a few records around the findings, so the
server hands the engine a `Spliced` (old bytes, the range replaced, the new bytes) and
copies afterwards, once the diagnostics are out (`materialize`).

A `Spliced` answers the bytes operations the engine's edit path uses (length, slices,
find/rfind/count, startswith/endswith) from its parts; anything else takes `bytes(...)`.
"""

from __future__ import annotations

from _thread import allocate_lock  # threading.Lock itself, without threading's import
from typing import TypeAlias, TypeVar, Union

Source: TypeAlias = Union[bytes, "Spliced"]


def as_bytes(source: Source) -> bytes:
    """The exact bytes of a source (copied once for a `Spliced`, then kept)."""
    return source if isinstance(source, bytes) else source.materialize()


def edited_range(source: Source, earlier: Source) -> tuple[int, int] | None:
    """[first, last) in `earlier` such that `source` differs from it only there, when
    `source` was made from `earlier` by edits not copied yet (versions made while the
    server was busy); None otherwise."""
    chain: list[Spliced] = []
    while source is not earlier:
        if not isinstance(source, Spliced) or (base := source.base) is None:
            return None  # not made from `earlier`, or copied (its edits are gone)
        chain.append(source)
        source = base
    if not chain:
        return None
    first, last = chain[-1].first, chain[-1].last
    end = first + len(chain[-1].insert)  # where the changed bytes end, in the newer version
    for edit in reversed(chain[:-1]):
        reach = max(end, edit.last)
        last += reach - end  # the bytes after `end` are those after `last` in `earlier`
        first = min(first, edit.first)
        end = reach + len(edit.insert) - (edit.last - edit.first)
    return first, last


class Spliced:
    """`base` with bytes [first, last) replaced by `insert`. Immutable in what it stands
    for; `materialize` builds the bytes once (thread-safe) and lets go of `base`."""

    __slots__ = ("_base", "_bytes", "_lock", "first", "insert", "last", "size")

    def __init__(self, base: Source, first: int, last: int, insert: bytes) -> None:
        if not 0 <= first <= last <= len(base):
            raise ValueError(f"edit range [{first}, {last}) outside a source of {len(base)} bytes")
        self._base: Source | None = base
        self._bytes: bytes | None = None
        self._lock = allocate_lock()
        self.first = first
        self.last = last
        self.insert = insert
        self.size = len(base) - (last - first) + len(insert)

    # what it was made from -----------------------------------------------------------

    @property
    def base(self) -> Source | None:
        """The source the edit applies to; None once materialized."""
        return self._base

    @property
    def depth(self) -> int:
        """Edits not yet copied into bytes, this one included."""
        base = self._base
        if base is None:
            return 0
        return 1 + (base.depth if isinstance(base, Spliced) else 0)

    def materialize(self) -> bytes:
        data = self._bytes
        if data is not None:
            return data
        with self._lock:
            if self._bytes is None:
                # One copy for a chain of edits not copied yet (versions made while the
                # server was busy): the versions in between stay as they are.
                views = [memoryview(whole)[start:end] for whole, start, end in _pieces(self)]
                self._bytes = b"".join(views)
                for view in views:
                    view.release()
                self._base = None  # after `_bytes` is set: see `_parts`
            return self._bytes

    __bytes__ = materialize

    def _parts(self) -> tuple[bytes | None, Source | None]:
        """(bytes, None) once materialized, else (None, base). Another thread may
        materialize meanwhile: `_bytes` is set before `_base` is dropped."""
        data = self._bytes
        if data is not None:
            return data, None
        base = self._base
        if base is None:
            return self._bytes, None
        return None, base

    # the bytes operations ------------------------------------------------------------

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, key: slice) -> bytes:
        if not isinstance(key, slice):
            raise TypeError("a Spliced source is read by slices")
        if key.step not in (None, 1):
            return as_bytes(self)[key]
        pieces = [source[a:b] for source, a, b, _ in self._windows(key.start, key.stop)]
        if len(pieces) == 1:
            return pieces[0]
        return b"".join(pieces)

    def _windows(self, start: int | None, end: int | None) -> list[tuple[Source, int, int, int]]:
        """(source, start, end, what to add to a source offset to make it one of self)
        of the pieces' parts within [start, end) (one piece, the bytes, once copied)."""
        lo, hi = slice(start, end).indices(self.size)[:2]
        data, base = self._parts()
        pieces: list[tuple[Source, int, int]]
        if data is not None:
            pieces = [(data, 0, len(data))]
        else:
            assert base is not None
            pieces = _cut([(base, 0, len(base))], self.first, self.last, self.insert)
        windows = []
        offset = 0  # where the piece starts in self
        for source, begin, stop in pieces:
            a, b = begin + max(lo - offset, 0), begin + min(hi - offset, stop - begin)
            if a < b:
                windows.append((source, a, b, offset - begin))
            offset += stop - begin
        return windows

    # A needle of one byte is looked for piece by piece; a longer one could straddle two
    # pieces (and an empty one has bytes' own rules): those search the copied bytes.

    def find(self, sub: bytes | int, start: int | None = None, end: int | None = None) -> int:
        sub = _needle(sub)
        if len(sub) != 1:
            return as_bytes(self).find(sub, start, end)
        for source, a, b, offset in self._windows(start, end):
            if (at := source.find(sub, a, b)) != -1:
                return at + offset
        return -1

    def rfind(self, sub: bytes | int, start: int | None = None, end: int | None = None) -> int:
        sub = _needle(sub)
        if len(sub) != 1:
            return as_bytes(self).rfind(sub, start, end)
        for source, a, b, offset in reversed(self._windows(start, end)):
            if (at := source.rfind(sub, a, b)) != -1:
                return at + offset
        return -1

    def count(self, sub: bytes | int, start: int | None = None, end: int | None = None) -> int:
        sub = _needle(sub)
        if len(sub) != 1:
            return as_bytes(self).count(sub, start, end)
        return sum(source.count(sub, a, b) for source, a, b, _ in self._windows(start, end))

    def startswith(self, prefix: bytes | tuple[bytes, ...]) -> bool:
        if isinstance(prefix, tuple):
            return any(self.startswith(one) for one in prefix)
        return self[: len(prefix)] == prefix

    def endswith(self, suffix: bytes | tuple[bytes, ...]) -> bool:
        if isinstance(suffix, tuple):
            return any(self.endswith(one) for one in suffix)
        return not suffix or self[-len(suffix) :] == suffix


def _needle(sub: bytes | int) -> bytes:
    """What bytes.find takes: bytes, or one byte as an int."""
    return bytes((sub,)) if isinstance(sub, int) else sub


Piece = tuple[bytes, int, int]  # bytes [start, end) of a copied source
S = TypeVar("S", bytes, Source)  # pieces of copied bytes (to join), or of any source (to read)


def _pieces(source: Spliced) -> list[Piece]:
    """The pieces of copied bytes `source` is made of, in order."""
    edits: list[Spliced] = []
    below: Source | None = source
    while isinstance(below, Spliced):
        data, base = below._parts()
        if data is not None:
            below = data
            break
        edits.append(below)
        below = base
    assert isinstance(below, bytes)
    pieces: list[Piece] = [(below, 0, len(below))]
    for edit in reversed(edits):
        pieces = _cut(pieces, edit.first, edit.last, edit.insert)
    return pieces


def _cut(
    pieces: list[tuple[S, int, int]], first: int, last: int, insert: bytes
) -> list[tuple[S, int, int]]:
    """`pieces` with their bytes [first, last) replaced by `insert`."""
    before: list[tuple[S, int, int]] = []
    after: list[tuple[S, int, int]] = []
    offset = 0
    for whole, start, end in pieces:
        size = end - start
        if offset < first:
            before.append((whole, start, start + min(size, first - offset)))
        if offset + size > last:
            after.append((whole, start + max(last - offset, 0), end))
        offset += size
    before.append((insert, 0, len(insert)))
    return before + after
