"""Gemini CLI sessions: calls and responses written as parts of a message's `content` (the
CLI records each batch of tool responses as a `user` message of `functionResponse` parts,
and `/compress` rewrites the history so), and the repair of a call whose status the CLI
already recorded."""

from __future__ import annotations

import json

import pytest

from context_ls.history.api import analyze, normalize_bytes
from context_ls.history.dialects import gemini_cli_fix

from ._checks import codes

SESSION = {"sessionId": "s-1", "projectHash": "h", "startTime": "2026-03-01T10:00:00Z"}


def _message(message_id: str, kind: str, content: object, **more: object) -> dict[str, object]:
    return {"id": message_id, "timestamp": "2026-03-01T10:00:00Z", "type": kind,
            "content": content, **more}  # fmt: skip


def _document(*messages: dict[str, object]) -> bytes:
    return json.dumps({**SESSION, "messages": list(messages)}, indent=2).encode()


def _log(*messages: dict[str, object]) -> bytes:
    lines = [SESSION, *messages]
    return b"".join(json.dumps(m, separators=(",", ":")).encode() + b"\n" for m in lines)


PROMPT = _message("u1", "user", [{"text": "read it"}])


@pytest.mark.parametrize("status", ["success", "error"])
def test_a_finished_call_without_a_result_keeps_its_status(status: str) -> None:
    call = {"id": "c1", "name": "read_file", "args": {}, "status": status}
    data = _document(PROMPT, _message("g1", "gemini", "", toolCalls=[call]))
    assert codes(analyze(data)) == [("H001", "c1")]
    fixed = json.loads(normalize_bytes(data))["messages"][1]["toolCalls"][0]
    assert fixed["status"] == status
    response = fixed["result"][0]["functionResponse"]
    assert response["id"] == "c1" and response["response"] == {"error": gemini_cli_fix.LOST_TEXT}


def test_a_call_without_a_status_is_cancelled() -> None:
    call = {"id": "c1", "name": "read_file", "args": {}}
    data = _document(PROMPT, _message("g1", "gemini", "", toolCalls=[call]))
    fixed = json.loads(normalize_bytes(data))["messages"][1]["toolCalls"][0]
    assert fixed["status"] == "cancelled"
    assert fixed["result"][0]["functionResponse"]["response"] == {
        "error": gemini_cli_fix.DEFAULT_TEXT
    }
