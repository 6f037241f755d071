"""The history engine's public face: what the CLI, the server and the report call.

Everything here is pure: bytes in, values out. No pygls, no writes.
"""

from __future__ import annotations

import os
import tempfile
import threading
import weakref
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from context_ls import compression
from context_ls.history import details, normalize
from context_ls.history.details import CallDetails, OutputDetails
from context_ls.history.dialects import DIALECTS
from context_ls.history.edits import plan_edits
from context_ls.history.findings import Finding
from context_ls.history.locate import id_span_in, key_value_span
from context_ls.history.model import Call, DialectName, History, Output, Span, TextEdit, apply_edits
from context_ls.history.normalize import plan_for
from context_ls.history.position import LineIndex
from context_ls.history.reader import read_history
from context_ls.history.rules import RULES, Rule
from context_ls.history.spliced import Source, as_bytes
from context_ls.history.stream import (
    STREAM_THRESHOLD,
    file_fetcher,
    is_streamable,
    read_history_stream,
)
from context_ls.history.trim import trim_edits_for
from context_ls.history.validate import LinkedUuids, SpanOf, validate
from context_ls.secrets import find_secrets


@dataclass(slots=True)
class Options:
    """What the validator and the normalizer are told by settings and flags."""

    # False: only H007 (malformed records) is reported.
    enforce_invariants: bool = True
    # Trailing calls with no output are reported as pending ("waiting for output"), not H001.
    trailing_calls_pending: bool = False
    # Severity overrides per code ("error" | "warning" | "info" | "off").
    severity: Mapping[str, str] = field(default_factory=dict)
    # Synthetic output text per dialect name; missing dialects use the built-in default.
    synthetic_output_text: Mapping[str, str] = field(default_factory=dict)
    # Report H010 secret-in-history.
    detect_secrets: bool = True
    # The uuids of the session a Claude Code sub-agent file belongs to (read on first use);
    # None: that session is unknown, so links out of a sub-agent file are not judged.
    linked_uuids: LinkedUuids | None = None


class Analysis:
    """One source read and validated. `data` is the exact bytes (empty when streamed).

    `history` may be given as a function that builds it on first use: after a keystroke in
    a big history the findings are known (and published) before the records after the edit
    are moved to their new offsets, an O(records) step nobody may need before the next
    keystroke (see `Analyzer`)."""

    __slots__ = ("_build", "_history", "_lines", "_lock", "_source", "dialect", "fetch", "findings")

    def __init__(
        self,
        data: Source,
        history: History | Callable[[], History],
        findings: list[Finding],
        *,
        dialect: DialectName | None = None,
    ) -> None:
        self._source = data
        self.findings = findings
        self.fetch: Callable[[int, int], bytes] | None = None
        self._lines: LineIndex | None = None
        if isinstance(history, History):
            self._history: History | None = history
            self._build: Callable[[], History] | None = None
            self.dialect = history.dialect
        else:
            self._history, self._build = None, history
            self.dialect = dialect
        self._lock = threading.Lock()

    @property
    def history(self) -> History:
        if self._history is None:
            with self._lock:  # requests and the context worker may ask at the same time
                if self._history is None:
                    assert self._build is not None
                    self._history, self._build = self._build(), None
        return self._history

    @property
    def data(self) -> bytes:
        """The exact source bytes (a `Spliced` source is copied into bytes on first use)."""
        return as_bytes(self._source)

    @property
    def is_history(self) -> bool:
        return self.dialect is not None

    def read(self, start: int, end: int) -> bytes:
        """Source bytes [start, end), also for a streamed file."""
        if self.fetch is not None:
            return self.fetch(start, end)
        return self._source[start:end]

    @property
    def lines(self) -> LineIndex:
        if self._lines is None:
            self._lines = LineIndex(self.data)
        return self._lines


def _options(options: Options | None) -> Options:
    return options if options is not None else Options()


def analyze(
    data: bytes, dialect: DialectName | None = None, options: Options | None = None
) -> Analysis:
    """Read, validate and place findings precisely for a source held in memory."""
    return _analyze(data, dialect, _options(options))


def _analyze(data: bytes, dialect: DialectName | None, options: Options) -> Analysis:
    return _finish(data, read_history(data, dialect), options, None)


def _finish(
    data: bytes,
    history: History,
    options: Options,
    record_secrets: Sequence[Sequence[tuple[int, int, str]]] | None,
) -> Analysis:
    return Analysis(data, history, find(data, history, options, record_secrets))


def find(
    data: Source,
    history: History,
    options: Options,
    record_secrets: Sequence[Sequence[tuple[int, int, str]]] | None,
    span_of: SpanOf | None = None,
) -> list[Finding]:
    """The findings of a source held in memory: validation, secrets (per record when
    known), severities from the settings, spans on the ids. `span_of`: see `validate`."""
    findings = validate(
        history,
        options.enforce_invariants,
        options.trailing_calls_pending,
        span_of,
        options.linked_uuids,
    )
    if options.detect_secrets and history.is_history:
        if record_secrets is not None:
            findings.extend(_findings_from_record_secrets(history, record_secrets, span_of))
        else:
            findings.extend(secret_findings(history, as_bytes(data)))
    findings = apply_severity(findings, options.severity)
    refine_spans(findings, history, lambda start, end: data[start:end], span_of)
    return findings


def apply_severity(findings: list[Finding], overrides: Mapping[str, str]) -> list[Finding]:
    """Settings may change a rule's severity or turn it off."""
    if not overrides:
        return findings
    kept: list[Finding] = []
    for finding in findings:
        level = overrides.get(finding.code) or overrides.get(finding.rule)
        if level == "off":
            continue
        if level in ("error", "warning", "info"):
            finding.severity = level  # type: ignore[assignment]
        kept.append(finding)
    return kept


def refine_spans(
    findings: list[Finding],
    history: History,
    fetch: Callable[[int, int], bytes],
    span_of: SpanOf | None = None,
) -> None:
    """Point each finding at the id token inside its record when it is written plainly."""
    items = history.items
    for finding in findings:
        if finding.item < 0 or finding.code == "H010":
            continue
        item = items[finding.item]
        where = span_of(finding.item) if span_of is not None else item.span
        record = fetch(where.start, where.end)
        span: Span | None = None
        if finding.code == "H009" and item.parent_uuid:
            span = key_value_span(record, where.start, "parentUuid", item.parent_uuid)
        elif finding.call_id is not None:
            subject = finding.call if finding.code in ("H001", "H003") else finding.output
            if subject is not None:
                span = id_span_in(record, where.start, subject)
        if span is not None:
            finding.span = span


def id_span(analysis: Analysis, subject: Call | Output) -> Span:
    """The id token of a call or output (its whole record when the id is not written plainly)."""
    item = analysis.history.items[subject.item]
    record = analysis.data[item.span.start : item.span.end]
    return id_span_in(record, item.span.start, subject) or item.span


def secret_findings(history: History, data: bytes) -> list[Finding]:
    rule = RULES["H010"]
    starts = history.items.starts
    found: list[Finding] = []
    for match in find_secrets(data):
        index = max(bisect_right(starts, match.start) - 1, 0) if starts else -1
        found.append(_secret_finding(rule, match.kind, match.start, match.end, index))
    return found


def _findings_from_record_secrets(
    history: History,
    per_record: Sequence[Sequence[tuple[int, int, str]]],
    span_of: SpanOf | None = None,
) -> list[Finding]:
    rule = RULES["H010"]
    found: list[Finding] = []
    starts = history.items.starts
    for index, matches in enumerate(per_record[: len(starts)]):
        for rel_start, rel_end, kind in matches:
            start = span_of(index).start if span_of is not None else starts[index]
            found.append(_secret_finding(rule, kind, start + rel_start, start + rel_end, index))
    return found


def _secret_finding(rule: Rule, kind: str, start: int, end: int, item: int) -> Finding:
    article = "an" if kind[:1] in "aeiou" else "a"
    return Finding(
        "H010",
        rule.name,
        rule.severity,
        f"this looks like {article} {kind}: transcripts get shared and synced; rotate the key "
        "and remove it from the history",
        Span(start, end),
        item,
    )


def normalize_edits(analysis: Analysis, options: Options | None = None) -> list[TextEdit]:
    """Every available fix at once, as minimal byte edits (empty when nothing to do)."""
    return _edits_for(analysis, analysis.findings, options)


def fix_edits(
    analysis: Analysis, finding: Finding, options: Options | None = None
) -> list[TextEdit]:
    """The quick fix of one finding ([] when it has none)."""
    return _edits_for(analysis, [finding], options)


def fix_title(analysis: Analysis, finding: Finding, options: Options | None = None) -> str:
    """The title of the quick fix of one finding: a move says whether its record goes whole
    or which fields stay behind with the blocks that stay."""
    texts = _options(options).synthetic_output_text
    return normalize.fix_title(analysis.history, analysis.data, finding, texts)


def _edits_for(
    analysis: Analysis, findings: list[Finding], options: Options | None
) -> list[TextEdit]:
    if not analysis.history.is_history:
        return []
    plan = plan_for(
        analysis.history, analysis.data, findings, _options(options).synthetic_output_text
    )
    return plan_edits(plan)


def normalize_bytes(
    data: bytes, dialect: DialectName | None = None, options: Options | None = None
) -> bytes:
    """The normalized source (convenience for the CLI and tests)."""
    analysis = analyze(data, dialect, options)
    return apply_edits(data, normalize_edits(analysis, options))


def trim_edits(analysis: Analysis, keep: int) -> list[TextEdit]:
    """Edits that keep the last `keep` conversation records, never splitting a pair."""
    if not analysis.history.is_history:
        return []
    return trim_edits_for(analysis.history, analysis.data, keep)


def analyze_path(
    path: Path,
    dialect: DialectName | None = None,
    options: Options | None = None,
    *,
    findings_only: bool = False,
    scan_secrets_when_streaming: bool = False,
) -> Analysis:
    """Analyze a file; a big JSONL file is streamed (then `Analysis.data` is empty and
    `Analysis.fetch` reads the bytes findings need). `findings_only` lets a big Codex
    rollout keep just the records findings point at (what `check` needs). Secrets are
    scanned in a streamed file only when asked: it costs more than the rest of the check."""
    options = with_linked_session(_options(options), path)
    if compression.is_compressed_file(path):
        return _analyze_compressed(
            path, dialect, options, findings_only, scan_secrets_when_streaming
        )
    return _analyze_file(path, dialect, options, findings_only, scan_secrets_when_streaming)


def _analyze_file(
    path: Path,
    dialect: DialectName | None,
    options: Options,
    findings_only: bool,
    scan_secrets_when_streaming: bool,
) -> Analysis:
    if not is_streamable(path):
        return _analyze(path.read_bytes(), dialect, options)
    history = read_history_stream(path, dialect, sparse=findings_only)
    findings = validate(
        history,
        options.enforce_invariants,
        options.trailing_calls_pending,
        linked_uuids=options.linked_uuids,
    )
    fetch = file_fetcher(path)
    if options.detect_secrets and history.is_history and scan_secrets_when_streaming:
        findings.extend(_streamed_secret_findings(path, history))
    analysis = Analysis(b"", history, apply_severity(findings, options.severity))
    analysis.fetch = fetch
    refine_spans(analysis.findings, history, fetch)
    return analysis


def _analyze_compressed(
    path: Path,
    dialect: DialectName | None,
    options: Options,
    findings_only: bool,
    scan_secrets_when_streaming: bool,
) -> Analysis:
    """A zstd-compressed file (Codex's `.jsonl.zst`): its content is analysed. Content
    that would be streamed were it plain is decompressed into a private temporary file
    and streamed from there (a rollout may decompress to gigabytes); the file goes when
    the analysis' `fetch` does. Positions are in the decompressed content."""
    parts = compression.chunks(path)
    head = bytearray()
    for chunk in parts:
        head += chunk
        if len(head) >= STREAM_THRESHOLD:
            break
    else:
        return _analyze(bytes(head), dialect, options)
    fd, name = tempfile.mkstemp(prefix="context-ls-", suffix=compression.plain_name(path).suffix)
    spilled = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(head)
            del head
            for chunk in parts:
                out.write(chunk)
        analysis = _analyze_file(
            spilled, dialect, options, findings_only, scan_secrets_when_streaming
        )
    except BaseException:
        spilled.unlink(missing_ok=True)
        raise
    if analysis.fetch is None:
        spilled.unlink(missing_ok=True)  # read whole: nothing is fetched later
    else:
        # The file goes with the last holder of the function that reads it.
        weakref.finalize(analysis.fetch, spilled.unlink, missing_ok=True)
    return analysis


def with_linked_session(options: Options, path: Path) -> Options:
    """Options that know the parent session of a sub-agent file (Claude Code's), when it
    sits where its agent puts it."""
    if options.linked_uuids is not None:
        return options
    chains = (d.chain for d in DIALECTS.values() if d.chain is not None)
    found = next(((c, p) for c in chains if (p := c.parent_session(path)) is not None), None)
    if found is None:
        return options
    chain, parent = found
    cache: list[frozenset[str] | None] = []

    def linked() -> frozenset[str] | None:
        if not cache:
            try:
                cache.append(chain.uuids_in(parent))
            except OSError:
                cache.append(None)  # unreadable: the links are not judged
        return cache[0]

    return replace(options, linked_uuids=linked)


def _streamed_secret_findings(path: Path, history: History) -> list[Finding]:
    found: list[Finding] = []
    starts = _starts(history)
    with path.open("rb") as handle:
        offset = 0
        while chunk := handle.read(8 << 20):
            extra = handle.readline()  # never cut a line in two
            chunk += extra
            for finding in secret_findings(history, chunk):
                finding.span = Span(finding.span.start + offset, finding.span.end + offset)
                finding.item = max(bisect_right(starts, finding.span.start) - 1, 0)
                found.append(finding)
            offset += len(chunk)
    return found


def _starts(history: History) -> list[int]:
    return list(history.items.starts)


def call_details(analysis: Analysis, call: Call) -> CallDetails:
    """Tool, a short summary of the arguments and the time of a call (for hovers)."""
    item = analysis.history.items[call.item]
    return details.call_details(analysis.dialect, analysis.read(*item.span), call, item.timestamp)


def output_details(analysis: Analysis, output: Output) -> OutputDetails:
    """Status, size and first line of an output (for hovers)."""
    item = analysis.history.items[output.item]
    return details.output_details(
        analysis.dialect, analysis.read(*item.span), output, item.timestamp
    )
