"""Exact places inside a record: the id token of a call or output, for precise ranges."""

from __future__ import annotations

import re
from functools import lru_cache

import msgspec

from context_ls.history.model import Call, Output, Span

_CALL_KEYS = rb"call_id|id"
_OUTPUT_KEYS = rb"call_id|tool_use_id|tool_call_id"


@lru_cache(maxsize=4096)
def _id_pattern(call_id: str, keys: bytes) -> re.Pattern[bytes]:
    token = re.escape(msgspec.json.encode(call_id))
    return re.compile(rb'"(?:' + keys + rb')"\s*:\s*(' + token + rb")")


def id_span_in(record: bytes, record_start: int, subject: Call | Output) -> Span | None:
    """Where the id string of `subject` stands inside its record's bytes, if written plainly."""
    keys = _CALL_KEYS if isinstance(subject, Call) else _OUTPUT_KEYS
    match = _id_pattern(subject.call_id, keys).search(record)
    if match is None:
        return None
    return Span(record_start + match.start(1), record_start + match.end(1))


def key_value_span(record: bytes, record_start: int, key: str, value: str) -> Span | None:
    """Where `"key": "value"`'s value token stands inside a record."""
    token = re.escape(msgspec.json.encode(value))
    pattern = re.compile(rb'"' + re.escape(key.encode()) + rb'"\s*:\s*(' + token + rb")")
    match = pattern.search(record)
    if match is None:
        return None
    return Span(record_start + match.start(1), record_start + match.end(1))
