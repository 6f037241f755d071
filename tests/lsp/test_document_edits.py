"""Typing in an open JSON document: the server re-reads only the record an edit falls in,
and its diagnostics are always those of a fresh analysis of the same text; a big document
shows its findings before the secrets scan and adds H010 right after."""

from __future__ import annotations

import json

from lsprotocol import types

from context_ls.history.analyzer import QUICK_MIN_BYTES
from context_ls.history.api import analyze

from .conftest import Session

SECRET = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9"  # a GitHub token's shape


def _found(diagnostics: list[types.Diagnostic]) -> list[tuple[str, int, int, str | None]]:
    return sorted(
        (str(d.code), d.range.start.line, d.range.start.character, (d.data or {}).get("call_id"))
        for d in diagnostics
    )


def _expected(session: Session, uri: str) -> list[tuple[str, int, str | None]]:
    """What a fresh analysis of the editor's text finds: (code, line, call id)."""
    data = session.editor.texts[uri].encode()
    analysis = analyze(data)
    return sorted(
        (f.code, analysis.lines.position(f.span.start).line, f.call_id) for f in analysis.findings
    )


async def test_typing_in_a_document_gives_the_findings_of_a_fresh_read(session: Session) -> None:
    editor = session.editor
    uri = editor.open(session.copy_example("openai-chat-messages.json"))
    first = await editor.diagnostics(uri)
    assert first
    # A character typed inside a message's text, then a quote that unbalances the string
    # (the rest of the document no longer reads), then both taken back.
    where = editor.find(uri, "What is eating")
    steps = [
        types.TextEdit(range=types.Range(start=where, end=where), new_text="x"),
        types.TextEdit(range=types.Range(start=where, end=where), new_text='"'),
        types.TextEdit(
            range=types.Range(
                start=where,
                end=types.Position(line=where.line, character=where.character + 2),
            ),
            new_text="",
        ),
    ]
    for step in steps:
        editor.edit(uri, [step])
        found = await editor.diagnostics(uri)
        assert [(c, line, i) for c, line, _, i in _found(found)] == _expected(session, uri)
    assert _found(await editor.diagnostics(uri)) == _found(first)


async def test_a_big_document_shows_its_secret_after_its_other_findings(
    session: Session,
) -> None:
    """Above `QUICK_MIN_BYTES` the first look skips the secrets scan; the full read adds
    H010 to the same diagnostics."""
    messages: list[dict[str, object]] = [{"role": "system", "content": f"token {SECRET}"}]
    n = size = 0
    while size < QUICK_MIN_BYTES:
        size += 800
        call = f"call_{n:06d}"
        messages.append(
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": call, "type": "function", "function": {"name": "f", "arguments": "{}"}}
                ],
            }
        )
        if n % 50:
            messages.append({"role": "tool", "tool_call_id": call, "content": "ok " * 200})
        n += 1
    path = session.workspace / "big-chat.json"
    path.write_text(json.dumps({"messages": messages}, indent=2))
    assert path.stat().st_size > QUICK_MIN_BYTES
    editor = session.editor
    uri = editor.open(path)
    found = await editor.diagnostics(uri)
    codes = sorted({str(d.code) for d in found})
    assert codes == ["H001", "H010"]
    assert [(c, line, i) for c, line, _, i in _found(found)] == _expected(session, uri)
