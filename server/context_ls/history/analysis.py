"""One source read and judged (`Analysis`), what settings and flags tell the engine
(`Options`), and how a read history's findings are made: validation, secrets (H010),
severities from the settings, each finding pointed at the id token inside its record."""

from __future__ import annotations

from _thread import allocate_lock  # what threading.Lock is, without importing threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from context_ls.history import docscan
from context_ls.history.findings import Finding
from context_ls.history.locate import id_span_in, key_value_span
from context_ls.history.model import DialectName, History, Span
from context_ls.history.position import LineIndex
from context_ls.history.reader import read_history
from context_ls.history.rules import RULES, Rule
from context_ls.history.spliced import Source, as_bytes
from context_ls.history.validate import LinkedUuids, SpanOf, validate
from context_ls.secrets import SecretMatch, find_secrets


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
        self._lock = allocate_lock()

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
    data: bytes,
    dialect: DialectName | None = None,
    options: Options | None = None,
    *,
    findings_only: bool = False,
) -> Analysis:
    """Read, validate and place findings precisely for a source held in memory.
    `findings_only`: the caller reads the findings, the dialect and the record count
    only (a big JSON document may then be read sparsely, see `sparse_analysis`)."""
    return _analyze(data, dialect, _options(options), findings_only=findings_only)


def _analyze(
    data: bytes, dialect: DialectName | None, options: Options, *, findings_only: bool = False
) -> Analysis:
    """`findings_only`: the caller reads the findings (and the history's dialect and
    record count) only, so a big JSON document may be read sparsely (`sparse_analysis`)."""
    if findings_only and len(data) >= docscan.MIN_BYTES:
        analysis = sparse_analysis(data, dialect, options)
        if analysis is not None:
            return analysis
    return _finish(data, read_history(data, dialect), options, None)


def sparse_analysis(data: bytes, dialect: DialectName | None, options: Options) -> Analysis | None:
    """The full read's findings of a JSON document from its lean read (`docscan`), whose
    history holds only the records they point at (`History.sparse`): `check`'s path, not
    one for repairs, hovers or trimming. None: the document is read whole."""
    scanned = docscan.scan(data, dialect)
    if scanned is None:
        return None
    if docscan.KEPT is not None:
        docscan.KEPT.append(scanned)
    scanned.prepare()
    matches = find_secrets(data) if options.detect_secrets else []
    # The record holding a secret is kept: H010 is filed under it. The records' lines are
    # counted in the index that places the findings later (`where`).
    from context_ls.secrets_early import newline_counts  # a big document only

    lines = LineIndex(data, newline_counts(data))  # counted by the secrets scan's child
    rows = (scanned.elements.row_at(match.start) for match in matches)
    history = scanned.history(rows, lines)
    analysis = Analysis(data, history, find(data, history, options, None, secrets=matches))
    analysis._lines = lines
    return analysis


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
    secrets: Sequence[SecretMatch] | None = None,
) -> list[Finding]:
    """The findings of a source held in memory: validation, secrets (per record when
    known, or `secrets`: the matches in `data`, when already found), severities from the
    settings, spans on the ids. `span_of`: see `validate`."""
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
            findings.extend(secret_findings(history, as_bytes(data), secrets))
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
    """Point each finding at the id token inside its record when it is written plainly:
    the call's for a finding about a call (H001, H003, and one that names no output, such
    as a Gemini call turn's H006), else the output's."""
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
            about_call = finding.code in ("H001", "H003") or finding.output is None
            subject = finding.call if about_call else finding.output
            if subject is not None:
                span = id_span_in(record, where.start, subject)
        if span is not None:
            finding.span = span


def secret_findings(
    history: History, data: bytes, matches: Sequence[SecretMatch] | None = None
) -> list[Finding]:
    """H010 for each secret in `data` (`matches`: those found already), filed under the
    record it lies in."""
    rule = RULES["H010"]
    items = history.items
    found: list[Finding] = []
    for match in find_secrets(data) if matches is None else matches:
        index = max(items.row_at(match.start), 0) if items else -1
        found.append(_secret_finding(rule, match.kind, match.start, match.end, index))
    return found


def _findings_from_record_secrets(
    history: History,
    per_record: Sequence[Sequence[tuple[int, int, str]]],
    span_of: SpanOf | None = None,
) -> list[Finding]:
    rule = RULES["H010"]
    found: list[Finding] = []
    items = history.items
    for index, matches in enumerate(per_record[: len(items)]):
        for rel_start, rel_end, kind in matches:
            start = span_of(index).start if span_of is not None else items[index].span.start
            found.append(_secret_finding(rule, kind, start + rel_start, start + rel_end, index))
    return found


def _secret_finding(rule: Rule, kind: str, start: int, end: int, item: int) -> Finding:
    article = "an" if kind[:1] in "aeiou" else "a"
    message = rule.message(article=article, kind=kind)
    return Finding("H010", rule.name, rule.severity, message, Span(start, end), item)
