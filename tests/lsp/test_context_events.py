"""Every editor event lands in its context: `contextLs.showContext` shows it, and the
context's version went up (issue 4, end to end)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from lsprotocol import types

from .conftest import Session
from .editor import position_of


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


def _append(session: Session, uri: str, line: str) -> None:
    """The editor appends one line at the end of the document (an agent writing on)."""
    editor = session.editor
    text = editor.texts[uri]
    end = position_of(text, len(text), editor.encoding)
    editor.edit(uri, [types.TextEdit(range=types.Range(start=end, end=end), new_text=line + "\n")])


def _tool_event(session: Session, uri: str, call_id: str, phase: str) -> None:
    session.client.protocol.notify(
        "contextLs/toolEvent",
        {"session": uri, "call_id": call_id, "tool": "shell", "phase": phase, "status": None},
    )


async def _analysed(session: Session, uri: str, version: int) -> dict[str, Any]:
    """The tool context once the analysis of `version` reached it: the workspace and
    tool updates of one analysis are made together, before the next request is served."""
    await session.editor.settle(uri)
    await _wait_for(
        session,
        "workspace",
        -1,
        lambda s: s["data"].get("documents", {}).get(uri, {}).get("version") == version,
    )
    tool: dict[str, Any] = (await _context(session))["tool"]["data"]
    return tool


def _call_line(call_id: str) -> str:
    payload = {"type": "function_call", "name": "shell", "arguments": "{}", "call_id": call_id}
    return json.dumps({"type": "response_item", "payload": payload})


def _output_line(call_id: str) -> str:
    payload = {"type": "function_call_output", "call_id": call_id, "output": "done"}
    return json.dumps({"type": "response_item", "payload": payload})


async def test_a_live_tool_event_outlives_the_analysis_of_its_open_session(
    session: Session,
) -> None:
    """Issue 13: a "started" event for an open session stays pending through analyses;
    it goes when the document shows the call's output, or when "finished" arrives."""
    editor = session.editor
    uri = editor.open(session.copy_example("clean-codex-rollout.jsonl"))
    await _analysed(session, uri, 1)
    before = (await _context(session))["tool"]["version"]
    _tool_event(session, uri, "call_live_a", "started")
    _tool_event(session, uri, "call_live_b", "started")
    await _wait_for(session, "tool", before, lambda s: "call_live_b" in s["data"]["pending"])

    # The agent writes its call: the analysis keeps both live calls pending.
    _append(session, uri, _call_line("call_live_a"))
    tool = await _analysed(session, uri, 2)
    assert {"call_live_a", "call_live_b"} <= set(tool["pending"]), tool["pending"]
    assert tool["pending"]["call_live_a"]["session"] == uri

    # An unrelated edit: still pending.
    _append(session, uri, _call_line("call_other"))
    tool = await _analysed(session, uri, 3)
    assert {"call_live_a", "call_live_b"} <= set(tool["pending"]), tool["pending"]

    # The output of call_live_a shows up in the document: that call is no longer pending.
    _append(session, uri, _output_line("call_live_a"))
    tool = await _analysed(session, uri, 4)
    assert "call_live_a" not in tool["pending"]
    assert "call_live_b" in tool["pending"]

    # Closing the document does not end the agent's call; "finished" does.
    editor.close(uri)
    await _wait_for(session, "workspace", -1, lambda s: uri not in s["data"].get("documents", {}))
    tool = (await _context(session))["tool"]
    assert uri not in tool["data"]["documents"]
    assert "call_live_b" in tool["data"]["pending"]
    _tool_event(session, uri, "call_live_b", "finished")
    await _wait_for(
        session, "tool", tool["version"], lambda s: "call_live_b" not in s["data"]["pending"]
    )


async def test_a_malformed_tool_event_is_refused_and_the_next_one_lands(
    session: Session,
) -> None:
    before = (await _context(session))["tool"]["version"]
    for bad in (
        {"call_id": 5, "tool": None, "phase": "started"},
        {"session": "s", "call_id": "k1", "tool": "shell", "phase": "paused"},
        {"session": "s", "call_id": "k1", "tool": "shell", "phase": "finished", "status": 3},
    ):
        session.client.protocol.notify("contextLs/toolEvent", bad)
    _tool_event(session, "s", "call_good", "started")
    tool = await _wait_for(session, "tool", before, lambda s: "call_good" in s["data"]["pending"])
    assert set(tool["data"]["pending"]) == {"call_good"}
    assert tool["version"] == before + 1  # the malformed ones changed nothing
