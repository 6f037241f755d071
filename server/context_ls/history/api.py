"""The history engine's public face: what the CLI, the server and the report call.

Everything here is pure: bytes in, values out. No pygls, no writes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from context_ls.history.analysis import (
    Analysis,
    Options,
    _options,
    analyze,
    apply_severity,
    find,
    refine_spans,
    secret_findings,
)
from context_ls.history.blocks import find_content
from context_ls.history.dialects import dialect_of
from context_ls.history.files import analyze_path, with_linked_session
from context_ls.history.locate import id_span_in
from context_ls.history.model import Call, DialectName, Output, Span, TextEdit, apply_edits

if TYPE_CHECKING:
    from context_ls.history.details import CallDetails, OutputDetails
    from context_ls.history.findings import Finding

__all__ = [
    "Analysis",
    "Options",
    "analyze",
    "analyze_path",
    "apply_edits",
    "apply_severity",
    "call_details",
    "find",
    "fix_edits",
    "fix_title",
    "id_span",
    "normalize_bytes",
    "normalize_edits",
    "output_details",
    "quick_fix",
    "refine_spans",
    "secret_findings",
    "trim_edits",
    "with_linked_session",
]


def id_span(analysis: Analysis, subject: Call | Output) -> Span:
    """The id token of a call or output; without one written plainly (a Gemini part has
    no id), its own content block, else its whole record."""
    item = analysis.history.items[subject.item]
    record = analysis.data[item.span.start : item.span.end]
    found = id_span_in(record, item.span.start, subject)
    if found is not None:
        return found
    path = dialect_of(analysis.history.dialect).content_path
    content = find_content(record, path) if path is not None and subject.block >= 0 else None
    if content is not None and content.is_array and subject.block < len(content.elements):
        start, end = content.elements[subject.block]
        return Span(item.span.start + start, item.span.start + end)
    return item.span


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
    from context_ls.history import normalize  # repairs only: `check` never plans one

    texts = _options(options).synthetic_output_text
    return normalize.fix_title(analysis.history, analysis.data, finding, texts)


def quick_fix(
    analysis: Analysis, finding: Finding, options: Options | None = None
) -> tuple[str, list[TextEdit]]:
    """The title and the edits of one finding's quick fix, from one plan (the editor asks
    for both; `fix_title` and `fix_edits` would each make the plan)."""
    from context_ls.history import normalize  # repairs only: `check` never plans one
    from context_ls.history.edits import plan_edits

    if not analysis.history.is_history:
        return fix_title(analysis, finding, options), []
    texts = _options(options).synthetic_output_text
    plan = normalize.plan_for(analysis.history, analysis.data, [finding], texts)
    return normalize.title_of(plan, finding), plan_edits(plan)


def _edits_for(
    analysis: Analysis, findings: list[Finding], options: Options | None
) -> list[TextEdit]:
    from context_ls.history.edits import plan_edits  # repairs only: `check` never plans one
    from context_ls.history.normalize import plan_for

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
    from context_ls.history.trim import trim_edits_for  # repairs only: `check` never trims

    if not analysis.history.is_history:
        return []
    return trim_edits_for(analysis.history, analysis.data, keep)


def call_details(analysis: Analysis, call: Call) -> CallDetails:
    """Tool, a short summary of the arguments and the time of a call (for hovers)."""
    from context_ls.history import details  # hovers only: `check` never shows one

    item = analysis.history.items[call.item]
    return details.call_details(analysis.dialect, analysis.read(*item.span), call, item.timestamp)


def output_details(analysis: Analysis, output: Output) -> OutputDetails:
    """Status, size and first line of an output (for hovers)."""
    from context_ls.history import details  # hovers only: `check` never shows one

    item = analysis.history.items[output.item]
    return details.output_details(
        analysis.dialect, analysis.read(*item.span), output, item.timestamp
    )
