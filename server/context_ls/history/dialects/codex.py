"""Codex CLI rollout JSONL: `{"timestamp", "type", "payload"}` per line; only
`response_item` payloads (Responses API items) take part in pairing."""

from __future__ import annotations

from typing import Any

import msgspec

from context_ls.history.dialects import responses
from context_ls.history.model import ItemKind
from context_ls.history.records import DECODE_ERRORS, OTHER, RecordFacts, stamp, str_or_none

NAME = "codex"
DEFAULT_SYNTHETIC_TEXT = responses.DEFAULT_SYNTHETIC_TEXT
LINE_TYPES = frozenset({"session_meta", "response_item", "event_msg", "turn_context", "compacted"})


def sniff(value: Any) -> int:
    if not isinstance(value, dict) or not isinstance(value.get("payload"), dict):
        return 0
    kind = str_or_none(value.get("type"))
    if kind in ("session_meta", "response_item"):
        return 3
    return 2 if kind in LINE_TYPES else 1


def facts(value: Any) -> RecordFacts:
    if not isinstance(value, dict):
        return OTHER
    timestamp = stamp(value.get("timestamp"))
    payload = value.get("payload")
    if value.get("type") == "response_item" and isinstance(payload, dict):
        return responses.facts(payload, timestamp)
    return RecordFacts(ItemKind.OTHER, timestamp=timestamp)


# --- the fast path: a typed decoder that skips every field but the pairing keys ----------


class _Payload(msgspec.Struct):
    type: str | None = None
    call_id: str | None = None
    name: str | None = None
    role: str | None = None
    status: str | None = None
    execution: str | None = None


class _Line(msgspec.Struct):
    timestamp: str | None = None
    type: str | None = None
    payload: _Payload | None = None


_decode_line = msgspec.json.Decoder(_Line).decode
_decode_any = msgspec.json.decode


def facts_from_line(line: bytes) -> RecordFacts:
    """Facts of one rollout line, decoding only what pairing needs (the hot loop of `check`)."""
    try:
        record = _decode_line(line)
    except msgspec.ValidationError:
        # Valid JSON of an unexpected shape (payload not an object, ids not strings…).
        try:
            return facts(_decode_any(line))
        except DECODE_ERRORS as error:
            return RecordFacts(ItemKind.MALFORMED, error=str(error))
    except DECODE_ERRORS as error:
        return RecordFacts(ItemKind.MALFORMED, error=str(error))
    payload = record.payload
    if record.type != "response_item" or payload is None:
        return RecordFacts(ItemKind.OTHER, timestamp=record.timestamp)
    kind = payload.type
    if kind in responses.CALL_TYPES or kind in responses.OUTPUT_TYPES or kind is None:
        # Rare or id-bearing items: the generic reader knows every case.
        return responses.facts(
            {
                "type": kind,
                "call_id": payload.call_id,
                "name": payload.name,
                "role": payload.role,
                "status": payload.status,
                "execution": payload.execution,
            },
            record.timestamp,
        )
    return responses.facts({"type": kind, "role": payload.role}, record.timestamp)


def synthetic_line(call_id: str, call_kind: str, text: str, timestamp: Any) -> dict[str, Any]:
    line: dict[str, Any] = {}
    if timestamp is not None:
        line["timestamp"] = timestamp
    line["type"] = "response_item"
    line["payload"] = responses.synthetic_output(call_id, call_kind, text)
    return line
