"""The analyzer of a document that keeps changing: the server's open files."""

from __future__ import annotations

import re
import threading
from bisect import bisect_right
from dataclasses import dataclass, replace

from context_ls.history import source as src
from context_ls.history.analysis import (
    Analysis,
    Options,
    _finish,
    _options,
    find,
    sparse_analysis,
)
from context_ls.history.detect import SAMPLE_SIZE
from context_ls.history.dialects import DIALECTS, settled_by_name
from context_ls.history.doc_reread import (
    DocumentReread,
    StructureChanged,
    plan_document_edit,
    same_document_dialect,
)
from context_ls.history.fastscan import CodexScan, line_views
from context_ls.history.findings import Finding
from context_ls.history.incremental import (
    NO_SHIFTS,
    Reread,
    Reuse,
    Shifts,
    common_prefix,
    common_suffix,
    materialize,
    plan_edit,
    plan_reuse,
)
from context_ls.history.model import DialectName, History, Records, Span
from context_ls.history.reader import Clean, head_dialect, read_source
from context_ls.history.spliced import Source, as_bytes, edited_range
from context_ls.history.validate import SpanOf
from context_ls.secrets import find_secrets

# Secret matches of one record, relative to its start; most records have none.
RecordSecrets = tuple[tuple[int, int, str], ...]
_NONE: RecordSecrets = ()


class Analyzer:
    """`analyze` for a document that keeps changing. It remembers the last source: after
    an edit only the changed lines of a JSONL history are parsed and scanned for secrets
    again; records before the edit are reused and those after it moved. After a keystroke
    inside a line (no line or record added or removed) the records after it are not even
    moved: the findings are computed where they will be (`Shifts`), and the history is
    built on first use of `Analysis.history`, so a burst of typing costs O(edit) each."""

    def __init__(self, options: Options | None = None) -> None:
        self.options = _options(options)
        self._last: _Last | None = None
        self._lock = threading.Lock()  # `_last` is also replaced by `_exact`, from any thread

    def analyze(self, data: Source, dialect: DialectName | None = None) -> Analysis:
        """`data`: the source, or a `Spliced` edit of the one analysed last (read without
        copying it: only the edited lines are looked at)."""
        last = self._last
        if last is not None and last.requested == dialect and last.history.is_history:
            # Edits made from the last source tell where they are; bytes are compared otherwise.
            edited = edited_range(data, last.data)
            if data is last.data or (edited is None and as_bytes(last.data) == as_bytes(data)):
                # The same source: options may have changed (secrets scanned or not).
                history, shifts, secrets = last.history, last.shifts, last.secrets or None
                return self._keep(
                    data, dialect, history, shifts, secrets, view=last.view, clean=last.clean
                )
            if not last.history.document:
                reuse = _plan(last, data, edited)
                # Detection reads the first records: an edit past them cannot change it.
                if reuse is not None and (
                    reuse.prefix_items >= SAMPLE_SIZE * 2
                    or _same_kind(as_bytes(data), last.history, dialect)
                ):
                    return self._edited(last, data, reuse)
            elif last.clean is not None:
                done = self._document_edited(last, data, edited)
                if done is not None:
                    return done
        return self._read(data, dialect)

    def _read(self, data: Source, dialect: DialectName | None) -> Analysis:
        history, clean = read_source(as_bytes(data), dialect)
        return self._keep(data, dialect, history, NO_SHIFTS, None, clean=clean)

    def _edited(
        self, last: _Last, data: Source, reuse: Reuse, kind: type[Reread] = Reread
    ) -> Analysis:
        edit = kind(last.data, data, last.history, reuse, last.shifts)
        return self._edit_done(last, data, edit)

    def _edit_done(self, last: _Last, data: Source, edit: Reread) -> Analysis:
        reuse = edit.reuse
        fast = edit.view()
        if fast is None and last.view:
            # Lines or records were added or removed: move the pending records first (the
            # plan already counted their moves, so it holds for the exact history too).
            edit = type(edit)(last.data, data, materialize(last.history, last.shifts), reuse)
        secrets = _reuse_secrets(last.secrets, reuse, edit.middle, data, last.history.document)
        if fast is not None:
            return self._keep(data, last.requested, *fast, secrets, view=True, clean=last.clean)
        history = edit.finish()
        return self._keep(data, last.requested, history, NO_SHIFTS, secrets, clean=last.clean)

    def _document_edited(
        self, last: _Last, data: Source, edited: tuple[int, int] | None
    ) -> Analysis | None:
        """A valid document edited within its records: only those read again (None: the
        edit reached outside them, or changed how the rest reads; read it whole)."""
        if edited is None:
            old, new = as_bytes(last.data), as_bytes(data)
            prefix = common_prefix(old, new)
            edited = prefix, len(old) - common_suffix(old, new, min(len(old), len(new)) - prefix)
        first, end = edited
        reuse = plan_document_edit(last.data, first, end, len(data), last.history, last.shifts)
        if reuse is None:
            return None
        try:
            edit = DocumentReread(last.data, data, last.history, reuse, last.shifts)
        except StructureChanged:
            return None
        assert last.clean is not None
        if (
            reuse.prefix_items < SAMPLE_SIZE * 2
            and last.requested is None
            and not same_document_dialect(edit, data, last.clean[0])
        ):
            return None
        return self._edit_done(last, data, edit)

    def _keep(
        self,
        data: Source,
        requested: DialectName | None,
        history: History,
        shifts: Shifts,
        secrets: list[RecordSecrets] | None,
        *,
        view: bool = False,
        clean: Clean = None,
    ) -> Analysis:
        if not (history.is_history and self.options.detect_secrets):
            secrets = None
        elif secrets is None:
            secrets = _bucket_secrets(as_bytes(data), history, shifts)
        last = _Last(data, requested, history, shifts, secrets or [], view, clean)
        with self._lock:
            self._last = last
        return self._result(last, find(data, history, self.options, *last.found))

    def _result(self, last: _Last, findings: list[Finding]) -> Analysis:
        if not last.view:
            return Analysis(last.data, last.history, findings)
        return Analysis(
            last.data, lambda: self._exact(last), findings, dialect=last.history.dialect
        )

    def _exact(self, last: _Last) -> History:
        """The history a view stands for, built when the analysis is first asked for it.
        The next edit is then read against it too: the view's records after the edit would
        otherwise stay in memory beside their moved copies (MBs in a big document)."""
        exact = materialize(last.history, last.shifts)
        with self._lock:
            if self._last is last:
                self._last = replace(last, history=exact, shifts=NO_SHIFTS, view=False)
        return exact


@dataclass(slots=True)
class _Last:
    data: Source
    requested: DialectName | None
    history: History  # with the records from `shifts.firsts` on still to be moved
    shifts: Shifts
    secrets: list[RecordSecrets]
    view: bool  # `history` is a `Reread.view()`: `materialize` it (moves, turns) to use it
    clean: Clean = None  # a valid document: re-read by records (`doc_reread`)

    @property
    def found(self) -> tuple[list[RecordSecrets] | None, SpanOf | None]:
        """`find`'s secrets and span arguments for this read."""
        secrets = self.secrets or None
        if not self.shifts.firsts:
            return secrets, None
        items, span = self.history.items, self.shifts.span
        return secrets, lambda index: span(items[index])


def _plan(last: _Last, data: Source, edited: tuple[int, int] | None) -> Reuse | None:
    """Where `data` differs from the last source: within `edited` (the range the edits
    made from that source span), or found by comparing the bytes."""
    if edited is not None:
        first, end = edited
        return plan_edit(last.data, first, end, len(data), last.history, last.shifts)
    return plan_reuse(as_bytes(last.data), as_bytes(data), last.history, last.shifts)


def _same_kind(data: bytes, previous: History, requested: DialectName | None) -> bool:
    """Still a JSONL history of the same dialect (the edit may have changed what it is)."""
    start = src.content_start(data)
    if src.looks_like_document(data, start):
        return False
    return requested is not None or head_dialect(data, start) == previous.dialect


def _bucket_secrets(data: bytes, history: History, shifts: Shifts) -> list[RecordSecrets]:
    """One scan of the whole source (faster than one per record), matches filed by record."""
    per_record: list[RecordSecrets] = [_NONE] * len(history.items)
    records = history.items
    if shifts.firsts:
        records = materialize(history, shifts).items
    starts, ends = records.starts, records.ends
    document = history.document
    if not starts:
        return per_record  # no record to file a match with (a full read reports none)
    for match in find_secrets(data):
        index = bisect_right(starts, match.start) - 1
        if document:
            # Around a document's records stands its envelope: a match there is filed with
            # the record before it (the first, before them all), as a full read files it.
            index = max(index, 0)
        elif index < 0 or match.end > ends[index]:
            continue  # between records: only white space stands there in JSONL
        base = starts[index]
        per_record[index] = (*per_record[index], (match.start - base, match.end - base, match.kind))
    return per_record


def _record_secrets(data: Source, span: Span) -> RecordSecrets:
    found = find_secrets(data[span.start : span.end])
    return tuple((m.start, m.end, m.kind) for m in found) if found else _NONE


def _reuse_secrets(
    old: list[RecordSecrets], reuse: Reuse, middle: Records, data: Source, document: bool
) -> list[RecordSecrets] | None:
    if not old:
        return None
    if document and len(middle):
        fresh = _run_secrets(data, reuse, middle, len(old))
    else:
        fresh = [_record_secrets(data, item.span) for item in middle]
    return old[: reuse.prefix_items] + fresh + old[reuse.suffix_from :]


def _run_secrets(data: Source, reuse: Reuse, middle: Records, count: int) -> list[RecordSecrets]:
    """The matches of a document's re-read records, each filed with the record it follows
    (as `_bucket_secrets` files them): the envelope before the first record and after the
    last is scanned along with them."""
    lo = 0 if reuse.prefix_items == 0 else middle.starts[0]
    hi = len(data) if reuse.suffix_from >= count else reuse.new_end
    fresh: list[RecordSecrets] = [_NONE] * len(middle)
    starts = middle.starts
    for match in find_secrets(data[lo:hi]):
        start, end = lo + match.start, lo + match.end
        row = max(bisect_right(starts, start) - 1, 0)
        base = starts[row]
        fresh[row] = (*fresh[row], (start - base, end - base, match.kind))
    return fresh


QUICK_MIN_BYTES = 4 * 1024 * 1024


def quick_dialect(head: bytes) -> DialectName | None:
    """The dialect of a JSONL source that starts with `head`, when it has a lean scan
    (a Codex rollout): the quick first look applies to it."""
    start = src.content_start(head)
    if start or src.looks_like_document(head, start):
        return None
    dialect = head_dialect(head, start)
    return dialect if dialect is not None and DIALECTS[dialect].sparse_scan else None


def is_quick_candidate(head: bytes) -> bool:
    """Whether the quick first look applies to a source that starts with `head`."""
    return quick_dialect(head) is not None


def quick_findings(
    data: bytes,
    options: Options | None = None,
    scanned: CodexScan | None = None,
    *,
    name: str | None = None,
) -> Analysis | None:
    """A first look at a big history held in memory: the lean read `check` uses (a Codex
    rollout's scan, a JSON document's `docscan`), so an editor can show diagnostics
    before the full read (navigation, secrets) is done. `scanned`: a rollout's scan,
    already fed all of `data` while it arrived. `name`: the file's name, which settles a
    one-line document's dialect (a `.jsonl` data set); without it such a document gets no
    first look. None when the source is small or has no lean read."""
    options = _options(options)
    if len(data) < QUICK_MIN_BYTES:
        return None
    quick = Options(
        enforce_invariants=options.enforce_invariants,
        trailing_calls_pending=options.trailing_calls_pending,
        severity=options.severity,
        synthetic_output_text=options.synthetic_output_text,
        detect_secrets=False,  # the full read that follows adds H010
    )
    dialect = quick_dialect(data)
    if dialect is None:
        return _quick_document(data, quick, name)
    if options.trailing_calls_pending:
        return None  # a rollout's scan keeps no plain message: "waiting" needs them all
    history = History(dialect=dialect, size=len(data), newline=src.detect_newline(data))
    history.ends_with_newline = data.endswith(b"\n")

    def fetch(start: int, end: int) -> bytes:
        return data[start:end]

    scan = DIALECTS[dialect].sparse_scan
    assert scan is not None  # `quick_dialect` said so
    if scanned is None or scanned.offset != len(data):
        scan(line_views(data), history, fetch)
    else:
        scanned.finish(history, fetch)
    return _finish(data, history, quick, None)


def _quick_document(data: bytes, options: Options, name: str | None) -> Analysis | None:
    """A big JSON document's first look (`sparse_analysis`), when its dialect has a lean
    read."""
    if not _one_line(data, src.content_start(data)):
        # No name settles the dialect of lines (asking stripped a copy of all 39 MB of a
        # Claude Code file, ~20 ms of its first look, to find it has many).
        dialect = None
    elif name is not None:
        dialect = settled_by_name(name, data)
    else:
        return None  # a `.jsonl` data set of one conversation, or a request body?
    return sparse_analysis(data, dialect, options)


# What `bytes.strip` takes away: a source `settled_by_name` reads as one line is so here.
_NON_BLANK = re.compile(rb"[^ \t\n\r\x0b\x0c]")


def _one_line(data: bytes, start: int) -> bool:
    """Whether the source's text is on one line (blank lines around it aside)."""
    text = _NON_BLANK.search(data, start)
    first = data.find(b"\n", text.start() if text is not None else start)
    return first < 0 or _NON_BLANK.search(data, first) is None
