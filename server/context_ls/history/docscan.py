"""`check`'s lean read of a big JSON document: the document twin of `fastscan.py`.

The full read decodes every record into facts and lays out every item. Here the
dialect's lean scan (`Dialect.document_scan`) decodes only what the rules read, a chunk
of records at a time (`doc_chunks`), and names the records a finding can come from, with
every record's turn. Only those are laid out and read in full: a *sparse* history on
which the ordinary validator gives the full read's findings. On any doubt the document
is read whole (None)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple

from context_ls.history import source as src
from context_ls.history.detect import SAMPLE_SIZE, document_dialect
from context_ls.history.dialects import dialect_of
from context_ls.history.doc_chunks import Elements, locate, sample_values
from context_ls.history.model import DialectName, History
from context_ls.history.position import LineIndex
from context_ls.history.reader import HistoryBuilder, element_reader, new_history

# Below this size the full read is quick enough, and it is the one every path knows.
MIN_BYTES = 4 << 20
# More kept records than this share of them: the lean read saves little; read it whole.
MAX_KEPT = 0.05
# Lean reads held until the process ends (None: none is). A process that ends without
# tearing down (the CLI's `check` of one document) so never frees what they decoded, one
# object at a time (~6 ms for 28 MB of Chat messages).
KEPT: list[Scan] | None = None


class Pick(NamedTuple):
    """What a dialect's lean scan found: the records a finding may come from or point
    at (in order), the turn (`Item.turn`) the full read gives every record, and the
    records the validator must see beside some others to judge them as the full read
    does (what their calls and outputs pair with)."""

    rows: list[int]
    turns: Sequence[int]
    close: Callable[[Iterable[int]], set[int]]


class IdPairs:
    """What a dialect's lean scan finds of its calls and outputs: the record of the first
    call and of the first output of each id, and the ids that do not pair as the rules
    want (`suspect`: every record holding one is kept). `ids_at` names a record's ids."""

    def __init__(self) -> None:
        self.first_call: dict[str, int] = {}
        self.first_output: dict[str, int] = {}
        self.suspect: set[str] = set()

    def ids_at(self, row: int) -> Iterable[str]:
        raise NotImplementedError

    def close(self, rows: Iterable[int]) -> set[int]:
        """`rows` and the records the validator must see with them to judge them as the
        full read does: the other half of each pair their ids belong to (a record kept for
        one call brings its other calls' outputs), and so on. The holders of a suspect id
        are all kept already."""
        first_call, first_output, suspect = self.first_call, self.first_output, self.suspect
        kept = set(rows)
        todo = list(kept)
        while todo:
            for call_id in self.ids_at(todo.pop()):
                if call_id in suspect:
                    continue
                for other in (first_call.get(call_id), first_output.get(call_id)):
                    if other is not None and other not in kept:
                        kept.add(other)
                        todo.append(other)
        return kept


class Scan(NamedTuple):
    """A document the lean read applies to, and the records it keeps."""

    data: bytes
    dialect: DialectName
    elements: Elements
    pick: Pick

    def prepare(self) -> None:
        """Find the picked records (views, offsets) now, so that `history` only places
        them: `analysis` asks while the secrets scan's child still works."""
        for row in self.pick.rows:
            self.elements.start(row)

    def history(self, more: Iterable[int] = (), lines: LineIndex | None = None) -> History:
        """The sparse history of the picked records and of the rows in `more` (those that
        hold a secret, which `analysis` files under their record). `lines`: the source's
        line index, when the caller keeps one (the records' lines are counted there)."""
        return sparse_history(self.data, self.dialect, self.elements, self.pick, more, lines)


def scan(data: bytes, dialect: DialectName | None = None) -> Scan | None:
    """The lean read of the document in `data`, when its dialect has one; None: read it
    whole (not a valid document, no such dialect, too many records kept)."""
    # Not `source.looks_like_document`: on a document of one line it decodes the whole of
    # it. A source whose records `locate` finds is valid JSON (its chunks decoded), and
    # the full read takes every such source for a document.
    start = src.content_start(data)
    if dialect is not None and (
        dialect_of(dialect).lines_only or dialect_of(dialect).document_scan is None
    ):
        return None
    elements = locate(data, start)
    if elements is None:
        return None
    if dialect is None:
        sample = sample_values(elements, SAMPLE_SIZE * 2)
        dialect = document_dialect(elements.key, sample)
        if dialect is None:
            return None
    lean = dialect_of(dialect).document_scan
    if lean is None:
        return None
    pick = lean(data, elements)
    if pick is None or len(pick.rows) > MAX_KEPT * elements.count:
        return None
    return Scan(data, dialect, elements, pick)


def sparse_history(
    data: bytes,
    dialect: DialectName,
    elements: Elements,
    pick: Pick,
    more: Iterable[int] = (),
    lines: LineIndex | None = None,
) -> History:
    """A history of the picked records (and `more`), each where the full read puts it
    (offset, line, column, turn); `total_records` counts them all."""
    more = set(more).difference(pick.rows)
    rows = sorted(pick.close(more).union(pick.rows)) if more else pick.rows
    history = new_history(data, dialect, document=True)
    history.server_state = dialect_of(dialect).server_state and elements.server_state
    read = element_reader(dialect)
    builder = HistoryBuilder(history)
    where = (lines or LineIndex(data)).position
    for row in rows:
        pos, raw = elements.start(row), elements.raw(row)
        at = where(pos)
        builder.add(pos, pos + len(raw), at.line, at.byte_col, read(raw))
    history.sparse = True
    history.total_records = elements.count
    turns = pick.turns
    return builder.finish([turns[row] for row in rows])
