"""Histories with abandoned rows, for the hover, definition and timeline tests: a Gemini
CLI log with a superseded version and a rewound message, a Claude Code transcript with a
branch left by a rewind that used the same call id as the live path."""

from __future__ import annotations

import json

from ._gen_gemini_cli import SESSION, tool_call


def line(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode() + b"\n"


def _message(message_id: str, kind: str, *calls: dict[str, object]) -> dict[str, object]:
    found: dict[str, object] = {"id": message_id, "timestamp": "2026-03-01T10:00:00Z",
                                "type": kind, "content": "" if calls else "go"}  # fmt: skip
    if calls:
        found["toolCalls"] = list(calls)
    return found


# Line 3: c1 waiting, superseded by line 4 where it has its result; line 6: c2 of a message
# the rewind on line 7 drops (with the prompt on line 5); line 8: the prompt after it.
GEMINI_LOG = b"".join(
    line(value)
    for value in (
        SESSION,
        _message("u-0", "user"),
        _message("g-0", "gemini", tool_call("c1", "no-result", 1)),
        _message("g-0", "gemini", tool_call("c1", "ok", 1)),
        _message("u-1", "user"),
        _message("g-1", "gemini", tool_call("c2", "ok", 2)),
        {"$rewindTo": "u-1"},
        _message("u-2", "user"),
    )
)


def _claude(uuid: str, parent: str | None, role: str, content: object) -> dict[str, object]:
    message: dict[str, object] = {"role": role, "content": content}
    if role == "assistant":
        message["id"] = f"m-{uuid}"
    return {"type": role, "uuid": uuid, "parentUuid": parent, "sessionId": "s",
            "timestamp": "2026-03-01T10:00:00Z", "message": message}  # fmt: skip


def _use(call_id: str) -> list[dict[str, object]]:
    return [{"type": "tool_use", "id": call_id, "name": "Bash", "input": {"command": "ls"}}]


def _result(call_id: str, text: str) -> list[dict[str, object]]:
    return [{"type": "tool_result", "tool_use_id": call_id, "content": text}]


# Lines 2-3: the first try (left behind); lines 4-5: the retry from the same prompt.
CLAUDE_BRANCH = b"".join(
    line(value)
    for value in (
        _claude("u1", None, "user", "go"),
        _claude("a1", "u1", "assistant", _use("toolu_1")),
        _claude("r1", "a1", "user", _result("toolu_1", "first try output")),
        _claude("a2", "u1", "assistant", _use("toolu_1")),
        _claude("r2", "a2", "user", _result("toolu_1", "second try output")),
    )
)


# A call left on a branch (line 2) whose result was written late (line 5), after the live
# path went on from the same prompt.
CLAUDE_LATE_RESULT = b"".join(
    line(value)
    for value in (
        _claude("u1", None, "user", "go"),
        _claude("a1", "u1", "assistant", _use("toolu_x")),
        _claude("a2", "u1", "assistant", [{"type": "text", "text": "hi"}]),
        _claude("u2", "a2", "user", "more"),
        _claude("r1", "a1", "user", _result("toolu_x", "late")),
        _claude("a3", "u2", "assistant", [{"type": "text", "text": "ok"}]),
        _claude("u3", "a3", "user", "again"),
        _claude("a4", "u3", "assistant", [{"type": "text", "text": "done"}]),
    )
)
