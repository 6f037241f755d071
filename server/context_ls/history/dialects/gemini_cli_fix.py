"""Repairs of a Gemini CLI session, made inside the message that holds the call: a call
without a result gets the one the CLI writes for a cancelled call (status `cancelled`, a
`functionResponse` whose response is `{"error": text}`), and orphan or extra response parts
leave their result list. The findings of a message are gathered first (`fix`), then each
message is edited once (`edits`):

- the JSON file is edited in place, every byte the repair does not change kept;
- the JSONL log gets the repaired message appended as a new line, as the CLI itself does
  when a message changes (the last version wins): the lines already written stay.

Other findings (a half-written last line) keep their rule's own fix."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import msgspec

from context_ls.history.blocks import removal_ranges
from context_ls.history.dialects.gemini_api_fix import synthetic_response
from context_ls.history.dialects.gemini_cli import CONTENT

# The CLI's own words for a call it cancelled ("[Operation Cancelled] Reason: <why>").
from context_ls.history.dialects.gemini_cli import DEFAULT_SYNTHETIC_TEXT as DEFAULT_TEXT
from context_ls.history.dialects.gemini_cli_json import (
    SPACE,
    elements,
    members,
    message_span,
    value_end,
)
from context_ls.history.facts import DECODE_ERRORS
from context_ls.history.model import Span, TextEdit, apply_edits
from context_ls.history.rules import RULES

if TYPE_CHECKING:
    from context_ls.history.findings import Finding
    from context_ls.history.model import Call
    from context_ls.history.normalize import Plan

_KEY = "gemini-cli"
_ORPHANS = "gemini-cli orphans"  # ids of responses no call has, which leave every batch
# A call the CLI recorded as finished (`success`, `error`) whose result part is not there.
LOST_TEXT = "The tool call finished, but its result was not recorded in the session."
_SPACE = b" \t\r\n"


@dataclass(slots=True)
class _Repair:
    """What one message needs: results for calls (by tool call), parts that go (k, j),
    responses to the calls in its `content` (by part: a message of them after it)."""

    missing: dict[int, Call] = field(default_factory=dict)
    dropped: set[tuple[int, int]] = field(default_factory=set)
    answers: dict[int, Call] = field(default_factory=dict)
    added: list[Any] = field(default_factory=list)  # response parts it takes (a batch)


def _repairs(plan: Plan) -> dict[tuple[int, int], _Repair]:
    found: dict[tuple[int, int], _Repair] = plan.state.setdefault(_KEY, defaultdict(_Repair))
    return found


def note_missing(plan: Plan, call: Call) -> None:
    from context_ls.history.dialects.gemini_cli import block_parts

    m, k, part = block_parts(call.block)
    if k == CONTENT:
        _repairs(plan)[(call.item, m)].answers[part] = call
    else:
        _repairs(plan)[(call.item, m)].missing[k] = call


def fix(plan: Plan, finding: Finding) -> None:
    """Note what a finding asks of its message (made in `edits`)."""
    from context_ls.history.dialects.gemini_cli import block_parts

    if finding.code == "H001":
        call = finding.call or plan.call_of(finding.call_id)
        if call is not None:
            note_missing(plan, call)
    elif finding.code in ("H002", "H004"):
        output = finding.output or plan.output_at(finding)
        if output is not None:
            m, k, part = block_parts(output.block)
            _repairs(plan)[(output.item, m)].dropped.add((k, part))
            if finding.code == "H002":  # its copies in batches of responses go too
                plan.state.setdefault(_ORPHANS, set()).add(output.call_id)
    else:
        rule = RULES.get(finding.code)
        if rule is not None and rule.fixer is not None:
            rule.fixer(plan, finding)


def edits(plan: Plan) -> list[TextEdit]:
    out: list[TextEdit] = []
    appended: list[bytes] = []
    items = plan.history.items
    live = _live(plan)
    last = live[-1] if live else None
    _into_batches(plan, live)
    _copies_of_orphans(plan, live)
    repaired: dict[tuple[int, int], bytes] = {}
    inserted: dict[tuple[int, int], bytes] = {}
    for (row, m), repair in sorted(_repairs(plan).items()):
        record = plan.bytes_of(items[row])
        where = message_span(record, m)
        if where is None:
            continue
        start, end = where
        changes = _message_edits(plan, record[start:end], repair)
        answer = _answer(plan, record[start:end], repair)
        base = items[row].span.start + start
        if plan.history.document:
            out.extend(
                TextEdit(Span(base + e.span.start, base + e.span.end), e.new_bytes) for e in changes
            )
            if answer is not None:
                out.append(TextEdit(Span(base + end, base + end), _separator(plan, row) + answer))
            continue
        if changes:
            repaired[(row, m)] = apply_edits(record[start:end], changes)
            appended.append(repaired[(row, m)])
        if answer is not None:
            inserted[(row, m)] = answer
    if list(inserted) == [last]:
        appended.extend(inserted.values())  # after the last message: its place in the log
    elif inserted:
        appended.append(_whole_list(plan, live, repaired, inserted))
    if appended:
        out.append(_append(plan, appended))
    return out


def _whole_list(
    plan: Plan,
    live: list[tuple[int, int]],
    repaired: dict[tuple[int, int], bytes],
    inserted: dict[tuple[int, int], bytes],
) -> bytes:
    """A log has no place after a message that is not the last: the whole list is written
    again with the new messages in it, as the CLI writes it when it sets its history
    (`{"$set": {"messages": [...]}}`), each message as it now stands."""
    listed: list[bytes] = []
    for where in live:
        message = repaired.get(where) or _live_bytes(plan, *where)
        if message is not None:
            listed.append(message)
        if where in inserted:
            listed.append(inserted[where])
    return b'{"$set":{"messages":[' + b",".join(listed) + b"]}}"


def _answer(plan: Plan, message: bytes, repair: _Repair) -> bytes | None:
    """The `user` message of error responses to the message's content calls that have
    none, the way the CLI records a batch of responses (`<id>_response`, as it names the
    turn it makes of a message's results on resume)."""
    if not repair.answers:
        return None
    try:
        value = msgspec.json.decode(message)
    except DECODE_ERRORS:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("id"), str):
        return None
    parts = [synthetic_response(call, plan.text) for _j, call in sorted(repair.answers.items())]
    made = {"id": value["id"] + "_response", "timestamp": value.get("timestamp"), "type": "user"}
    return json.dumps(
        {**made, "content": parts}, ensure_ascii=False, separators=(",", ":")
    ).encode()


def _live(plan: Plan) -> list[tuple[int, int]]:
    from context_ls.history.dialects.gemini_cli import live_messages

    return list(live_messages(plan.history).values())


def _into_batches(plan: Plan, live: list[tuple[int, int]]) -> None:
    """Responses to content calls go into the batch of responses right after the calls
    when there is one (a second user turn of responses would be a turn Gemini does not
    count): that message takes the parts, which in a log rewrites it in its place."""
    place = {where: i for i, where in enumerate(live)}
    for where, repair in list(_repairs(plan).items()):
        at = place.get(where)
        if not repair.answers or at is None or at + 1 >= len(live):
            continue
        row, m = live[at + 1]
        message = _live_bytes(plan, row, m)
        try:
            value = msgspec.json.decode(message) if message is not None else None
        except DECODE_ERRORS:
            continue
        if not isinstance(value, dict) or value.get("type") != "user":
            continue
        content = value.get("content")
        if (
            not content
            or not isinstance(content, list)
            or not all(isinstance(p, dict) and "functionResponse" in p for p in content)
        ):
            continue
        calls = [call for _j, call in sorted(repair.answers.items())]
        _repairs(plan)[(row, m)].added.extend(synthetic_response(c, plan.text) for c in calls)
        repair.answers.clear()


def _copies_of_orphans(plan: Plan, live: list[tuple[int, int]]) -> None:
    """A response no call has leaves the batches of responses too, where the CLI copied
    it (those copies are not findings of their own while a result holds the response)."""
    orphans: set[str] = plan.state.get(_ORPHANS, set())
    if not orphans:
        return
    for row, m in live:
        if plan.history.items.roles[row] == "gemini":
            continue
        message = _live_bytes(plan, row, m)
        try:
            value = msgspec.json.decode(message) if message is not None else None
        except DECODE_ERRORS:
            continue
        content = value.get("content") if isinstance(value, dict) else None
        for j, part in enumerate(content if isinstance(content, list) else ()):
            response = part.get("functionResponse") if isinstance(part, dict) else None
            if isinstance(response, dict) and response.get("id") in orphans:
                _repairs(plan)[(row, m)].dropped.add((CONTENT, j))


def _live_bytes(plan: Plan, row: int, m: int) -> bytes | None:
    record = plan.bytes_of(plan.history.items[row])
    where = message_span(record, m)
    return None if where is None else record[where[0] : where[1]]


def _separator(plan: Plan, row: int) -> bytes:
    """What stands between two messages of the document (a comma and its white space)."""
    items = plan.history.items
    if row + 1 < len(items):
        gap = plan.data[items[row].span.end : items[row + 1].span.start]
    elif row > 0:
        gap = plan.data[items[row - 1].span.end : items[row].span.start]
    else:
        return b","
    return gap if gap.strip() == b"," else b","


def _append(plan: Plan, lines: list[bytes]) -> TextEdit:
    """New lines at the end of the log (after a half-written last line that goes)."""
    data, newline = plan.data, plan.history.newline
    size = len(data)
    last = len(plan.history.items) - 1
    tail_goes = last in plan.remove_items and plan.history.items[last].span.end >= len(
        data.rstrip(SPACE)
    )
    prefix = b"" if not data or data.endswith(b"\n") or tail_goes else newline
    return TextEdit(Span(size, size), prefix + b"".join(line + newline for line in lines))


def _message_edits(plan: Plan, message: bytes, repair: _Repair) -> list[TextEdit]:
    """The edits a message needs, relative to its own bytes."""
    try:
        top = members(message, 0)
        out: list[TextEdit] = []
        gone = {j for k, j in repair.dropped if k == CONTENT}
        if (gone or repair.added) and "content" in top:
            at = top["content"][1]
            spans = elements(message, at)
            out.extend(TextEdit(Span(s, e), b"") for s, e in removal_ranges(spans, gone))
            if repair.added:  # first, before the parts it keeps
                form = _Form.of(message, 0, top, plan.history.newline)
                new = b",".join(form.render(p) for p in repair.added)
                rest = b"," if len(spans) > len(gone) else b""
                out.append(TextEdit(Span(at + 1, at + 1), new + rest))
        calls = elements(message, top["toolCalls"][1]) if "toolCalls" in top else []
        for k, (start, _end) in enumerate(calls):
            if k in repair.missing:
                out.extend(_cancelled(plan, message, start, repair.missing[k]))
                continue
            parts = {j for kk, j in repair.dropped if kk == k}
            if parts:
                out.extend(_without_parts(message, start, parts))
        return out
    except (IndexError, AttributeError, ValueError, KeyError, *DECODE_ERRORS):
        return []


def _cancelled(plan: Plan, message: bytes, start: int, call: Call) -> list[TextEdit]:
    """The tool call at `start` gets a result, its other members kept: a cancelled one
    (and status) when it has no status; when the CLI already recorded how it ended
    (`success`, `error`) that status stays and the text says the result was lost."""
    fields = members(message, start)
    entry = msgspec.json.decode(message[start : value_end(message, start)])
    name = entry.get("name") if isinstance(entry.get("name"), str) else call.tool or ""
    status = entry.get("status")
    ended = status in ("success", "error")  # not a call still running when the CLI died
    text = LOST_TEXT if ended and plan.text == DEFAULT_TEXT else plan.text
    result: Any = [
        {"functionResponse": {"id": call.call_id, "name": name, "response": {"error": text}}}
    ]
    form = _Form.of(message, start, fields, plan.history.newline)
    out: list[TextEdit] = []
    added: list[bytes] = []
    updates: list[tuple[str, Any]] = [("result", result)]
    if not ended:
        updates.append(("status", "cancelled"))
    for key, value in updates:
        if key in fields:
            _key_start, value_start, value_stop = fields[key]
            out.append(TextEdit(Span(value_start, value_stop), form.render(value)))
        else:
            added.append(json.dumps(key).encode() + form.colon + form.render(value))
    if added:
        close = value_end(message, start) - 1
        if fields:
            last_end = max(end for _k, _s, end in fields.values())
            out.append(TextEdit(Span(last_end, last_end), b"".join(form.comma + a for a in added)))
        else:
            out.append(TextEdit(Span(close, close), form.comma.join(added)))
    return out


def _without_parts(message: bytes, start: int, parts: set[int]) -> list[TextEdit]:
    """Response parts leave the result of the tool call at `start`."""
    fields = members(message, start)
    if "result" not in fields:
        return []
    _key, value_start, value_stop = fields["result"]
    if message[value_start : value_start + 1] != b"[":
        return [TextEdit(Span(value_start, value_stop), b"[]")]
    spans = elements(message, value_start)
    return [TextEdit(Span(s, e), b"") for s, e in removal_ranges(spans, parts)]


@dataclass(slots=True, frozen=True)
class _Form:
    """How a tool call object writes its members: separators, and indentation if pretty."""

    comma: bytes  # before a new member: "," and the white space before each key
    colon: bytes
    indent: int | None  # pretty: spaces per level
    pad: int  # column of the members
    newline: bytes

    @classmethod
    def of(
        cls, data: bytes, start: int, fields: dict[str, tuple[int, int, int]], newline: bytes
    ) -> _Form:
        if not fields:
            return cls(b",", b":", None, 0, newline)
        ordered = sorted(fields.values())
        first_key, first_value, first_end = ordered[0]
        colon = data[value_end(data, first_key) : first_value]
        gap = data[start + 1 : first_key]
        if b"\n" not in gap:
            comma = data[first_end : ordered[1][0]] if len(ordered) > 1 else b","
            return cls(comma, colon, None, 0, newline)
        pad = len(gap) - gap.rfind(b"\n") - 1
        close = value_end(data, start) - 1
        close_col = close - data.rfind(b"\n", 0, close) - 1
        return cls(b"," + gap, colon, max(pad - close_col, 1), pad, newline)

    def render(self, value: Any) -> bytes:
        if self.indent is None:
            separators = (self.comma.decode(), self.colon.decode())
            return json.dumps(value, ensure_ascii=False, separators=separators).encode()
        text = json.dumps(value, ensure_ascii=False, indent=self.indent)
        return text.replace("\n", "\n" + " " * self.pad).encode().replace(b"\n", self.newline)
