"""Hover and definition leave out what is never sent again (a superseded version of a
Gemini CLI message, a rewound message, a Claude Code branch left by a rewind), and say
what it is when the cursor is on it."""

from __future__ import annotations

import json

from lsprotocol import types

from history._gen_gemini_cli import SESSION, tool_call

from .conftest import Session


def _line(value: object) -> str:
    return json.dumps(value, separators=(",", ":")) + "\n"


def _message(message_id: str, kind: str, *calls: dict[str, object]) -> dict[str, object]:
    found: dict[str, object] = {"id": message_id, "timestamp": "2026-03-01T10:00:00Z",
                                "type": kind, "content": "" if calls else "go"}  # fmt: skip
    if calls:
        found["toolCalls"] = list(calls)
    return found


# Line 2: c1 waiting (superseded by line 3, where it has its result); line 5: c2 of a
# message the rewind on line 6 drops.
LOG = "".join(
    _line(value)
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


async def _open(session: Session, name: str, text: str) -> str:
    path = session.workspace / name
    path.write_text(text, encoding="utf-8")
    uri = session.editor.open(path)
    await session.editor.settle(uri)
    return uri


async def _hover(session: Session, uri: str, at: types.Position) -> str:
    hover = await session.client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=at)
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    return hover.contents.value


async def _definition(session: Session, uri: str, at: types.Position) -> list[int]:
    found = await session.client.text_document_definition_async(
        types.DefinitionParams(text_document=types.TextDocumentIdentifier(uri=uri), position=at)
    )
    assert isinstance(found, list)
    return sorted(location.range.start.line for location in found)


def _on(session: Session, uri: str, needle: str, nth: int) -> types.Position:
    at = session.editor.find(uri, needle, nth)
    return types.Position(line=at.line, character=at.character + 2)


async def test_a_superseded_version_and_a_rewound_message(session: Session) -> None:
    uri = await _open(session, "session-2026-03-01T10-00-abandoned.jsonl", LOG)
    assert [d.code for d in await session.editor.diagnostics(uri)] == []
    old_call, live_call = _on(session, uri, '"c1"', 0), _on(session, uri, '"c1"', 1)
    assert (old_call.line, live_call.line) == (2, 3)
    # The live call: its one output, nothing of the version before.
    shown = await _hover(session, uri, live_call)
    assert "**read_file**" in shown and shown.count("Output:") == 1
    assert "contents of file 1" in shown and "superseded" not in shown
    assert await _definition(session, uri, live_call) == [3]
    # On the superseded version itself: what it is, and definition goes to the live one.
    shown = await _hover(session, uri, old_call)
    assert "superseded by a later version at line 4" in shown and "**read_file**" in shown
    assert await _definition(session, uri, old_call) == [3]
    # A call of a rewound message: said so; definition stays within what was left.
    dropped = _on(session, uri, '"c2"', 0)
    shown = await _hover(session, uri, dropped)
    assert "dropped by a rewind" in shown
    assert await _definition(session, uri, dropped) == [5]


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


async def test_a_claude_code_branch_left_by_a_rewind(session: Session) -> None:
    """The same call id on the branch left behind and on the live path (a retried turn):
    the live call's hover shows only the live result."""
    transcript = "".join(
        _line(value)
        for value in (
            _claude("u1", None, "user", "go"),
            _claude("a1", "u1", "assistant", _use("toolu_1")),
            _claude("r1", "a1", "user", _result("toolu_1", "first try output")),
            _claude("a2", "u1", "assistant", _use("toolu_1")),
            _claude("r2", "a2", "user", _result("toolu_1", "second try output")),
        )
    )
    uri = await _open(session, "branch.jsonl", transcript)
    assert [d.code for d in await session.editor.diagnostics(uri)] == []
    live = _on(session, uri, '"toolu_1"', 2)
    assert live.line == 3
    shown = await _hover(session, uri, live)
    assert "second try output" in shown and "first try output" not in shown
    assert await _definition(session, uri, live) == [4]
    left = _on(session, uri, '"toolu_1"', 0)
    shown = await _hover(session, uri, left)
    assert "on a branch left by a rewind" in shown
    assert await _definition(session, uri, left) == [2]  # its own result, on the branch
