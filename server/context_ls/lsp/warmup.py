"""cattrs writes the code that (un)structures a message type the first time it meets the
type: a few milliseconds each, which the user's first keystroke and first diagnostics
would pay. The server pays them at start instead, for the messages of that hot path."""

from __future__ import annotations

import json
from typing import Any

from lsprotocol import types
from pygls.protocol import JsonRPCProtocol

_POSITION = {"line": 1, "character": 0}
_RANGE = {"start": _POSITION, "end": _POSITION}
_DOCUMENT = {"uri": "file:///warm-up.jsonl"}

INCOMING: list[dict[str, Any]] = [
    {
        "method": types.TEXT_DOCUMENT_DID_OPEN,
        "params": {"textDocument": {**_DOCUMENT, "languageId": "jsonl", "version": 1, "text": ""}},
    },
    {
        "method": types.TEXT_DOCUMENT_DID_CHANGE,
        "params": {
            "textDocument": {**_DOCUMENT, "version": 2},
            "contentChanges": [{"range": _RANGE, "text": "x"}, {"text": ""}],
        },
    },
    {"id": 1, "method": types.TEXT_DOCUMENT_DIAGNOSTIC, "params": {"textDocument": _DOCUMENT}},
    {
        "id": 2,
        "method": types.TEXT_DOCUMENT_CODE_ACTION,
        "params": {"textDocument": _DOCUMENT, "range": _RANGE, "context": {"diagnostics": []}},
    },
]


def _diagnostic() -> types.Diagnostic:
    location = types.Location(
        uri=_DOCUMENT["uri"],
        range=types.Range(
            start=types.Position(line=1, character=0), end=types.Position(line=1, character=0)
        ),
    )
    return types.Diagnostic(
        range=location.range,
        message="warm-up",
        severity=types.DiagnosticSeverity.Error,
        code="H001",
        code_description=types.CodeDescription(href="https://example.invalid/#h001"),
        source="context-ls",
        related_information=[types.DiagnosticRelatedInformation(location, "warm-up")],
        data={"call_id": "call_0", "code": "H001", "fixable": True, "pending": False},
    )


def warm_up(protocol: JsonRPCProtocol) -> None:
    """Structure the incoming and unstructure the outgoing messages of a keystroke once."""
    for message in INCOMING:
        protocol.structure_message({"jsonrpc": "2.0", **message})
    diagnostic = _diagnostic()
    outgoing: list[object] = [
        types.PublishDiagnosticsNotification(
            params=types.PublishDiagnosticsParams(
                uri=_DOCUMENT["uri"], diagnostics=[diagnostic], version=1
            )
        ),
        types.DocumentDiagnosticResponse(
            id=1,
            result=types.RelatedFullDocumentDiagnosticReport(items=[diagnostic], result_id="1"),
        ),
    ]
    for sent in outgoing:
        json.dumps(sent, default=protocol._serialize_message)
