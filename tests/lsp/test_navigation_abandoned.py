"""Hover and definition leave out what is never sent again (a superseded version of a
Gemini CLI message, a rewound message, a Claude Code branch left by a rewind), and say
what it is when the cursor is on it."""

from __future__ import annotations

from lsprotocol import types

from history._gen_abandoned import CLAUDE_BRANCH, GEMINI_LOG

from .conftest import Session


async def _open(session: Session, name: str, data: bytes) -> str:
    path = session.workspace / name
    path.write_bytes(data)
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
    uri = await _open(session, "session-2026-03-01T10-00-abandoned.jsonl", GEMINI_LOG)
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


async def test_a_claude_code_branch_left_by_a_rewind(session: Session) -> None:
    """The same call id on the branch left behind and on the live path (a retried turn):
    the live call's hover shows only the live result."""
    uri = await _open(session, "branch.jsonl", CLAUDE_BRANCH)
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


async def test_the_outline_and_the_code_lens_leave_out_what_is_never_sent_again(
    session: Session,
) -> None:
    """The Gemini log's outline lists c1 once (its live version, answered) and not c2 (its
    message was rewound); the code lens counts one call."""
    uri = await _open(session, "session-2026-03-01T10-00-abcd1234.jsonl", GEMINI_LOG)
    symbols = await session.editor.symbols(uri)
    calls = [
        (child.detail, child.selection_range.start.line)
        for symbol in symbols
        for child in symbol.children or []
    ]
    assert [detail.split(" · ")[-1] for detail, _ in calls] == ["c1"]
    assert calls[0][1] == 3  # the live version's line (0-based), not the superseded one
    lenses = await session.client.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert lenses and lenses[0].command is not None
    assert lenses[0].command.title.startswith("1 call · ")
