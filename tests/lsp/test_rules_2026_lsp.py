"""H011 results-not-first and H012 empty-text in the editor: diagnostics where the fault is,
linked to the rule page; each quick fix removes its finding and leaves the thinking blocks;
a finding without a fix offers none."""

from __future__ import annotations

import json
from typing import Any

from lsprotocol import types

from context_ls.history.rules import RULES

from .conftest import Session

THINK = {"type": "thinking", "thinking": "Read it first.", "signature": "EqQBCkYIBxgCKkDsig=="}


def _use(call_id: str) -> dict[str, Any]:
    return {"type": "tool_use", "id": call_id, "name": "bash", "input": {"command": "ls"}}


def _result(call_id: str) -> dict[str, Any]:
    return {"type": "tool_result", "tool_use_id": call_id, "content": "README.md"}


def _text(value: str) -> dict[str, Any]:
    return {"type": "text", "text": value}


async def _fix(session: Session, uri: str, diagnostic: types.Diagnostic) -> types.CodeAction:
    actions = await session.editor.code_actions(
        uri, diagnostic.range, [diagnostic], [types.CodeActionKind.QuickFix]
    )
    assert actions, f"no quick fix for {diagnostic.code}"
    return actions[0]


async def test_the_example_shows_h011_and_h012_and_their_fixes_repair_it(session: Session) -> None:
    editor = session.editor
    uri = editor.open(session.copy_example("anthropic-blocks.json"))
    original = editor.texts[uri]
    found = {str(d.code): d for d in await editor.diagnostics(uri)}
    assert sorted(found) == ["H011", "H012"]
    h011, h012 = found["H011"], found["H012"]
    # H011 sits on the first result's id; H012 on the empty block itself
    assert h011.range.start == editor.find(uri, '"toolu_01HqN4vX8bTz2KcR7mWfJd3E"', 1)
    assert h012.range.start == editor.find(
        uri, '{\n          "type": "text",\n          "text": ""'
    )
    links = session.declares("code_description_support")
    for code, diagnostic in found.items():
        href = diagnostic.code_description.href if diagnostic.code_description else None
        assert href == (RULES[code].url if links else None)
        assert diagnostic.data["fixable"] is True
    assert "must begin with its results" in h011.message
    assert "text content blocks must be non-empty" in h012.message
    for code in ("H011", "H012"):
        target = next(d for d in await editor.diagnostics(uri) if str(d.code) == code)
        fix = await _fix(session, uri, target)
        assert fix.title == RULES[code].fix_title
        assert fix.is_preferred and fix.edit is not None
        assert editor.apply_workspace_edit(fix.edit)
        assert code not in {str(d.code) for d in await editor.diagnostics(uri)}
    assert await editor.diagnostics(uri) == []
    fixed = json.loads(editor.texts[uri])["messages"]
    before = json.loads(original)["messages"]
    assert [b["type"] for b in fixed[2]["content"]] == ["tool_result", "tool_result", "text"]
    assert fixed[4]["content"] == before[4]["content"][:1]
    # every thinking block as it was
    assert [m for m in fixed if m["role"] == "assistant"] == [
        m for m in before if m["role"] == "assistant"
    ]


async def test_h012_without_a_fix_offers_none_and_says_why(session: Session) -> None:
    messages = [
        {"role": "user", "content": "go"},
        {"role": "assistant", "content": [_use("toolu_A")]},
        {"role": "user", "content": [_result("toolu_A")]},
        # the latest assistant message thinks: its blank block stays
        {"role": "assistant", "content": [THINK, _text(""), _text("Done.")]},
    ]
    path = session.workspace / "request.json"
    path.write_text(json.dumps({"messages": messages}, indent=2), encoding="utf-8")
    editor = session.editor
    uri = editor.open(path)
    [diagnostic] = await editor.diagnostics(uri)
    assert str(diagnostic.code) == "H012" and diagnostic.data["fixable"] is False
    assert "thinking blocks the API wants exactly as they were" in diagnostic.message
    actions = await editor.code_actions(
        uri, diagnostic.range, [diagnostic], [types.CodeActionKind.QuickFix]
    )
    assert actions == []


async def test_a_claude_code_result_line_is_fixed_in_place(session: Session) -> None:
    base = {"sessionId": "s1", "version": "2.1.38", "isSidechain": False}
    lines = [
        {
            **base,
            "type": "user",
            "uuid": "u1",
            "parentUuid": None,
            "message": {"role": "user", "content": "go"},
        },
        {
            **base,
            "type": "assistant",
            "uuid": "a1",
            "parentUuid": "u1",
            "message": {"id": "msg_1", "role": "assistant", "content": [_use("toolu_A")]},
        },
        {
            **base,
            "type": "user",
            "uuid": "r1",
            "parentUuid": "a1",
            "sourceToolAssistantUUID": "a1",
            "toolUseResult": {"stdout": "README.md", "stderr": ""},
            "message": {"role": "user", "content": [_text("Ran:"), _result("toolu_A")]},
        },
        {
            **base,
            "type": "assistant",
            "uuid": "a2",
            "parentUuid": "r1",
            "message": {"id": "msg_2", "role": "assistant", "content": [_text("Done.")]},
        },
    ]
    path = session.workspace / "session.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    editor = session.editor
    uri = editor.open(path, "jsonl")
    [diagnostic] = await editor.diagnostics(uri)
    assert str(diagnostic.code) == "H011" and diagnostic.range.start.line == 2
    fix = await _fix(session, uri, diagnostic)
    assert fix.edit is not None and editor.apply_workspace_edit(fix.edit)
    after = editor.texts[uri].splitlines()
    before = [json.dumps(line) for line in lines]
    assert [n for n in range(4) if after[n] != before[n]] == [2]
    moved = json.loads(after[2])
    assert moved["message"]["content"] == [_result("toolu_A"), _text("Ran:")]
    assert {k: v for k, v in moved.items() if k != "message"} == {
        k: v for k, v in lines[2].items() if k != "message"
    }
    assert await editor.diagnostics(uri) == []
