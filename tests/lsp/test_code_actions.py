"""Quick fixes, Normalize history (with its snapshot), snapshot restore, trim, code lens."""

from __future__ import annotations

import asyncio

from lsprotocol import types

from .conftest import EXPECTED, Session, Start

FIXABLE_EXAMPLES = [name for name, e in EXPECTED.items() if e["findings"]]


async def test_every_quick_fix_removes_its_finding(session: Session) -> None:
    editor = session.editor
    for name in FIXABLE_EXAMPLES:
        uri = editor.open(session.copy_example(name))
        seen_fix = set()
        for _ in range(10):
            found = await editor.diagnostics(uri)
            fixable = [d for d in found if d.data.get("fixable")]
            if not fixable:
                break
            target = fixable[0]
            actions = await editor.code_actions(
                uri, target.range, [target], [types.CodeActionKind.QuickFix]
            )
            assert actions, f"{name}: no quick fix for {target.code}"
            fix = actions[0]
            assert fix.kind == types.CodeActionKind.QuickFix
            assert fix.is_preferred
            assert fix.diagnostics and fix.diagnostics[0].code == target.code
            assert fix.edit is not None
            assert editor.apply_workspace_edit(fix.edit)
            after = await editor.diagnostics(uri)
            key = (target.code, target.data.get("call_id"))
            assert key not in {(d.code, d.data.get("call_id")) for d in after}, (name, key)
            seen_fix.add(target.code)
        remaining = [d for d in await editor.diagnostics(uri) if d.data.get("fixable")]
        assert remaining == [], name
        assert seen_fix, name


async def test_normalize_then_clean_then_restore_the_exact_original(session: Session) -> None:
    editor = session.editor
    uri = editor.open(session.copy_example("codex-rollout-crashed.jsonl"))
    original = editor.texts[uri]
    found = await editor.diagnostics(uri)
    assert len(found) == 4
    whole = types.Range(
        start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)
    )
    actions = await editor.code_actions(uri, whole, only=[types.CodeActionKind.SourceFixAll])
    assert [a.title for a in actions] == ["Normalize history"]
    assert actions[0].kind == "source.fixAll.context-ls"  # what codeActionsOnSave asks for
    result = await editor.run(actions[0].command)
    assert result["applied"] is True
    assert result["snapshot"]["reason"] == "normalize"
    assert editor.texts[uri] != original
    assert await editor.diagnostics(uri) == []

    snapshots = await editor.run(
        types.Command(title="", command="contextLs.listSnapshots", arguments=[uri])
    )
    assert [s["reason"] for s in snapshots] == ["normalize"]

    actions = await editor.code_actions(uri, whole, only=["source"])
    restores = [a for a in actions if a.title.startswith("Restore snapshot from ")]
    assert len(restores) == 1 and restores[0].title.endswith("(normalize)")
    result = await editor.run(restores[0].command)
    assert result["applied"] is True
    assert editor.texts[uri] == original
    assert len(await editor.diagnostics(uri)) == 4
    # The restore itself was snapshotted first: newest first, at most five offered.
    actions = await editor.code_actions(uri, whole, only=["source"])
    restores = [a.title for a in actions if a.title.startswith("Restore snapshot from ")]
    assert len(restores) == 2 and "before restoring" in restores[0]


async def test_at_most_five_restore_actions(session: Session) -> None:
    editor = session.editor
    uri = editor.open(session.copy_example("native-tools.jsonl"))
    await editor.settle(uri)
    for n in range(7):
        await editor.run(
            types.Command(title="", command="contextLs.createSnapshot", arguments=[uri, f"n{n}"])
        )
    whole = types.Range(
        start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)
    )
    actions = await editor.code_actions(uri, whole)
    restores = [a.title for a in actions if a.title.startswith("Restore snapshot from ")]
    assert [t.rsplit("(", 1)[1] for t in restores] == ["n6)", "n5)", "n4)", "n3)", "n2)"]


async def test_trim_keeps_the_last_items_without_splitting_pairs(start: Start) -> None:
    session = await start({"trimKeep": 8})
    editor = session.editor
    uri = editor.open(session.copy_example("clean-codex-rollout.jsonl"))
    assert await editor.diagnostics(uri) == []
    before = editor.texts[uri]
    whole = types.Range(
        start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)
    )
    actions = await editor.code_actions(uri, whole, only=[types.CodeActionKind.RefactorRewrite])
    assert [a.title for a in actions] == ["Trim history to the last 8 items"]
    result = await editor.run(actions[0].command)
    assert result["applied"] is True
    after = editor.texts[uri]
    assert len(after) < len(before)
    assert after.splitlines()[-1] == before.splitlines()[-1]
    assert await editor.diagnostics(uri) == []  # no orphan, no missing output


async def test_code_lens_counts_calls_and_runs_the_timeline(session: Session) -> None:
    editor = session.editor
    uri = editor.open(session.copy_example("codex-rollout-crashed.jsonl"))
    await editor.settle(uri)
    lenses = await session.client.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert lenses and lenses[0].range.start.line == 0
    command = lenses[0].command
    assert command is not None
    assert command.title == "7 calls · 2 missing outputs · open timeline"
    assert command.command == "contextLs.showTimeline"
    html = await editor.run(command)
    assert isinstance(html, str) and html.lstrip().lower().startswith("<!doctype html")
    assert "call_kuDoO1NW3X3G91N9nNWyVzjk" in html


async def test_show_context_has_the_three_contexts(session: Session, preset: str) -> None:
    editor = session.editor
    uri = editor.open(session.copy_example("codex-rollout-crashed.jsonl"))
    await editor.settle(uri)
    session.client.protocol.notify("contextLs/didChangeActiveEditor", {"uri": uri})
    session.client.protocol.notify(
        "contextLs/toolEvent",
        {
            "session": "sess-live",
            "call_id": "call_t1",
            "tool": "shell",
            "phase": "started",
            "status": None,
        },
    )
    result: dict = {}
    for _ in range(50):  # the context worker records events in the background
        result = await editor.run(types.Command(title="", command="contextLs.showContext"))
        if uri in str(result.get("workspace")) and "call_t1" in str(result.get("tool")):
            break
        await asyncio.sleep(0.1)
    assert {"workspace", "user", "tool"} <= set(result)
    assert uri in str(result["workspace"])
    assert "call_t1" in str(result["tool"])
    assert preset in str(result["user"])


async def test_synthetic_output_text_comes_from_settings(start: Start) -> None:
    session = await start({"syntheticOutputText": {"codex": "stopped by the test"}})
    editor = session.editor
    uri = editor.open(session.copy_example("codex-rollout-crashed.jsonl"))
    missing = next(d for d in await editor.diagnostics(uri) if d.code == "H001")
    [fix] = await editor.code_actions(
        uri, missing.range, [missing], [types.CodeActionKind.QuickFix]
    )
    assert fix.edit is not None
    assert editor.apply_workspace_edit(fix.edit)
    assert "stopped by the test" in editor.texts[uri]


async def test_commands_from_the_palette_use_the_active_editor(session: Session) -> None:
    editor = session.editor
    uri = editor.open(session.copy_example("native-tools.jsonl"))
    await editor.settle(uri)
    session.client.protocol.notify("contextLs/didChangeActiveEditor", {"uri": uri})
    record = await session.client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="contextLs.createSnapshot")
    )
    assert record["reason"] == "manual"
    assert record["size"] == len(editor.texts[uri].encode("utf-8"))
    listed = await session.client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="contextLs.listSnapshots", arguments=[])
    )
    assert [r["id"] for r in listed] == [record["id"]]


async def test_a_delayed_claude_code_result_moves_back_as_its_own_line(session: Session) -> None:
    """The quick fix says the whole line moves, and applying it keeps the line's uuid,
    timestamp and toolUseResult: only parentUuid links change."""
    import json

    def line(value: dict) -> str:
        return json.dumps({"sessionId": "s", **value}) + "\n"

    call = {"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {}}
    result_line = line(
        {
            "type": "user",
            "uuid": "r1",
            "parentUuid": "a2",
            "timestamp": "2026-01-01T00:00:09.479Z",
            "message": {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "ok"}],
            },
            "toolUseResult": {"stdout": "ok", "stderr": "", "interrupted": False},
        }
    )
    text = (
        line(
            {
                "type": "user",
                "uuid": "u1",
                "parentUuid": None,
                "message": {"role": "user", "content": "go"},
            }
        )
        + line(
            {
                "type": "assistant",
                "uuid": "a1",
                "parentUuid": "u1",
                "message": {"id": "m1", "role": "assistant", "content": [call]},
            }
        )
        + line(
            {
                "type": "assistant",
                "uuid": "a2",
                "parentUuid": "a1",
                "message": {
                    "id": "m2",
                    "role": "assistant",
                    "content": [{"type": "text", "text": "hm"}],
                },
            }
        )
        + result_line
    )
    path = session.workspace / "delayed.jsonl"
    path.write_text(text)
    editor = session.editor
    uri = editor.open(path)
    found = await editor.diagnostics(uri)
    assert [d.code for d in found] == ["H006"]
    actions = await editor.code_actions(uri, found[0].range, found, [types.CodeActionKind.QuickFix])
    assert "Move the line with the result of toolu_1" in actions[0].title
    assert "toolUseResult" in actions[0].title
    assert actions[0].edit is not None and editor.apply_workspace_edit(actions[0].edit)
    moved = [json.loads(raw) for raw in editor.texts[uri].splitlines()]
    assert [m["uuid"] for m in moved] == ["u1", "a1", "r1", "a2"]
    assert moved[2] == {**json.loads(result_line), "parentUuid": "a1"}
    assert moved[3]["parentUuid"] == "r1"
    assert await editor.diagnostics(uri) == []
