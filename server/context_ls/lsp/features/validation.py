"""What the diagnostics feature keeps per open document (`Validation`, its slot), and the
parts of a validation that run in a worker thread: the engine's analysis and its
conversion to LSP diagnostics (`diagnostics.py` schedules them and publishes)."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from lsprotocol import types

from context_ls.history.analyzer import QUICK_MIN_BYTES, Analyzer, quick_findings
from context_ls.history.api import Analysis, Options
from context_ls.history.dialects import settled_by_name
from context_ls.lsp.collector import FIRST_LOOK
from context_ls.lsp.convert import to_diagnostics

if TYPE_CHECKING:
    from context_ls.history.model import DialectName
    from context_ls.lsp.documents import TextSnapshot
    from context_ls.lsp.state import DocumentState
    from context_ls.lsp.transport import DiagnosticParts


def disk_stamp(path: str | None) -> tuple[int, int] | None:
    """(mtime_ns, size) of a file: what tells one on-disk change from the next (a stat,
    never a read)."""
    if path is None:
        return None
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


@dataclass(eq=False)
class Validation:
    """What the diagnostics feature keeps per document (its slot)."""

    analyzer: Analyzer | None = None  # keeps the per-line cache between validations
    # time.time() of the last content change (didChange, on-disk change, or the file's
    # mtime at open): trailing calls are pending while this is within the grace.
    changed_at: float = 0.0
    disk_stamp: tuple[int, int] | None = None  # (mtime_ns, size) last seen on disk
    diagnostics: list[types.Diagnostic] = field(default_factory=list)
    # The text `diagnostics` are of: ahead of `analyzed` after a big open's quick first look.
    diagnosed: TextSnapshot | None = None
    published_any: bool = False
    result_seq: int = 0
    dirty: bool = False
    refresh: bool = False  # a pulling client must be asked to pull after this validation
    task: asyncio.Task[None] | None = None
    fresh: asyncio.Event = field(default_factory=asyncio.Event)  # `diagnostics` are of `text`
    pending_timer: asyncio.TimerHandle | None = None
    copy_timer: asyncio.TimerHandle | None = None  # copies an edited version's bytes


def quick_look(
    doc: DocumentState, text: TextSnapshot, options: Options, parts: DiagnosticParts | None = None
) -> list[types.Diagnostic] | None:
    """Worker-thread part of a first look at a big history: the lean read `check` uses (a
    rollout's scan, maybe done as the text arrived; a JSON document's sparse read), else
    the full read but the secrets scan (~0.1 s for 28 MB), which the full read then adds
    to the same records. `parts`: what the client takes of a diagnostic (None: all). The
    collector waits until the full read begins (`collector.py`)."""
    diagnostics = None
    if text.size >= QUICK_MIN_BYTES:
        FIRST_LOOK.pause()
    try:
        diagnostics = _quick_diagnostics(doc, text, options, parts)
    finally:
        if diagnostics is None:
            FIRST_LOOK.resume()  # nothing to send
    return diagnostics


def _quick_diagnostics(
    doc: DocumentState, text: TextSnapshot, options: Options, parts: DiagnosticParts | None
) -> list[types.Diagnostic] | None:
    scanned = doc.scan[1] if doc.scan is not None and doc.scan[0] is text else None
    analysis = quick_findings(text.data, options, scanned, name=_file_name(doc))
    if analysis is None and options.detect_secrets and text.size >= QUICK_MIN_BYTES:
        analyzer = _analyzer(doc, replace(options, detect_secrets=False))
        analysis = analyzer.analyze(text.source, _settled_dialect(doc, text))
        if analysis.dialect is None:
            return None
    if analysis is None:
        return None
    return to_diagnostics(analysis.findings, text, doc.uri, parts)


def _settled_dialect(doc: DocumentState, text: TextSnapshot) -> DialectName | None:
    """The dialect the file's name settles, as `check` has it (a one-line `.jsonl` data set,
    which reads as a request body by content alone); asked only of a text of a few lines,
    so that a keystroke in a big document never copies it for this."""
    if text.more_lines_than(_FEW_LINES):
        return None
    return settled_by_name(_file_name(doc), text.data)


def _file_name(doc: DocumentState) -> str:
    return doc.uri.rsplit("/", 1)[-1]


_FEW_LINES = 8


def _analyzer(doc: DocumentState, options: Options) -> Analyzer:
    """The document's analyzer (it keeps the last read), told `options`."""
    state = doc.slot(Validation)
    if state.analyzer is None:
        state.analyzer = Analyzer(options)
    state.analyzer.options = options
    return state.analyzer


def analyze_document(
    doc: DocumentState,
    text: TextSnapshot,
    options: Options,
    shown: list[types.Diagnostic] | None,
    parts: DiagnosticParts | None = None,
) -> tuple[Analysis, list[types.Diagnostic], bool]:
    """Worker-thread part: engine analysis plus the conversion to LSP diagnostics, and
    whether those equal `shown` (what a quick first look of the same text gave)."""
    FIRST_LOOK.resume()  # the first look's diagnostics are out
    analysis = _analyzer(doc, options).analyze(text.source, _settled_dialect(doc, text))
    diagnostics = (
        [] if analysis.dialect is None else to_diagnostics(analysis.findings, text, doc.uri, parts)
    )
    return analysis, diagnostics, diagnostics == shown
