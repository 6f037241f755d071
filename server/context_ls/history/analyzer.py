"""The analyzer of a document that keeps changing: the server's open files."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from context_ls.history import source as src
from context_ls.history.api import Analysis, Options, _finish, _options
from context_ls.history.detect import SAMPLE_SIZE
from context_ls.history.fastscan import scan_codex
from context_ls.history.incremental import Reuse, plan_reuse, reread
from context_ls.history.model import DialectName, History, Span
from context_ls.history.reader import head_dialect, read_history
from context_ls.secrets import find_secrets

# Secret matches of one record, relative to its start; most records have none.
RecordSecrets = tuple[tuple[int, int, str], ...]
_NONE: RecordSecrets = ()


class Analyzer:
    """`analyze` for a document that keeps changing. It remembers the last source: after
    an edit only the changed lines of a JSONL history are parsed and scanned for secrets
    again; records before the edit are reused and those after it shifted."""

    def __init__(self, options: Options | None = None) -> None:
        self.options = _options(options)
        self._last: _Last | None = None

    def analyze(self, data: bytes, dialect: DialectName | None = None) -> Analysis:
        last = self._last
        history: History | None = None
        secrets: list[RecordSecrets] | None = None
        if last is not None and last.requested == dialect and last.history.is_history:
            if last.data == data:
                history, secrets = last.history, last.secrets
            elif not last.history.document:
                reuse = plan_reuse(last.data, data, last.history)
                # Detection reads the first records: an edit past them cannot change it.
                if reuse is not None and (
                    reuse.prefix_items >= SAMPLE_SIZE * 2 or _same_kind(data, last.history, dialect)
                ):
                    history = reread(last.data, data, last.history, reuse)
                    secrets = _reuse_secrets(last.secrets, reuse, history, data)
        if history is None:
            history = read_history(data, dialect)
        options = self.options
        if history.is_history and not history.document and options.detect_secrets:
            if secrets is None:
                secrets = _bucket_secrets(data, history)
        else:
            secrets = None
        self._last = _Last(data, dialect, history, secrets or [])
        return _finish(data, history, options, secrets)


@dataclass(slots=True)
class _Last:
    data: bytes
    requested: DialectName | None
    history: History
    secrets: list[RecordSecrets]


def _same_kind(data: bytes, previous: History, requested: DialectName | None) -> bool:
    """Still a JSONL history of the same dialect (the edit may have changed what it is)."""
    start = src.content_start(data)
    if src.looks_like_document(data, start):
        return False
    return requested is not None or head_dialect(data, start) == previous.dialect


def _bucket_secrets(data: bytes, history: History) -> list[RecordSecrets]:
    """One scan of the whole source (faster than one per record), matches filed by record."""
    per_record: list[RecordSecrets] = [_NONE] * len(history.items)
    starts = [item.span.start for item in history.items]
    for match in find_secrets(data):
        index = bisect_right(starts, match.start) - 1
        if index < 0 or match.end > history.items[index].span.end:
            continue  # between records: only white space stands there in JSONL
        base = starts[index]
        per_record[index] = (*per_record[index], (match.start - base, match.end - base, match.kind))
    return per_record


def _record_secrets(data: bytes, span: Span) -> RecordSecrets:
    found = find_secrets(data[span.start : span.end])
    return tuple((m.start, m.end, m.kind) for m in found) if found else _NONE


def _reuse_secrets(
    old: list[RecordSecrets], reuse: Reuse, history: History, data: bytes
) -> list[RecordSecrets] | None:
    if not old:
        return None
    middle = len(history.items) - reuse.prefix_items - (len(old) - reuse.suffix_from)
    fresh = [
        _record_secrets(data, item.span)
        for item in history.items[reuse.prefix_items : reuse.prefix_items + middle]
    ]
    return old[: reuse.prefix_items] + fresh + old[reuse.suffix_from :]


QUICK_MIN_BYTES = 4 * 1024 * 1024


def quick_findings(data: bytes, options: Options | None = None) -> Analysis | None:
    """A first look at a big Codex rollout held in memory: the lean scan `check` uses,
    so an editor can show diagnostics before the full read (navigation, secrets) is done.
    None when the source is small, not JSONL, or not a Codex rollout."""
    options = _options(options)
    if len(data) < QUICK_MIN_BYTES or options.trailing_calls_pending:
        return None  # small, or "waiting for output" needs the whole picture
    start = src.content_start(data)
    if src.looks_like_document(data, start):
        return None
    if start or head_dialect(data, start) != "codex":
        return None
    history = History(dialect="codex", size=len(data), newline=src.detect_newline(data))
    history.ends_with_newline = data.endswith(b"\n")
    scan_codex(data.splitlines(keepends=True), history, lambda s, e: data[s:e])
    quick = Options(
        enforce_invariants=options.enforce_invariants,
        trailing_calls_pending=options.trailing_calls_pending,
        severity=options.severity,
        synthetic_output_text=options.synthetic_output_text,
        detect_secrets=False,  # the full read that follows adds H010
    )
    return _finish(data, history, quick, None)
