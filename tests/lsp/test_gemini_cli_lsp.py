"""A Gemini CLI session log in the editor: diagnostics on the live version of each message
(pending while the agent may still be writing it), quick fixes and Normalize history that
append the repaired message, hover, definition and the outline."""

from __future__ import annotations

import json
import os

from lsprotocol import types

from history._gen_gemini_cli import UNANSWERED_IN_CONTENT

from .conftest import Session, Start

EXAMPLE = "gemini-cli-session.jsonl"
SHELL = "run_shell_command-1770801262448-9c8b7a6d5e4f3"  # the call left without a result
COUNT_ERROR = "function response parts is equal to the number of function call parts"
WHOLE = types.Range(
    start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)
)


def _codes(found: list[types.Diagnostic]) -> list[tuple[int, str, types.DiagnosticSeverity | None]]:
    return sorted((d.range.start.line, str(d.code), d.severity) for d in found)


async def test_diagnostics_sit_on_the_live_versions(session: Session) -> None:
    editor = session.editor
    uri = editor.open(session.copy_example(EXAMPLE))
    found = await editor.diagnostics(uri)
    error = types.DiagnosticSeverity.Error
    # Line 3 (a call of a rewound message) and line 10 (an older version) are not reported.
    assert _codes(found) == [(6, "H002", error), (12, "H001", error)]
    assert all(COUNT_ERROR in d.message for d in found)


async def test_a_fresh_log_is_pending_until_the_grace_is_over(start: Start) -> None:
    session = await start({"pendingGraceSeconds": 30})
    editor = session.editor
    uri = editor.open(session.copy_example(EXAMPLE, fresh=True))
    found = await editor.diagnostics(uri)
    pending = [d for d in found if d.code == "H001"]
    assert [(d.severity, (d.data or {})["pending"]) for d in pending] == [
        (types.DiagnosticSeverity.Information, True)
    ]
    assert "waiting for output" in pending[0].message
    # The orphan is wrong whatever the agent does next.
    assert [d.severity for d in found if d.code == "H002"] == [types.DiagnosticSeverity.Error]


async def test_quick_fixes_append_the_repaired_message(session: Session) -> None:
    editor = session.editor
    uri = editor.open(session.copy_example(EXAMPLE))
    original = editor.texts[uri]
    for _ in range(3):
        if not await editor.fix_one(uri):
            break
        assert editor.texts[uri].startswith(original)
    assert await editor.diagnostics(uri) == []
    assert len(editor.texts[uri].splitlines()) == len(original.splitlines()) + 2


async def test_normalize_history_command(session: Session) -> None:
    editor = session.editor
    uri = editor.open(session.copy_example(EXAMPLE))
    original = editor.texts[uri]
    await editor.settle(uri)
    actions = await editor.code_actions(uri, WHOLE, only=[types.CodeActionKind.SourceFixAll])
    assert [a.title for a in actions] == ["Normalize history"]
    assert actions[0].command is not None
    result = await editor.run(actions[0].command)
    assert result["applied"] is True
    assert editor.texts[uri].startswith(original)
    assert '"status":"cancelled"' in editor.texts[uri][len(original) :]
    assert await editor.diagnostics(uri) == []


async def test_trim_action_appends_a_checkpoint(start: Start) -> None:
    """The trim code action on the log keeps every line and appends one `$set.messages`
    line with the last live messages (from a prompt on)."""
    session = await start({"trimKeep": 2})
    editor = session.editor
    uri = editor.open(session.copy_example(EXAMPLE))
    original = editor.texts[uri]
    await editor.settle(uri)
    rewrite = types.CodeActionKind.RefactorRewrite
    actions = await editor.code_actions(uri, WHOLE, only=[rewrite])
    assert [a.title for a in actions] == ["Trim history to the last 2 items"]
    assert actions[0].command is not None
    result = await editor.run(actions[0].command)
    assert result["applied"] is True
    after = editor.texts[uri]
    assert after.startswith(original)
    assert len(after.splitlines()) == len(original.splitlines()) + 1
    assert '{"$set":{"messages":[' in after.splitlines()[-1]
    # The orphan was in a message the checkpoint leaves out; the unanswered call is kept.
    assert [d.code for d in await editor.diagnostics(uri)] == ["H001"]


async def test_hover_definition_and_outline(session: Session) -> None:
    editor = session.editor
    uri = editor.open(session.copy_example(EXAMPLE))
    await editor.settle(uri)
    doc = types.TextDocumentIdentifier(uri=uri)
    at = editor.find(uri, f'"id":"{SHELL}"')
    on_call = types.Position(line=at.line, character=at.character + 8)
    hover = await session.client.text_document_hover_async(
        types.HoverParams(text_document=doc, position=on_call)
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert "run_shell_command" in hover.contents.value
    assert "pytest -q tests/test_cli.py" in hover.contents.value
    assert "Output: **none**" in hover.contents.value
    read = "read_file-1770801240101-1a2b3c4d5e6f7"
    at = editor.find(uri, f'"id":"{read}"')
    to_output = await session.client.text_document_definition_async(
        types.DefinitionParams(
            text_document=doc, position=types.Position(line=at.line, character=at.character + 8)
        )
    )
    assert isinstance(to_output, list) and [loc.range.start.line for loc in to_output] == [6]
    symbols = await editor.symbols(uri)
    names = {c.name for s in symbols or [] for c in (s.children or [])}
    assert {"run_shell_command", "read_file", "list_directory"} <= names


async def test_a_call_written_only_in_content_is_diagnosed_and_fixed(session: Session) -> None:
    """After `/compress` the CLI writes calls as parts of a message's `content`: one never
    answered is an H001, and its quick fix writes the response after it."""
    path = session.workspace / "session-2026-06-01T10-00-0d3f6c1e.json"
    path.write_text(json.dumps(UNANSWERED_IN_CONTENT, indent=2), encoding="utf-8")
    os.utime(path, (1_700_000_000, 1_700_000_000))
    editor = session.editor
    uri = editor.open(path)
    found = await editor.diagnostics(uri)
    assert [(str(d.code), COUNT_ERROR in d.message) for d in found] == [("H001", True)]
    actions = await editor.code_actions(uri, found[0].range, found, [types.CodeActionKind.QuickFix])
    assert actions and actions[0].edit is not None
    assert editor.apply_workspace_edit(actions[0].edit)
    fixed = json.loads(editor.texts[uri])["messages"]
    assert [m["id"] for m in fixed] == ["u1", "g1", "g1_response", "g2"]
    assert await editor.diagnostics(uri) == []
