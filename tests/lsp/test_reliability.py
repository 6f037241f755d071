"""Bad input never stops the server, and never leaves stale diagnostics behind."""

from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from .conftest import EXAMPLES, Session
from .editor import position_of

CRASHED = "codex-rollout-crashed.jsonl"


def _change(uri: str, version: int, text: str) -> types.DidChangeTextDocumentParams:
    return types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[
            types.TextDocumentContentChangePartial(
                range=types.Range(
                    start=types.Position(line=0, character=0),
                    end=types.Position(line=0, character=0),
                ),
                text=text,
            )
        ],
    )


async def test_bad_requests_get_errors_and_the_server_keeps_serving(session: Session) -> None:
    editor = session.editor
    uri = editor.open(session.copy_example(CRASHED))
    # didChange for a document that was never opened, and for one that was closed.
    session.client.text_document_did_change(_change("file:///nowhere/x.jsonl", 2, "x"))
    closed = editor.open_text("untitled:closed.jsonl", "{}\n")
    editor.close(closed)
    session.client.text_document_did_change(_change(closed, 5, "garbage"))
    # Unknown command, wrong arguments, unknown method.
    with pytest.raises(JsonRpcException):
        await session.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="contextLs.nope", arguments=[])
        )
    with pytest.raises(JsonRpcException):
        await session.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="contextLs.normalize", arguments=[1, 2, 3])
        )
    with pytest.raises(JsonRpcException):
        await session.client.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command="contextLs.normalize", arguments=["file:///not/open"]
            )
        )
    with pytest.raises(JsonRpcException):
        await session.client.protocol.send_request_async("contextLs/noSuchMethod", {"a": 1})
    # Positions far outside the document are clamped, not crashed on.
    far = types.Position(line=10_000, character=10_000)
    hover = await session.client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=far)
    )
    assert hover is None
    session.client.protocol.notify(
        "contextLs/toolEvent",
        {"session": uri, "call_id": "c1", "tool": "shell", "phase": "started", "status": None},
    )
    session.client.protocol.notify("contextLs/didChangeActiveEditor", {"uri": uri})
    assert len(await editor.diagnostics(uri)) == 4


async def test_a_version_going_backwards_still_gets_fresh_diagnostics(session: Session) -> None:
    editor = session.editor
    uri = editor.open(session.copy_example(CRASHED))
    assert len(await editor.diagnostics(uri)) == 4
    text = editor.texts[uri]
    last_line = text.rstrip("\n").rfind("\n") + 1
    rng = types.Range(
        start=position_of(text, last_line, editor.encoding),
        end=position_of(text, len(text), editor.encoding),
    )
    # Drop the truncated last line, announcing an older version than the open's.
    edit = types.TextEdit(range=rng, new_text="")
    editor.versions[uri] = -5
    editor.edit(uri, [edit])
    found = await editor.diagnostics(uri)
    assert sorted(str(d.code) for d in found) == ["H001", "H001", "H002"]


async def test_a_hundred_documents_open_at_once(session: Session) -> None:
    editor = session.editor
    source = (EXAMPLES / "native-tools.jsonl").read_text()
    uris = [editor.open_text(f"untitled:doc{n}.jsonl", source, "jsonl") for n in range(100)]
    results = await asyncio.gather(*(editor.diagnostics(uri) for uri in uris))
    assert all(sorted(str(d.code) for d in r) == ["H001", "H002", "H008"] for r in results)
    for uri in uris[:50]:
        editor.close(uri)
    assert len(await editor.diagnostics(uris[-1])) == 3


async def test_quick_edits_leave_no_stale_diagnostics(session: Session) -> None:
    editor = session.editor
    uri = editor.open(session.copy_example(CRASHED))
    for n in range(20):  # faster than the server validates: only the last version counts
        editor.edit(
            uri,
            [
                types.TextEdit(
                    range=types.Range(
                        start=types.Position(line=0, character=0),
                        end=types.Position(line=0, character=0),
                    ),
                    new_text=f'{{"type":"event_msg","payload":{{"n":{n}}}}}\n',
                )
            ],
        )
    found = await editor.diagnostics(uri)
    assert len(found) == 4
    if not editor.pull:
        versions = [p.version for p in editor.published[uri]]
        assert versions[-1] == editor.versions[uri]
        assert versions == sorted(versions)
