"""An analysis as the report shows it: summary numbers and timeline rows.

Pure data, no HTML. The timeline's horizontal axis is time when every call carries a
timestamp (ISO-8601 or unix seconds), else the position of the record in the file.

Only what the agent would send again is shown and counted: calls, outputs and user
messages on abandoned rows (a superseded version of a Gemini CLI message, a rewound
message, a Claude Code branch left by a rewind) stay out.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from context_ls.history.abandoned import live_only
from context_ls.history.api import Analysis
from context_ls.history.model import Call, ItemKind, Output

# Beyond this many calls the timeline shows a sample (plus every call with a finding).
MAX_CALLS = 2000
# At most this many user-message separators and flagged-record rows.
MAX_MARKS = 1000

SUCCESS = frozenset({"success", "succeeded", "completed", "ok"})
FAILED = frozenset({"error", "failed", "failure", "timeout", "timed_out"})
SYNTHETIC = frozenset({"canceled", "cancelled", "aborted", "interrupted"})
MISPLACED = frozenset({"H005", "H006"})


def parse_time(value: str | int | float | None) -> float | None:
    """Seconds since the epoch for an ISO-8601 string or unix seconds (milliseconds when
    the number is too large to be seconds); None when there is nothing usable."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
        return number / 1000.0 if number > 1e11 else number
    text = value.strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        pass
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    if "." in text:  # Python 3.10 accepts only 3 or 6 fraction digits
        head, _, rest = text.partition(".")
        digits = len(rest) - len(rest.lstrip("0123456789"))
        fraction = (rest[:digits] + "000000")[:6]
        text = f"{head}.{fraction}{rest[digits:]}"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def output_status(output: Output) -> str:
    """success | failed | synthetic | unknown for an output's own status."""
    status = (output.status or "").lower()
    if not status or status in SUCCESS:
        return "success"
    if status in FAILED:
        return "failed"
    if status in SYNTHETIC:
        return "synthetic"
    return "unknown"


@dataclass(slots=True)
class Row:
    """One line of the timeline. `start`/`end` are fractions (0..1) of the axis."""

    kind: str  # call | orphan | record | user
    item: int
    line: int  # 1-based line of the record
    label: str
    status: str  # success failed synthetic unknown pending missing orphan record user
    start: float = 0.0
    end: float = 0.0
    call_id: str | None = None
    duration: float | None = None
    note: str = ""
    codes: list[str] = field(default_factory=list)
    misplaced: bool = False
    extra: list[float] = field(default_factory=list)  # further outputs (duplicates)
    anchors: list[int] = field(default_factory=list)  # items this row stands for


@dataclass(slots=True)
class Summary:
    dialect: str | None
    records: int
    size: int
    calls: int
    outputs: int
    tools: Counter[str]
    statuses: Counter[str]
    findings: Counter[str]
    failures: int
    duration: float | None

    @property
    def tokens(self) -> int:
        return self.size // 4


@dataclass(slots=True)
class Timeline:
    rows: list[Row]
    axis: str  # time | records
    sampled: bool
    step: int
    shown_calls: int
    total_calls: int
    anchored: set[int]


class _Axis:
    def __init__(self, analysis: Analysis) -> None:
        history = analysis.history
        self.count = max(len(history.items), 1)
        self.by_index = {item.index: n for n, item in enumerate(history.items)}
        times = [_time(analysis, c) for c in live_only(history, history.calls)]
        stamps = [t for t in _all_times(analysis) if t is not None]
        self.t0 = min(stamps) if stamps else 0.0
        self.t1 = max(stamps) if stamps else 0.0
        self.timed = bool(times) and None not in times and self.t1 > self.t0

    def at_item(self, item: int) -> float:
        return self.by_index.get(item, item) / self.count

    def after_item(self, item: int) -> float:
        return (self.by_index.get(item, item) + 1) / self.count

    def at_time(self, moment: float) -> float:
        return min(max((moment - self.t0) / (self.t1 - self.t0), 0.0), 1.0)


def _all_times(analysis: Analysis) -> Iterable[float | None]:
    for item in analysis.history.items:  # calls and outputs have their record's time
        yield parse_time(item.timestamp)


def _time(analysis: Analysis, record: Call | Output) -> float | None:
    """When the record of a call or an output was written."""
    return parse_time(analysis.history.items[_position(analysis, record.item)].timestamp)


def summarize(analysis: Analysis) -> Summary:
    history = analysis.history
    calls, outputs = live_only(history, history.calls), live_only(history, history.outputs)
    statuses: Counter[str] = Counter(output_status(o) for o in outputs)
    stamps = [t for t in _all_times(analysis) if t is not None]
    return Summary(
        dialect=history.dialect,
        records=history.record_count,
        size=history.size,
        calls=len(calls),
        outputs=len(outputs),
        tools=Counter(call.tool or "(unnamed)" for call in calls),
        statuses=statuses,
        findings=Counter(f.code for f in analysis.findings),
        failures=statuses["failed"],
        duration=(max(stamps) - min(stamps)) if len(stamps) > 1 else None,
    )


def build_timeline(analysis: Analysis, max_calls: int | None = None) -> Timeline:
    """Rows in file order; beyond `max_calls` (default MAX_CALLS) calls, every k-th call
    plus every call with a finding."""
    max_calls = MAX_CALLS if max_calls is None else max_calls
    history = analysis.history
    axis = _Axis(analysis)
    live_outputs = live_only(history, history.outputs)
    outputs: dict[str, list[Output]] = {}
    for output in live_outputs:
        outputs.setdefault(output.call_id, []).append(output)
    codes: dict[str, list[str]] = {}
    pending: set[str] = set()
    flagged_items: set[int] = set()
    for finding in analysis.findings:
        flagged_items.add(finding.item)
        if finding.call_id is not None:
            codes.setdefault(finding.call_id, []).append(finding.code)
            if finding.pending:
                pending.add(finding.call_id)
    calls = live_only(history, history.calls)
    step = max(1, math.ceil(len(calls) / max_calls)) if len(calls) > max_calls else 1
    rows: list[Row] = []
    shown = 0
    for n, call in enumerate(calls):
        if step > 1 and n % step and call.call_id not in codes and call.item not in flagged_items:
            continue
        shown += 1
        rows.append(_call_row(analysis, axis, call, outputs.get(call.call_id, []), codes, pending))
    known = {call.call_id for call in calls}
    for output in live_outputs:
        if output.call_id not in known:
            rows.append(_orphan_row(analysis, axis, output, codes))
    users = [
        item
        for item in history.items
        if item.kind is ItemKind.MESSAGE
        and item.role == "user"
        and not item.results_only
        and not item.abandoned
    ]
    if len(users) <= MAX_MARKS:
        for number, item in enumerate(users, 1):
            moment = parse_time(item.timestamp) if axis.timed else None
            rows.append(
                Row(
                    "user",
                    item.index,
                    item.line + 1,
                    f"user message {number}",
                    "user",
                    start=axis.at_time(moment) if moment is not None else axis.at_item(item.index),
                    anchors=[item.index],
                )
            )
    rows.sort(key=lambda row: (row.item, row.kind != "user"))
    anchored = _claim_anchors(rows)
    _add_record_rows(analysis, axis, rows, anchored)
    return Timeline(
        rows, "time" if axis.timed else "records", step > 1, step, shown, len(calls), anchored
    )


def _call_row(
    analysis: Analysis,
    axis: _Axis,
    call: Call,
    outs: list[Output],
    codes: dict[str, list[str]],
    pending: set[str],
) -> Row:
    item = analysis.history.items[_position(analysis, call.item)]
    row = Row(
        "call",
        call.item,
        item.line + 1,
        call.tool or "(unnamed)",
        "success",
        call_id=call.call_id,
        codes=sorted(set(codes.get(call.call_id, []))),
        anchors=[call.item, *(o.item for o in outs)],
    )
    row.misplaced = bool(MISPLACED.intersection(row.codes))
    called = _time(analysis, call)
    row.start = (
        axis.at_time(called) if axis.timed and called is not None else axis.at_item(call.item)
    )
    if not outs:
        row.status = "pending" if call.call_id in pending else "missing"
        row.end = 1.0
        row.start = min(row.start, 0.985)  # keep the open bar visible at the very end
        row.note = "waiting for output" if row.status == "pending" else "no output"
        return row
    first = outs[0]
    row.status = output_status(first)
    if row.status == "unknown":
        row.note = f"status {first.status}"
    answered = _time(analysis, first)
    if called is not None and answered is not None:
        row.duration = max(answered - called, 0.0)
    if axis.timed:
        row.end = axis.at_time(answered) if answered is not None else row.start
        row.extra = [axis.at_time(t) for o in outs[1:] if (t := _time(analysis, o)) is not None]
    else:
        row.end = axis.after_item(first.item)
        row.extra = [axis.at_item(o.item) for o in outs[1:]]
    if row.end < row.start:
        row.start, row.end = row.end, row.start
    return row


def _orphan_row(
    analysis: Analysis, axis: _Axis, output: Output, codes: dict[str, list[str]]
) -> Row:
    item = analysis.history.items[_position(analysis, output.item)]
    moment = _time(analysis, output)
    start = axis.at_time(moment) if axis.timed and moment is not None else axis.at_item(output.item)
    return Row(
        "orphan",
        output.item,
        item.line + 1,
        "orphan output",
        "orphan",
        start=start,
        end=start,
        call_id=output.call_id,
        note="no call with this id",
        codes=sorted(set(codes.get(output.call_id, []))),
        anchors=[output.item],
    )


def _position(analysis: Analysis, item: int) -> int:
    """Where item number `item` is in `history.items` (sparse histories keep some only)."""
    items = analysis.history.items
    if 0 <= item < len(items) and items[item].index == item:
        return item
    return next((n for n, candidate in enumerate(items) if candidate.index == item), 0)


def _claim_anchors(rows: list[Row]) -> set[int]:
    claimed: set[int] = set()
    for row in rows:
        # A call and its output in one record (Gemini CLI) name it twice: one anchor.
        mine = list(dict.fromkeys(item for item in row.anchors if item not in claimed))
        claimed.update(mine)
        row.anchors = mine
    return claimed


def _add_record_rows(analysis: Analysis, axis: _Axis, rows: list[Row], anchored: set[int]) -> None:
    """Findings about records that are no call or output (malformed lines, broken parent
    links, secrets) get a row of their own so that every finding has somewhere to point."""
    history = analysis.history
    extra: list[Row] = []
    codes: dict[int, set[str]] = {}
    for finding in analysis.findings:
        codes.setdefault(finding.item, set()).add(finding.code)
    for finding in analysis.findings:
        if finding.item < 0 or finding.item in anchored or len(extra) >= MAX_MARKS:
            continue
        item = history.items[_position(analysis, finding.item)]
        moment = parse_time(item.timestamp) if axis.timed else None
        position = axis.at_time(moment) if moment is not None else axis.at_item(item.index)
        anchored.add(finding.item)
        extra.append(
            Row(
                "record",
                finding.item,
                item.line + 1,
                f"{item.kind.value} record",
                "record",
                start=position,
                end=position,
                codes=sorted(codes[finding.item]),
                anchors=[finding.item],
            )
        )
    if extra:
        rows.extend(extra)
        rows.sort(key=lambda row: (row.item, row.kind != "user"))
