"""What the contexts keep from a validated history: small summaries, not the history.

Pure functions over `context_ls.history.api.Analysis` (read by attribute only, so this
module does not import the history engine): dialect, record count, findings per code,
pending calls and per-tool counts of calls, failures, cancellations and synthetic outputs.

The tool context's `pending` holds calls from two sources, marked in each entry's
`source`: "document" (an open history's analysis shows a trailing call still waiting) and
"event" (`contextLs/toolEvent` said "started"). An analysis replaces only its document's
own entries: a live call leaves when "finished" arrives or when the analysed document shows
its output, never just because the document was read again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from context_ls.history.api import Analysis

__all__ = [
    "FROM_DOCUMENT",
    "FROM_EVENT",
    "MAX_LIVE_PENDING",
    "MAX_PENDING_PER_DOCUMENT",
    "answered_calls",
    "classify_status",
    "document_summary",
    "empty_counts",
    "forget_document_pending",
    "is_live",
    "live_calls",
    "merge_document_pending",
    "pending_calls",
    "start_live_call",
    "sum_counts",
    "tool_counts",
]

MAX_PENDING_PER_DOCUMENT = 100  # contexts stay small even for a runaway session
# A client that sends "started" and never "finished" must not grow the tool context past
# its size limit (every later update would be refused): beyond this, the oldest go.
MAX_LIVE_PENDING = 1_000
FROM_DOCUMENT = "document"
FROM_EVENT = "event"
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


def _since(entry: dict[str, Any], default: int) -> int:
    value = entry.get("since")
    return value if isinstance(value, int) else default


def is_live(entry: dict[str, Any]) -> bool:
    """A pending call reported by a tool event (entries stored before `source` existed
    count as the document's: the next analysis settles them)."""
    return entry.get("source") == FROM_EVENT


def live_calls(pending: dict[str, Any], in_session: Callable[[str], bool]) -> set[str]:
    """Ids of the live calls of one session."""
    return {
        call_id
        for call_id, entry in pending.items()
        if is_live(entry) and in_session(str(entry.get("session", "")))
    }


def answered_calls(analysis: Analysis, wanted: Collection[str]) -> set[str]:
    """Those of `wanted` that have an output in the analysed history."""
    if not wanted:
        return set()
    return {output.call_id for output in analysis.history.outputs if output.call_id in wanted}


def merge_document_pending(
    pending: dict[str, Any],
    *,
    session: str,
    in_session: Callable[[str], bool],
    found: dict[str, str],
    answered: Collection[str],
    now: int,
) -> dict[str, Any]:
    """`pending` after an analysis of `session`: its document entries become `found`
    (call id → tool; one already known keeps its `since`), its live ones stay unless
    `answered` (the document shows their output), other sessions' are untouched."""
    merged: dict[str, Any] = {}
    for call_id, entry in pending.items():
        if not in_session(str(entry.get("session", ""))):
            merged[call_id] = entry
        elif is_live(entry):
            if call_id not in answered:
                merged[call_id] = entry
        elif call_id in found:
            merged[call_id] = {**entry, "source": FROM_DOCUMENT}
    for call_id, tool in found.items():
        merged.setdefault(
            call_id, {"tool": tool, "since": now, "session": session, "source": FROM_DOCUMENT}
        )
    return merged


def forget_document_pending(pending: dict[str, Any], session: str) -> dict[str, Any]:
    """`pending` once the document `session` is closed: its document entries go, the
    live calls stay (closing an editor does not end an agent's tool call)."""
    return {
        call_id: entry
        for call_id, entry in pending.items()
        if is_live(entry) or entry.get("session") != session
    }


def start_live_call(
    pending: dict[str, Any], *, session: str, call_id: str, tool: str, now: int
) -> dict[str, Any]:
    """`pending` with a call an agent started; a call already known keeps its `since`
    (it started no later than first seen). At most `MAX_LIVE_PENDING` live calls stay."""
    known = pending.get(call_id)
    since = min(_since(known, now), now) if isinstance(known, dict) else now
    pending = {k: v for k, v in pending.items() if k != call_id}
    pending[call_id] = {"tool": tool, "since": since, "session": session, "source": FROM_EVENT}
    live = [k for k, v in pending.items() if is_live(v)]
    if len(live) > MAX_LIVE_PENDING:
        oldest = sorted(live, key=lambda k: _since(pending[k], 0))
        for dropped in oldest[: len(live) - MAX_LIVE_PENDING]:
            del pending[dropped]
    return pending
