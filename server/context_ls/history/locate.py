"""Exact places inside a record: the id token of a call or output, for precise ranges.

A token is found with `bytes.find` and its key checked by hand: compiling a regex per id
cost ~0.2 ms each, which a file with a thousand findings paid a thousand times."""

from __future__ import annotations

import msgspec

from context_ls.history.model import Call, Output, Span

_CALL_KEYS = (b'"call_id"', b'"id"', b'"toolUseId"')
# `"id"`: a Gemini `functionResponse` names its call so (Gemini CLI keeps the call in the
# same record, but an orphan's id is no call's, so the first match is the response's own).
_OUTPUT_KEYS = (b'"call_id"', b'"tool_use_id"', b'"tool_call_id"', b'"toolUseId"', b'"id"')
_SPACE = b" \t\r\n"  # JSON white space


def _value_span(
    record: bytes, record_start: int, keys: tuple[bytes, ...], value: str
) -> Span | None:
    """Where the first `"key": value` (one of `keys`, JSON white space allowed around the
    colon) puts its value token, if the value is written plainly."""
    token = msgspec.json.encode(value)
    at = record.find(token)
    while at != -1:
        before = at
        while before and record[before - 1] in _SPACE:
            before -= 1
        if before and record[before - 1] == 0x3A:  # ":"
            before -= 1
            while before and record[before - 1] in _SPACE:
                before -= 1
            if any(record.endswith(key, 0, before) for key in keys):
                return Span(record_start + at, record_start + at + len(token))
        at = record.find(token, at + 1)
    return None


def id_span_in(record: bytes, record_start: int, subject: Call | Output) -> Span | None:
    """Where the id string of `subject` stands inside its record's bytes, if written plainly."""
    keys = _CALL_KEYS if isinstance(subject, Call) else _OUTPUT_KEYS
    return _value_span(record, record_start, keys, subject.call_id)


def key_value_span(record: bytes, record_start: int, key: str, value: str) -> Span | None:
    """Where `"key": "value"`'s value token stands inside a record."""
    return _value_span(record, record_start, (msgspec.json.encode(key),), value)
