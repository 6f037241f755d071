"""Every editor event lands in its context: `contextLs.showContext` shows it, and the
context's version went up (issue 4, end to end)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from lsprotocol import types

from .conftest import Session


async def _context(session: Session) -> dict[str, Any]:
    command = types.Command(title="", command="contextLs.showContext")
    result: dict[str, Any] = await session.editor.run(command)
    return result


async def _wait_for(
    session: Session, name: str, before: int, holds: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    """The context `name` once its version passed `before` and `holds` is true (updates
    are recorded in the background and batched)."""
    state: dict[str, Any] = {}
    for _ in range(100):
        state = (await _context(session))[name]
        if state["version"] > before and holds(state):
            return state
        await asyncio.sleep(0.1)
    raise AssertionError(f"{name} context never showed the event: {state}")


def _width(text: str, encoding: str) -> int:
    """A line's length in the position encoding the server and client agreed on."""
    if encoding == "utf-8":
        return len(text.encode("utf-8"))
    if encoding == "utf-16":
        return len(text.encode("utf-16-le")) // 2
    return len(text)


def _open_uris(state: dict[str, Any]) -> set[str]:
    return set(state["data"].get("documents", {}))


async def test_each_event_shows_up_in_its_context_with_a_new_version(session: Session) -> None:
    editor = session.editor
    first = await _context(session)
    assert {"workspace", "user", "tool"} <= set(first)
    assert all(isinstance(first[k]["version"], int) for k in ("workspace", "user", "tool"))

    # open
    path = session.copy_example("codex-rollout-crashed.jsonl")
    uri = editor.open(path)
    await editor.settle(uri)
    workspace = await _wait_for(
        session, "workspace", first["workspace"]["version"], lambda s: uri in _open_uris(s)
    )
    assert "codex" in str(workspace["data"])

    # change: the truncated last line goes, so H007 leaves the findings per code
    lines = editor.texts[uri].split("\n")
    last = len(lines) - 1
    editor.edit(
        uri,
        [
            types.TextEdit(
                range=types.Range(
                    start=types.Position(
                        line=last - 1, character=_width(lines[last - 1], editor.encoding)
                    ),
                    end=types.Position(line=last, character=_width(lines[last], editor.encoding)),
                ),
                new_text="",
            )
        ],
    )
    await editor.settle(uri)
    changed = await _wait_for(
        session,
        "workspace",
        workspace["version"],
        lambda s: uri in _open_uris(s) and "H007" not in str(s["data"]["documents"][uri]),
    )

    # close
    editor.close(uri)
    closed = await _wait_for(
        session, "workspace", changed["version"], lambda s: uri not in _open_uris(s)
    )

    # workspace folder added
    extra = session.workspace.parent / "second-folder"
    extra.mkdir()
    session.client.workspace_did_change_workspace_folders(
        types.DidChangeWorkspaceFoldersParams(
            event=types.WorkspaceFoldersChangeEvent(
                added=[types.WorkspaceFolder(uri=extra.as_uri(), name="second")], removed=[]
            )
        )
    )
    await _wait_for(
        session, "workspace", closed["version"], lambda s: extra.as_uri() in s["data"]["folders"]
    )

    # configuration change
    user_before = (await _context(session))["user"]
    session.client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(
            settings={"contextLs": {"trimKeep": 123, "pendingGraceSeconds": 0}}
        )
    )
    await _wait_for(session, "user", user_before["version"], lambda s: "123" in str(s["data"]))

    # a tool event from an editor-side agent
    tool_before = (await _context(session))["tool"]
    session.client.protocol.notify(
        "contextLs/toolEvent",
        {
            "session": "sess-e2e",
            "call_id": "call_e2e1",
            "tool": "shell",
            "phase": "started",
            "status": None,
        },
    )
    await _wait_for(
        session, "tool", tool_before["version"], lambda s: "call_e2e1" in str(s["data"])
    )


async def test_activate_context_by_command_follows_the_editor_the_client_names(
    session: Session,
) -> None:
    editor = session.editor
    uri = editor.open(session.copy_example("native-tools.jsonl"))
    await editor.settle(uri)
    command = types.Command(title="", command="contextLs.activateContext", arguments=[uri])
    assert await editor.run(command) == {"active": uri}
    # Commands without a document now act on the activated one (here: list its snapshots).
    snapshots = types.Command(title="", command="contextLs.listSnapshots")
    assert await editor.run(snapshots) == []
    shown: dict[str, Any] = {}
    for _ in range(50):
        shown = await _context(session)
        if shown.get("active") == uri or uri in str(shown.get("active")):
            break
        await asyncio.sleep(0.1)
    assert uri in str(shown.get("active"))
