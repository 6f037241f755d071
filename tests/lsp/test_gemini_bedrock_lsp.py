"""Gemini API contents and Bedrock Converse bodies in the editor: diagnostics on the turns
and messages the faults are in, quoting the provider; quick fixes one at a time and
Normalize history until nothing is left (call parts and thoughtSignature untouched); hover,
definition and the outline."""

from __future__ import annotations

import pytest
from lsprotocol import types

from .conftest import Session

GEMINI = "gemini-api-contents.json"
BEDROCK = "bedrock-converse-messages.json"
WHOLE = types.Range(
    start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)
)
ANSWERS = {
    GEMINI: "number of function response parts is equal to the number of function call parts",
    BEDROCK: "toolResult blocks",
}


async def test_gemini_diagnostics_sit_on_their_ids_or_turns(session: Session) -> None:
    editor = session.editor
    uri = editor.open(session.copy_example(GEMINI))
    lines = editor.texts[uri].split("\n")
    found = await editor.diagnostics(uri)
    assert sorted(str(d.code) for d in found) == ["H001", "H002", "H004", "H006"]
    for diagnostic in found:
        call_id = diagnostic.data["call_id"]
        at = lines[diagnostic.range.start.line][diagnostic.range.start.character :]
        if call_id.startswith("turn "):  # a part without an id: the turn that holds it
            assert at == "{" and diagnostic.code == "H001"
            turn = "\n".join(lines[diagnostic.range.start.line : diagnostic.range.end.line])
            assert '"name": "list_commits"' in turn
        else:  # the response's id
            assert at.startswith(f'"{call_id}"'), (diagnostic.code, at)
    assert all(d.severity == types.DiagnosticSeverity.Error for d in found)
    assert all(ANSWERS[GEMINI] in d.message for d in found if d.code != "H004")


async def test_bedrock_diagnostics_quote_bedrock(session: Session) -> None:
    editor = session.editor
    uri = editor.open(session.copy_example(BEDROCK))
    found = await editor.diagnostics(uri)
    assert sorted(str(d.code) for d in found) == ["H001", "H002", "H004", "H006"]
    h001 = next(d for d in found if d.code == "H001")
    assert "Expected toolResult blocks at messages.8.content" in h001.message


@pytest.mark.parametrize("name", [GEMINI, BEDROCK])
async def test_quick_fixes_one_at_a_time_leave_nothing(session: Session, name: str) -> None:
    editor = session.editor
    uri = editor.open(session.copy_example(name))
    signatures = [line for line in editor.texts[uri].splitlines() if "thoughtSignature" in line]
    for _ in range(6):
        if not await editor.fix_one(uri):
            break
    assert await editor.diagnostics(uri) == []
    lines = editor.texts[uri].splitlines()
    assert all(line in lines for line in signatures)


@pytest.mark.parametrize("name", [GEMINI, BEDROCK])
async def test_normalize_history_leaves_nothing(session: Session, name: str) -> None:
    editor = session.editor
    uri = editor.open(session.copy_example(name))
    await editor.settle(uri)
    actions = await editor.code_actions(uri, WHOLE, only=[types.CodeActionKind.SourceFixAll])
    assert [a.title for a in actions] == ["Normalize history"]
    assert actions[0].command is not None
    result = await editor.run(actions[0].command)
    assert result["applied"] is True
    assert await editor.diagnostics(uri) == []
    assert "Tool execution was interrupted" in editor.texts[uri]


async def test_hover_and_definition_on_a_gemini_call(session: Session) -> None:
    editor = session.editor
    uri = editor.open(session.copy_example(GEMINI))
    await editor.settle(uri)
    doc = types.TextDocumentIdentifier(uri=uri)
    call_id = "pyd_ai_5f0c2e7a91b44d2c8e3a6b1f0d9c7e21"
    at = editor.find(uri, f'"{call_id}"')
    on_call = types.Position(line=at.line, character=at.character + 5)
    hover = await session.client.text_document_hover_async(
        types.HoverParams(text_document=doc, position=on_call)
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert "**get_ci_run**" in hover.contents.value and "billing-service" in hover.contents.value
    assert "Output: ok" in hover.contents.value and "failed_step" in hover.contents.value
    to_output = await session.client.text_document_definition_async(
        types.DefinitionParams(text_document=doc, position=on_call)
    )
    assert isinstance(to_output, list) and [loc.range.start.line for loc in to_output] == [
        editor.find(uri, f'"{call_id}"', 1).line  # the response's id
    ]


async def test_hover_on_a_bedrock_call_without_a_result(session: Session) -> None:
    editor = session.editor
    uri = editor.open(session.copy_example(BEDROCK))
    await editor.settle(uri)
    at = editor.find(uri, '"tooluse_Nx8cV1bM4nQ7wE0rT3yU6i"')  # run_sql's toolUseId
    hover = await session.client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=at.line, character=at.character + 3),
        )
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert "**run_sql**" in hover.contents.value and "EXPLAIN ANALYZE" in hover.contents.value
    assert "Output: **none**" in hover.contents.value


@pytest.mark.parametrize(
    ("name", "tools"),
    [
        (GEMINI, {"get_ci_run", "read_log", "list_commits", "apply_patch"}),
        (BEDROCK, {"get_cloudwatch_metrics", "describe_db_events", "run_sql"}),
    ],
)
async def test_the_outline_lists_the_calls(session: Session, name: str, tools: set[str]) -> None:
    editor = session.editor
    uri = editor.open(session.copy_example(name))
    symbols = await editor.symbols(uri)
    names = {c.name for s in symbols or [] for c in (s.children or [])}
    assert tools <= names
