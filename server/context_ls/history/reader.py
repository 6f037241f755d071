"""Reading a source into a `History`: cut records, detect the dialect, gather facts, then
lay out items, calls, outputs and the turns adjacency is judged by."""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Iterator
from itertools import chain, islice
from sys import intern
from typing import Any

import msgspec

from context_ls.history import source as src
from context_ls.history.detect import SAMPLE_SIZE, document_dialect
from context_ls.history.dialects import dialect_of
from context_ls.history.elements import layout
from context_ls.history.facts import DECODE_ERRORS, RecordFacts, malformed
from context_ls.history.model import Call, DialectName, History, Output
from context_ls.history.spliced import Source
from context_ls.history.text_blocks import facts_of_decoded
from context_ls.history.turns import assign_turns

_decode = msgspec.json.decode


def facts_reader(dialect: DialectName) -> Callable[[bytes], RecordFacts]:
    """bytes of one record -> its facts (a dialect may have a typed fast path)."""
    described = dialect_of(dialect)
    if described.read_line is not None:
        return described.read_line
    facts_of = described.facts

    def read(raw: bytes) -> RecordFacts:
        try:
            value = _decode(raw)
        except DECODE_ERRORS as error:
            return malformed(str(error))
        return facts_of(value)

    return read


def _sample_values(rows: Iterable[tuple[int, int, bytes, str | None, int]]) -> Iterable[Any]:
    for _line, _pos, chunk, error, _col in rows:
        if error:
            continue
        try:
            yield _decode(chunk)
        except DECODE_ERRORS:
            continue


HEAD_BYTES = 4 << 20  # detection reads the first records; they lie within this much


def _sample_end(data: bytes, start: int) -> int:
    """Where the lines detection samples end: just past the `SAMPLE_SIZE * 2`-th non-blank
    line, within `HEAD_BYTES` (splitting all 4 MB of a head took ~4 ms a keystroke)."""
    limit = min(len(data), HEAD_BYTES)
    wanted = SAMPLE_SIZE * 2
    pos = start
    while pos < limit:
        end = data.find(b"\n", pos, limit)
        if end == -1:
            break
        if data[pos:end].strip():
            wanted -= 1
            if not wanted:
                return end + 1
        pos = end + 1
    return limit


def head_dialect(data: bytes, start: int = 0) -> DialectName | None:
    """The dialect of a JSONL source from its first records (what detection reads), for
    sources that are streamed or re-read only in part."""
    head = islice(src.split_lines(data[: _sample_end(data, start)], start), SAMPLE_SIZE * 2)
    rows = ((line, pos, chunk, None, 0) for line, pos, chunk in head)
    return document_dialect(None, list(_sample_values(rows)))  # as the full read decides


# How a source was read: None for JSONL or a broken document (salvaged); for a valid
# document, (the key its records are under,) — what `doc_reread` needs to re-read it.
Clean = tuple[str | None] | None


def read_history(data: bytes, dialect: DialectName | None = None) -> History:
    """Read a whole source held in memory."""
    return read_source(data, dialect)[0]


def read_source(data: bytes, dialect: DialectName | None = None) -> tuple[History, Clean]:
    """`read_history`, and whether it read a valid document (see `Clean`)."""
    start = src.content_start(data)
    document = src.looks_like_document(data, start)
    if document and dialect is not None and dialect_of(dialect).lines_only:
        document = False
    if document:
        return _read_document(data, start, dialect)
    rows = ((line, pos, chunk, None, 0) for line, pos, chunk in src.split_lines(data, start))
    head = list(islice(rows, SAMPLE_SIZE * 2))
    decoded: list[Any] | None = None
    if dialect is None:
        decoded = [_decoded_or_not(chunk) for _line, _pos, chunk, _error, _col in head]
        dialect = document_dialect(None, [v for v in decoded if v is not _NOT_JSON])
    history = new_history(data, dialect, document=False)
    if dialect is None:
        return history, None
    read = facts_reader(dialect)
    builder = HistoryBuilder(history)
    add = builder.add
    of_value = _facts_of_value(dialect) if decoded is not None else None
    if of_value is not None and decoded is not None:
        # The records detection decoded are not decoded again (a listing reads thousands
        # of small files, most of whose records are in the sample).
        for (line, pos, chunk, _error, _col), value in zip(head, decoded, strict=True):
            facts = read(chunk) if value is _NOT_JSON else of_value(value, chunk)
            add(pos, pos + len(chunk), line, 0, facts)
        head = []
    for line, pos, chunk, _error, _col in chain(head, rows):
        add(pos, pos + len(chunk), line, 0, read(chunk))
    return builder.finish(), None


_NOT_JSON = object()


def _decoded_or_not(chunk: bytes) -> Any:
    try:
        return _decode(chunk)
    except DECODE_ERRORS:
        return _NOT_JSON


def _facts_of_value(dialect: DialectName) -> Callable[[Any, bytes], RecordFacts] | None:
    """The facts of a record already decoded, as the dialect's reader gives them from its
    bytes; None for a typed reader, which decodes records its own way."""
    described = dialect_of(dialect)
    if described.read_line is None:
        facts = described.facts
        return lambda value, _raw: facts(value)
    return facts_of_decoded(described.read_line)


def new_history(data: Source, dialect: DialectName | None, *, document: bool) -> History:
    """An empty history of `data` (its size, newline and last byte known)."""
    history = History(
        dialect=dialect, size=len(data), newline=src.detect_newline(data), document=document
    )
    history.ends_with_newline = data.endswith(b"\n")
    return history


def read_document(data: bytes, start: int, dialect: DialectName | None = None) -> History:
    """Read a JSON document: its records found at byte level and decoded one at a time
    (`elements.layout`); a broken one is salvaged up to where it breaks."""
    return _read_document(data, start, dialect)[0]


def _read_document(data: bytes, start: int, dialect: DialectName | None) -> tuple[History, Clean]:
    try:
        found = layout(data, start)
    except DECODE_ERRORS as error:
        problem = f"the document is not valid JSON: {error}"
        return _read_salvaged(data, start, dialect, problem), None
    raws = found.raws if found is not None else []
    key = found.key if found is not None else None
    if dialect is None:
        dialect = document_dialect(key, list(_sample_values(_head_rows(raws))))
    history = new_history(data, dialect, document=True)
    if dialect is None:
        return history, None
    if found is None:
        return HistoryBuilder(history).finish(), None
    history.server_state = dialect_of(dialect).server_state and found.server_state
    read = element_reader(dialect)
    builder = HistoryBuilder(history)
    add = builder.add
    for raw, pos, line, col in zip(raws, found.starts, found.lines, found.cols, strict=True):
        add(pos, pos + len(raw), line, col, read(raw))
    return builder.finish(), (key,)


def _head_rows(raws: list[Any]) -> Iterator[tuple[int, int, Any, None, int]]:
    return ((0, 0, raw, None, 0) for raw in raws[: SAMPLE_SIZE * 2])


def element_reader(dialect: DialectName) -> Callable[[Any], RecordFacts]:
    """`facts_reader` for a document's records, given as `msgspec.Raw` views (decoded
    as they are; a dialect's typed reader gets bytes)."""
    read = facts_reader(dialect)
    if dialect_of(dialect).read_line is None:
        return read
    return lambda raw: read(bytes(raw))


def _read_salvaged(data: bytes, start: int, dialect: DialectName | None, error: str) -> History:
    """A broken document: the records before the break, then the rest as one broken record
    (or, when every record parsed, the error on what follows them)."""
    records = src.salvage(data, start)
    rows = [(r.line, r.start, r.data, r.error, r.col) for r in records]
    if dialect is None:  # no key: what is around the records cannot be decoded
        dialect = document_dialect(None, list(_sample_values(rows[: SAMPLE_SIZE * 2])))
    history = new_history(data, dialect, document=True)
    if dialect is None:
        return history
    read = facts_reader(dialect)
    builder = HistoryBuilder(history)
    for line, pos, chunk, problem, col in rows:
        facts = malformed(problem) if problem is not None else read(chunk)
        builder.add(pos, pos + len(chunk), line, col, facts)
    if not any(record.error for record in records):
        tail = records[-1].end if records else start
        line = data.count(b"\n", 0, tail)
        builder.add_document_error(
            error, tail, len(data), line, tail - (data.rfind(b"\n", 0, tail) + 1)
        )
    return builder.finish()


def _interned(value: str | None) -> str | None:
    """Roles, kinds, tool names and statuses repeat on every record of a big history: one
    string each (an open 25 MB rollout holds ~1.4 MB less)."""
    return None if value is None else intern(value)


class HistoryBuilder:
    """Appends records one at a time (so a big JSONL file can be streamed)."""

    __slots__ = ("history", "ids", "threads")

    def __init__(self, history: History) -> None:
        self.history = history
        self.threads: dict[str | None, int] = {None: 0}
        # One string per id: an output's id is the very string of its call's (a document
        # of 17k pairs holds ~1 MB less with it open).
        self.ids: dict[str, str] = {}

    def add(self, start: int, end: int, line: int, col: int, facts: RecordFacts) -> None:
        history = self.history
        index = len(history.items)
        thread = facts.thread
        history.items.append(
            start,
            end,
            line,
            col,
            facts.kind,
            _interned(facts.role),
            facts.timestamp,
            facts.uuid,
            facts.parent_uuid,
            facts.message_id,
            facts.error,
            facts.only_results,
            0 if thread is None else self.threads.setdefault(thread, len(self.threads)),
        )
        if facts.calls:
            ids = self.ids
            for call in facts.calls:
                history.calls.append(
                    Call(
                        ids.setdefault(call.call_id, call.call_id),
                        index,
                        call.block,
                        intern(call.kind),
                        _interned(call.tool),
                    )
                )
        if facts.outputs:
            ids = self.ids
            for out in facts.outputs:
                history.outputs.append(
                    Output(
                        ids.setdefault(out.call_id, out.call_id),
                        index,
                        out.block,
                        intern(out.kind),
                        _interned(out.status),
                    )
                )
        if facts.missing_ids:
            for block, what in facts.missing_ids:
                history.missing_ids.append((index, block, what))
        if facts.problems:
            history.problems.extend((index, problem) for problem in facts.problems)

    def add_document_error(self, error: str, start: int, end: int, line: int, col: int) -> None:
        """A broken document whose elements all parsed (e.g. the closing bracket is missing)."""
        self.add(start, end, line, col, malformed(error))

    def finish(self, turns: Iterable[int] | None = None) -> History:
        """The history, its turns counted; `turns`: each record's, known beforehand (a
        sparse history holds some records only, and counting them would number them
        wrongly)."""
        self.history.thread_names = self.threads
        self.ids = {}
        if turns is None:
            assign_turns(self.history)
        else:
            self.history.items.turns = array("q", turns)
        return self.history
