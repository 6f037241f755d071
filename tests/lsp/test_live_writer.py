"""A history whose writer is still alive: its trailing calls are pending, not missing, for
as long as the agent holds the file (or Codex's thread lock), and every edit is refused:
the titles say why before anything is edited, clients that can grey an action out do, and
a command run anyway answers with the reason and changes nothing."""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from lsprotocol import types

from writer_children import HOLDER, LOCKER, Child, reap

from .conftest import Session, Start

pytestmark = pytest.mark.skipif(
    not os.path.isdir("/proc/self/fd"), reason="the open-file scan is tested on Linux"
)

THREAD = "0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
# An orphan output (fixable either way: Normalize is offered) and a trailing call.
TAIL = (
    '{"timestamp":"2026-01-01T00:00:08.000Z","type":"response_item","payload":'
    '{"type":"function_call_output","call_id":"call_gone","output":"ok"}}\n'
    '{"timestamp":"2026-01-01T00:00:09.000Z","type":"response_item","payload":'
    '{"type":"function_call","name":"shell","arguments":"{}","call_id":"call_live"}}\n'
)
OLD = 1_700_000_000  # an mtime far outside any grace: only a live writer makes it pending
TOP = types.Range(
    start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)
)


@pytest.fixture
def holders() -> Iterator[list[Child]]:
    started: list[Child] = []
    yield started
    reap(started)


def _codes(found: list[types.Diagnostic]) -> list[tuple[str, types.DiagnosticSeverity | None]]:
    return sorted((str(d.code), d.severity) for d in found)


ORPHAN = ("H002", types.DiagnosticSeverity.Error)
PENDING = [("H001", types.DiagnosticSeverity.Information), ORPHAN]
MISSING = [("H001", types.DiagnosticSeverity.Error), ORPHAN]


def dangling(session: Session, name: str = "rollout.jsonl") -> Path:
    """A clean rollout plus a trailing call, last written long ago."""
    source = Path(__file__).resolve().parents[2] / "examples" / "clean-codex-rollout.jsonl"
    path = session.workspace / name
    path.write_text(source.read_text() + TAIL)
    os.utime(path, (OLD, OLD))
    return path


async def titles(session: Session, uri: str) -> list[str]:
    actions = await session.editor.code_actions(uri, TOP, only=["source"])
    return [a.title for a in actions]


async def test_a_file_held_for_appending_keeps_its_trailing_call_pending(
    start: Start, holders: list[Child], preset: str
) -> None:
    session = await start({"pendingGraceSeconds": 0})
    editor = session.editor
    path = dangling(session)
    agent = Child(HOLDER, str(path), "append")
    holders.append(agent)
    uri = editor.open(path)
    # The scan of the processes runs beside the first validation: pending once it is in.
    found = await editor.wait_for(uri, lambda ds: _codes(ds) == PENDING, timeout=10)
    assert _codes(found) == PENDING
    (call,) = [d for d in found if d.code == "H001"]
    assert call.data["pending"] is True
    assert "waiting for output" in call.message
    warning = f" (an agent is still writing this file: {agent.name} (pid {agent.pid}))"
    assert await titles(session, uri) == [f"Normalize history{warning}"]
    await edits_are_refused(session, uri, path, agent, greyed=preset == "visual-studio-code")

    agent.stop()  # the agent quits: the call is missing now, and the title is plain again
    found = await editor.wait_for(uri, lambda ds: _codes(ds) == MISSING, timeout=20)
    assert _codes(found) == MISSING
    assert await titles(session, uri) == ["Normalize history"]


async def edits_are_refused(
    session: Session, uri: str, path: Path, agent: Child, greyed: bool
) -> None:
    """While `agent` writes the file: the rewrite is greyed out where the client can (its
    reason names the agent), a quick fix is not offered as an edit the client would apply
    by itself, and the command run anyway is refused with nothing edited."""
    editor = session.editor
    before = path.read_bytes()
    (normalize,) = await editor.code_actions(uri, TOP, only=["source"])
    reason = f"Not while {agent.name} (pid {agent.pid}) has this file open for appending"
    if greyed:
        assert normalize.disabled is not None
        assert normalize.disabled.reason.startswith(reason)
    else:
        assert normalize.disabled is None  # the title still says why
    (orphan,) = [d for d in await editor.diagnostics(uri) if d.code == "H002"]
    fixes = await editor.code_actions(uri, orphan.range, [orphan], only=["quickfix"])
    if greyed:
        assert [fix.disabled is not None for fix in fixes] == [True]
    else:
        assert fixes == []
    assert normalize.command is not None
    with pytest.raises(Exception, match=re.escape(reason)):
        await editor.run(normalize.command)
    assert path.read_bytes() == before


async def test_a_held_codex_thread_lock_keeps_the_call_pending(
    start: Start, holders: list[Child], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "codex-home"
    (home / "thread-writer-locks").mkdir(parents=True)
    lock = home / "thread-writer-locks" / f"{THREAD}.lock"
    lock.touch()
    monkeypatch.setenv("CODEX_HOME", str(home))  # the server inherits it
    session = await start({"pendingGraceSeconds": 0})
    path = dangling(session, f"rollout-2026-01-01T00-00-00-{THREAD}.jsonl")
    codex = Child(LOCKER, str(lock))
    holders.append(codex)
    uri = session.editor.open(path)
    found = await session.editor.wait_for(uri, lambda ds: _codes(ds) == PENDING, timeout=10)
    assert _codes(found) == PENDING
    assert (await titles(session, uri))[0].endswith(f": {codex.name} (pid {codex.pid}))")
    codex.stop()  # Codex was killed: the lock file stays, nobody holds it
    found = await session.editor.wait_for(uri, lambda ds: _codes(ds) == MISSING, timeout=20)
    assert _codes(found) == MISSING


async def test_an_agent_that_starts_after_the_open_is_noticed_by_the_code_actions(
    start: Start, holders: list[Child]
) -> None:
    """Nothing on disk changed, yet the rewrite must not be offered as if it were safe:
    the code action request looks again (once its last look is a few seconds old)."""
    session = await start({"pendingGraceSeconds": 0})
    editor = session.editor
    path = dangling(session)
    uri = editor.open(path)
    assert _codes(await editor.diagnostics(uri)) == MISSING
    agent = Child(HOLDER, str(path), "append")
    holders.append(agent)
    deadline = time.monotonic() + 20
    while "still writing" not in (await titles(session, uri))[0]:
        assert time.monotonic() < deadline, "the title never warned"
        await asyncio.sleep(0.2)
    found = await editor.wait_for(uri, lambda ds: _codes(ds) == PENDING, timeout=10)
    assert _codes(found) == PENDING


async def test_workspace_diagnostics_of_a_closed_file_being_written(
    start: Start, holders: list[Child]
) -> None:
    session = await start({"pendingGraceSeconds": 0})
    path = dangling(session)
    holders.append(Child(HOLDER, str(path), "append"))

    async def pulled() -> list[types.Diagnostic]:
        report = await session.client.workspace_diagnostic_async(
            types.WorkspaceDiagnosticParams(previous_result_ids=[])
        )
        (item,) = [i for i in report.items if i.uri.endswith("/rollout.jsonl")]
        assert isinstance(item, types.WorkspaceFullDocumentDiagnosticReport)
        return list(item.items)

    assert _codes(await pulled()) == PENDING
    holders[0].stop()  # a pull a little later (scans are reused for a moment) says missing
    deadline = time.monotonic() + 20
    while (found := _codes(await pulled())) != MISSING:
        assert time.monotonic() < deadline, found
        await asyncio.sleep(0.2)
