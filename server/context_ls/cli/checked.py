"""One file checked, as plain values (`Checked`): what `check` prints, made in the process
that read the file (a worker of `--jobs`) and sent back whole. A fine-tuning data set
takes the lean pass of `finetune_scan` (`check.check_file` decides)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from context_ls import compression
from context_ls.history import source as src
from context_ls.history.dialects import finetune
from context_ls.history.dialects.finetune_outline import one_line_data_set
from context_ls.history.plain import finding_dict
from context_ls.history.reader import HEAD_BYTES, head_dialect
from context_ls.history.stream import STREAM_THRESHOLD

if TYPE_CHECKING:
    from context_ls.history.analysis import Analysis
    from context_ls.history.dialects.finetune_scan import Part
    from context_ls.history.model import DialectName

NOT_HISTORIES = "not histories"
_PEEK = 64 << 10  # what `is_dataset` reads first: a document's first line is in it


class Checked(NamedTuple):
    """One file and what became of it: checked (a history: `dialect` and `findings`),
    skipped (not a history, or a found file without the forced dialect's records) or failed
    (`error`). Findings are `plain.finding_dict`s. (A named tuple: a dataclass costs ~0.4 ms
    of start-up to define.)"""

    path: Path
    named: bool  # on the command line (reported by name) rather than found in a folder
    dialect: str | None = None
    records: int = 0
    findings: Sequence[dict[str, Any]] = ()
    error: str | None = None
    skipped: str | None = None  # the summary's reason, plural: "not histories"

    @property
    def is_history(self) -> bool:
        return self.dialect is not None


class Settings(NamedTuple):
    """What the command line asks of every file (a named tuple: a frozen dataclass costs
    ~0.5 ms of start-up to define)."""

    dialect: DialectName | None = None
    select: frozenset[str] | None = None
    ignore: frozenset[str] = frozenset()

    def keeps(self, code: str) -> bool:
        return (self.select is None or code in self.select) and code not in self.ignore

    def secrets(self, size: int) -> bool:
        """H010 costs more than the rest of the check: a file that is streamed (big) is
        scanned only when `--select` names it, as the engine does."""
        return size < STREAM_THRESHOLD or (self.select is not None and "H010" in self.select)


class RangeChecked(NamedTuple):
    """One byte range of a data set, checked: its lines, records and findings."""

    lines: int
    records: int
    findings: list[dict[str, Any]]


def check_range(
    path: Path, start: int, end: int, line: int, size: int, settings: Settings
) -> RangeChecked:
    """Bytes [start, end) of a data set of `size` bytes, whose first line is line `line`
    (0-based) of the file: judged alone (its lines are conversations of their own)."""
    from context_ls.history.dialects.finetune_scan import scan_range  # data sets only

    part = scan_range(str(path), start, end, settings.secrets(size))
    return place_range(path, part, end, line, size, settings)


def place_range(
    path: Path, part: Part, end: int, line: int, size: int, settings: Settings
) -> RangeChecked:
    """A scanned range's findings, placed (line, column) once its first line is known."""
    from context_ls.history.dialects.finetune_scan import range_analysis  # data sets only

    with range_analysis(str(path), size, part, end, line) as analysis:
        findings = [finding_dict(analysis, f) for f in analysis.findings if settings.keeps(f.code)]
    return RangeChecked(part.lines, part.records, findings)


def dataset_checked(path: Path, named: bool, ranges: list[RangeChecked]) -> Checked:
    """A data set from its ranges, in file order."""
    findings = [finding for checked in ranges for finding in checked.findings]
    records = sum(checked.records for checked in ranges)
    return Checked(path, named, finetune.NAME, records, findings)


def checked_analysis(path: Path, named: bool, settings: Settings, analysis: Analysis) -> Checked:
    history = analysis.history
    return Checked(
        path,
        named,
        dialect=history.dialect,
        records=history.record_count,
        findings=[finding_dict(analysis, f) for f in analysis.findings if settings.keeps(f.code)],
    )


def is_dataset(path: Path, dialect: DialectName | None) -> bool:
    """A plain JSONL file of fine-tuning conversations: named by `--dialect`, else detected
    from its first lines as the engine does, or a `.jsonl` file of one such line (see
    `finetune_outline.one_line_data_set`). Compressed files take the engine's path."""
    if compression.is_compressed_file(path):
        return False
    if dialect is not None:
        return dialect == finetune.NAME  # its records are lines, even a single one
    with path.open("rb") as handle:
        head = handle.read(_PEEK)
        start = src.content_start(head)
        big = os.fstat(handle.fileno()).st_size >= HEAD_BYTES
        if big and src.opens_spread_document(head, start):
            return False  # a big document, as its whole head would say (not read: ~3 ms)
        handle.seek(0)
        head = handle.read(HEAD_BYTES)
    start = src.content_start(head)
    if src.looks_like_document(head, start):
        return len(head) < HEAD_BYTES and one_line_data_set(path.name, head)
    return head_dialect(head, start) == finetune.NAME
