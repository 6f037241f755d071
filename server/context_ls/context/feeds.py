"""What the contexts keep from a validated history: small summaries, not the history.

Pure functions over `context_ls.history.api.Analysis` (read by attribute only, so this
module does not import the history engine): dialect, record count, findings per code,
pending calls and per-tool counts of calls, failures, cancellations and synthetic outputs.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from context_ls.history.api import Analysis

__all__ = [
    "MAX_PENDING_PER_DOCUMENT",
    "classify_status",
    "document_summary",
    "empty_counts",
    "pending_calls",
    "sum_counts",
    "tool_counts",
]

MAX_PENDING_PER_DOCUMENT = 100  # contexts stay small even for a runaway session
_FAILED = frozenset({"error", "failed", "failure", "timeout", "timed_out", "incomplete"})
_CANCELED = frozenset({"canceled", "cancelled", "aborted", "interrupted"})
# How the normalizer (and the agents themselves) word a synthetic output.
_INTERRUPTED = b"Tool execution was interrupted. Output was not received."
_ABORTED = b'"output":"aborted"'
_MARKER_SCAN_LIMIT = 1024  # synthetic outputs are short; long records are real ones
COUNT_NAMES = ("calls", "failures", "cancellations", "synthetic_outputs")


def empty_counts() -> dict[str, int]:
    return dict.fromkeys(COUNT_NAMES, 0)


def classify_status(status: str | None) -> str | None:
    """ "failures", "cancellations", "synthetic_outputs" or None (a plain success)."""
    normalized = (status or "").strip().lower()
    if normalized in _FAILED:
        return "failures"
    if normalized in _CANCELED:
        return "cancellations"
    if normalized == "synthetic":
        return "synthetic_outputs"
    return None


def document_summary(analysis: Analysis) -> dict[str, Any]:
    """Dialect, record count, findings per code and the number of pending calls."""
    history = analysis.history
    findings = Counter(f.code for f in analysis.findings if not f.pending)
    return {
        "dialect": history.dialect,
        "records": len(history.items),
        "calls": len(history.calls),
        "findings": dict(sorted(findings.items())),
        "pending": sum(1 for f in analysis.findings if f.pending),
    }


def _synthetic_items(analysis: Analysis) -> set[int]:
    """Indexes of the short output records whose text is a synthetic output's."""
    data = analysis.data
    items = analysis.history.items
    if not data:
        return set()
    found = set()
    count = len(items)
    for output in analysis.history.outputs:
        index = output.item
        if 0 <= index < count:
            span = items[index].span
            start, end = span.start, span.end
            if end - start <= _MARKER_SCAN_LIMIT:
                record = data[start:end]
                if _ABORTED in record or _INTERRUPTED in record:
                    found.add(index)
    return found


def tool_counts(analysis: Analysis) -> dict[str, dict[str, int]]:
    """Per tool name: calls, failed and canceled outputs, synthetic outputs."""
    history = analysis.history
    tool_of = {call.call_id: call.tool or call.kind for call in history.calls}
    calls = Counter(call.tool or call.kind for call in history.calls)
    counts = {tool: {**empty_counts(), "calls": n} for tool, n in calls.items()}
    synthetic = _synthetic_items(analysis)
    outcomes = Counter(
        (
            tool_of.get(output.call_id, "unknown"),
            "synthetic_outputs" if output.item in synthetic else classify_status(output.status),
        )
        for output in history.outputs
        if output.status or output.item in synthetic
    )
    for (tool, outcome), n in outcomes.items():
        if outcome is not None:
            counts.setdefault(tool, empty_counts())[outcome] += n
    return dict(sorted(counts.items()))


def pending_calls(analysis: Analysis) -> dict[str, str]:
    """call id → tool for the calls still waiting for their output (at most a hundred)."""
    tool_of = {call.call_id: call.tool or call.kind for call in analysis.history.calls}
    pending: dict[str, str] = {}
    for finding in analysis.findings:
        if finding.pending and finding.call_id is not None:
            pending[finding.call_id] = tool_of.get(finding.call_id, "unknown")
            if len(pending) >= MAX_PENDING_PER_DOCUMENT:
                break
    return pending


def sum_counts(parts: list[dict[str, dict[str, int]]]) -> dict[str, dict[str, int]]:
    """Per-tool counts added up over documents and tool events."""
    total: dict[str, dict[str, int]] = {}
    for part in parts:
        for tool, counts in part.items():
            into = total.setdefault(tool, empty_counts())
            for name, value in counts.items():
                into[name] = into.get(name, 0) + value
    return dict(sorted(total.items()))
