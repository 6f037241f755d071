"""A read history's findings: validation, secrets (H010), severities from the settings,
and each finding pointed at the id token inside its record."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from context_ls.history.findings import Finding
from context_ls.history.locate import id_span_in, key_value_span
from context_ls.history.model import History, Span
from context_ls.history.rules import RULES, Rule
from context_ls.history.spliced import Source, as_bytes
from context_ls.history.validate import SpanOf, validate
from context_ls.secrets import find_secrets

if TYPE_CHECKING:
    from context_ls.history.analysis import Options


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


def secret_findings(history: History, data: bytes) -> list[Finding]:
    rule = RULES["H010"]
    items = history.items
    found: list[Finding] = []
    for match in find_secrets(data):
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
