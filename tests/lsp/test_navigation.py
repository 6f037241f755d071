"""Hover, definition both ways, references and document symbols on call/output ids."""

from __future__ import annotations

from lsprotocol import types

from .conftest import Session

CALL = "call_oDDW77owJ4Fy5kixY4zPhs7W"  # openai-responses-input.json: a call with one output


def _doc(uri: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=uri)


def _inside(position: types.Position, offset: int = 3) -> types.Position:
    return types.Position(line=position.line, character=position.character + offset)


async def _open(session: Session) -> tuple[str, types.Position, types.Position]:
    editor = session.editor
    uri = editor.open(session.copy_example("openai-responses-input.json"))
    await editor.settle(uri)
    call_at = _inside(editor.find(uri, f'"{CALL}"', 0))
    output_at = _inside(editor.find(uri, f'"{CALL}"', 1))
    return uri, call_at, output_at


def _line_of(session: Session, uri: str, line: int) -> str:
    return session.editor.texts[uri].split("\n")[line]


async def test_definition_goes_both_ways(session: Session) -> None:
    uri, call_at, output_at = await _open(session)
    to_call = await session.client.text_document_definition_async(
        types.DefinitionParams(text_document=_doc(uri), position=output_at)
    )
    assert isinstance(to_call, list) and len(to_call) == 1
    assert to_call[0].range.start.line == call_at.line
    to_output = await session.client.text_document_definition_async(
        types.DefinitionParams(text_document=_doc(uri), position=call_at)
    )
    assert isinstance(to_output, list) and len(to_output) == 1
    assert to_output[0].range.start.line == output_at.line
    # The range is the id string itself.
    target = to_output[0].range
    assert (
        CALL
        in _line_of(session, uri, target.start.line)[target.start.character : target.end.character]
    )


async def test_references_list_the_call_and_its_outputs(session: Session) -> None:
    uri, call_at, output_at = await _open(session)
    refs = await session.client.text_document_references_async(
        types.ReferenceParams(
            text_document=_doc(uri),
            position=output_at,
            context=types.ReferenceContext(include_declaration=True),
        )
    )
    assert refs is not None
    assert sorted(r.range.start.line for r in refs) == sorted([call_at.line, output_at.line])
    without = await session.client.text_document_references_async(
        types.ReferenceParams(
            text_document=_doc(uri),
            position=call_at,
            context=types.ReferenceContext(include_declaration=False),
        )
    )
    assert without is not None and [r.range.start.line for r in without] == [output_at.line]


async def test_hover_on_a_call_and_on_an_output(session: Session) -> None:
    uri, call_at, output_at = await _open(session)
    on_call = await session.client.text_document_hover_async(
        types.HoverParams(text_document=_doc(uri), position=call_at)
    )
    assert on_call is not None and isinstance(on_call.contents, types.MarkupContent)
    text = on_call.contents.value
    assert CALL in text and "Output:" in text and "Arguments:" in text
    on_output = await session.client.text_document_hover_async(
        types.HoverParams(text_document=_doc(uri), position=output_at)
    )
    assert on_output is not None and isinstance(on_output.contents, types.MarkupContent)
    assert "Output of" in on_output.contents.value and "Arguments:" in on_output.contents.value
    nothing = await session.client.text_document_hover_async(
        types.HoverParams(text_document=_doc(uri), position=types.Position(line=0, character=0))
    )
    assert nothing is None


async def test_document_symbols_outline_turns_and_calls(session: Session) -> None:
    editor = session.editor
    uri = editor.open(session.copy_example("codex-rollout-crashed.jsonl"))
    symbols = await editor.symbols(uri)
    assert symbols and all(isinstance(s, types.DocumentSymbol) for s in symbols)
    turns = [s for s in symbols if s.name.startswith("Turn ")]
    assert len(turns) >= 2
    calls = [c for s in symbols for c in s.children or []]
    assert len(calls) == 7
    details = sorted(c.detail or "" for c in calls)
    assert sum("missing output" in d for d in details) == 2
    assert sum(d.startswith("ok") for d in details) == 5
    assert {c.name for c in calls} >= {"read_file", "apply_patch"}


async def test_hover_shows_the_time_to_output(session: Session) -> None:
    editor = session.editor
    uri = editor.open(session.copy_example("codex-rollout-crashed.jsonl"))
    await editor.settle(uri)
    at = _inside(editor.find(uri, '"call_id":"call_', 0), 14)
    hover = await session.client.text_document_hover_async(
        types.HoverParams(text_document=_doc(uri), position=at)
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert "**shell**" in hover.contents.value
    assert "Time to output: 0.6 s" in hover.contents.value
    assert "test_accented_input" in hover.contents.value  # the output's first line
