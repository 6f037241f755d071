"""Live sessions: pending calls become H001 after the grace, on-disk changes of open
files are followed, a big document reports progress."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from lsprotocol import types

from .conftest import EXAMPLES, Session, Start, client_capabilities
from .editor import offset_of

# The project's own generator: these tests need nothing beside the repository.
GEN_ROLLOUT = Path(__file__).resolve().parents[2] / "bench" / "gen_rollout.py"
DANGLING_TAIL = (
    '{"timestamp":"2026-01-01T00:00:09.000Z","type":"response_item","payload":'
    '{"type":"function_call","name":"shell","arguments":"{}","call_id":"call_live"}}\n'
)


def generated_rollout(session: Session, turns: int) -> Path:
    """A big Codex rollout from `bench/gen_rollout.py`, in the session's workspace: call i
    has no output when i % 997 == 0, an orphan output follows turn i when i % 1499 == 0."""
    path = session.workspace / f"rollout-{turns}.jsonl"
    subprocess.run(
        [sys.executable, str(GEN_ROLLOUT), str(turns), str(path)], check=True, capture_output=True
    )
    return path


def _codes(found: list[types.Diagnostic]) -> list[tuple[str, types.DiagnosticSeverity | None]]:
    return sorted((str(d.code), d.severity) for d in found)


async def test_a_trailing_call_is_pending_then_h001_after_the_grace(start: Start) -> None:
    session = await start({"pendingGraceSeconds": 1.5})
    editor = session.editor
    path = session.copy_example("clean-codex-rollout.jsonl")
    path.write_text(path.read_text() + DANGLING_TAIL)  # written just now: still live
    uri = editor.open(path)
    found = await editor.diagnostics(uri)
    assert _codes(found) == [("H001", types.DiagnosticSeverity.Information)]
    assert found[0].data["pending"] is True
    assert "waiting for output" in found[0].message
    began = time.monotonic()
    found = await editor.wait_for(
        uri, lambda ds: _codes(ds) == [("H001", types.DiagnosticSeverity.Error)], timeout=6
    )
    assert _codes(found) == [("H001", types.DiagnosticSeverity.Error)]
    assert time.monotonic() - began < 5
    if not editor.pull:  # pushed by the server itself, with the version it analysed
        assert editor.published[uri][-1].version == editor.versions[uri]
        assert editor.code_lens_refreshes >= 1  # VS Code: the "missing output" lens too


async def test_an_old_file_is_not_pending(start: Start) -> None:
    session = await start({"pendingGraceSeconds": 30})
    editor = session.editor
    uri = editor.open(session.copy_example("codex-rollout-crashed.jsonl"))  # old mtime
    found = await editor.diagnostics(uri)
    assert [d.severity for d in found if d.code == "H001"] == [types.DiagnosticSeverity.Error] * 2


async def test_an_open_file_changed_on_disk_is_revalidated(start: Start) -> None:
    session = await start({"pendingGraceSeconds": 30})
    editor = session.editor
    path = session.copy_example("clean-codex-rollout.jsonl")
    text = path.read_text() + DANGLING_TAIL
    path.write_text(text)
    os.utime(path, (1_700_000_000, 1_700_000_000))  # the agent wrote it long ago
    uri = editor.open(path)
    assert _codes(await editor.diagnostics(uri)) == [("H001", types.DiagnosticSeverity.Error)]

    # The agent writes again: the call is live once more, so only "waiting for output".
    await asyncio.sleep(0.3)  # let the server's own watcher start
    path.write_text(
        text + '{"timestamp":"2026-01-01T00:00:10.000Z","type":"event_msg","payload":{}}\n'
    )
    if editor.registrations:  # the client watches (VS Code): it reports the change
        assert editor.registrations[0].method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
        session.client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                changes=[types.FileEvent(uri=uri, type=types.FileChangeType.Changed)]
            )
        )
    found = await editor.wait_for(
        uri, lambda ds: _codes(ds) == [("H001", types.DiagnosticSeverity.Information)], timeout=8
    )
    assert _codes(found) == [("H001", types.DiagnosticSeverity.Information)]
    if editor.pull and session.client.capabilities is not None:
        pass  # Neovim 0.11 declares no diagnostic refresh: the next pull shows it


SECRET_LINE = (
    '{"timestamp":"2026-01-01T00:00:09.000Z","type":"response_item","payload":{"type":"message",'
    '"role":"user","content":[{"type":"input_text","text":"key sk-proj-'
    + "Ab3dE5gH7jK9mN1pQ3sT5vX7zB9dF1hJ3lN5pR7tV9xZ"
    + '"}]}}\n'
)


async def test_a_big_rollout_first_look_then_what_the_full_read_adds(
    start: Start, preset: str
) -> None:
    """The pairing findings of a big rollout come from the quick first look; the secret
    (H010) only from the full read after it: pushed again, or, for a client that pulls
    and can be asked to pull again, a refresh and then a pull that has it."""
    caps = client_capabilities(preset)
    if caps.text_document and caps.text_document.diagnostic:  # Neovim: pull, plus refresh
        caps.workspace = caps.workspace or types.WorkspaceClientCapabilities()
        caps.workspace.diagnostics = types.DiagnosticWorkspaceClientCapabilities(
            refresh_support=True
        )
    session = await start(capabilities=caps)
    big = generated_rollout(session, 1400)
    with big.open("a") as handle:
        handle.write(SECRET_LINE)
    editor = session.editor
    uri = editor.open(big)
    if editor.pull:
        first = await session.client.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        assert isinstance(first, types.RelatedFullDocumentDiagnosticReport)
        first_codes = sorted(str(d.code) for d in first.items)
        for _ in range(400):
            if session.client.diagnostic_refresh_count:
                break
            await asyncio.sleep(0.025)
        assert session.client.diagnostic_refresh_count == 1
    else:
        await editor.settle(uri)
        pushes = editor.published[uri]
        assert [p.version for p in pushes] == [1, 1]
        first_codes = sorted(str(d.code) for d in pushes[0].diagnostics)
    assert first_codes == ["H001", "H001", "H002"]
    assert sorted(str(d.code) for d in await editor.diagnostics(uri)) == [*first_codes, "H010"]


def _text_at(text: str, found: types.Range, encoding: str) -> str:
    """What a range covers, in the position units the server and client agreed on."""
    return text[offset_of(text, found.start, encoding) : offset_of(text, found.end, encoding)]


async def test_a_big_open_read_as_it_arrives_keeps_exact_positions(session: Session) -> None:
    """A big didOpen is decoded and scanned while it arrives: every diagnostic still
    covers exactly its call id, past CRLF lines and characters beyond ASCII."""
    big = generated_rollout(session, 1400)
    lines = big.read_text(encoding="utf-8").splitlines()
    text = "".join(
        '{"note":"ünï 😀 \\n \\\\",' + line[1:] + ("\r\n" if n % 3 else "\n")
        for n, line in enumerate(lines)
    )
    big.write_text(text, encoding="utf-8", newline="")
    editor = session.editor
    uri = editor.open(big)
    found = await editor.diagnostics(uri)
    looks = [p.diagnostics for p in editor.published.get(uri, [])] or [found]
    assert sorted(str(d.code) for d in found) == ["H001", "H001", "H002"]
    for diagnostics in looks:
        assert diagnostics
        for diagnostic in diagnostics:
            assert isinstance(diagnostic.data, dict)
            covered = _text_at(text, diagnostic.range, editor.encoding)
            assert covered == f'"{diagnostic.data["call_id"]}"'


async def test_a_big_document_reports_progress(session: Session, tmp_path: Path) -> None:
    big = generated_rollout(session, 1400)
    assert big.stat().st_size > 5 * 1024 * 1024
    editor = session.editor
    uri = editor.open(big)
    found = await editor.diagnostics(uri)
    assert sum(d.code == "H001" for d in found) == 2  # calls 0 and 997 dangle
    assert sum(d.code == "H002" for d in found) == 1  # orphan_0 (1499 is past the end)
    reports = list(session.client.progress_reports.values())
    assert reports, "no $/progress"
    kinds = [type(r).__name__ for r in reports[-1]]
    assert kinds[0] == "WorkDoneProgressBegin" and kinds[-1] == "WorkDoneProgressEnd"
    begin = reports[-1][0]
    assert isinstance(begin, types.WorkDoneProgressBegin) and begin.cancellable


async def test_a_50_mb_document_cancel_then_an_edit(session: Session, preset: str) -> None:
    if preset != "visual-studio-code":
        pytest.skip("the size is tested once; the pull path runs the same validation")
    big = generated_rollout(session, 11600)
    assert big.stat().st_size > 50_000_000
    editor = session.editor
    reports = session.client.progress_reports
    uri = editor.open(big)
    # The user cancels the validation from the progress notification.
    for _ in range(400):
        if reports:
            break
        await asyncio.sleep(0.025)
    [token] = list(reports)
    session.client.protocol.notify(
        types.WINDOW_WORK_DONE_PROGRESS_CANCEL, types.WorkDoneProgressCancelParams(token=token)
    )
    await editor.settle(uri)
    ends = [r for r in reports[token] if isinstance(r, types.WorkDoneProgressEnd)]
    assert [e.message for e in ends] == ["cancelled"]
    # Only the quick first look (the lean scan, whole pairing findings) was published;
    # nothing of the cancelled full read.
    published = editor.published.get(uri, [])
    assert len(published) <= 1
    if published:
        assert published[0].version == 1
        assert sum(d.code == "H001" for d in published[0].diagnostics) == 12
    # The next edit validates again: the server answers for the new version only.
    start = types.Position(line=0, character=0)
    editor.edit(uri, [types.TextEdit(range=types.Range(start=start, end=start), new_text="#")])
    found = await editor.diagnostics(uri)
    assert sum(d.code == "H001" for d in found) == 12
    assert any(d.code == "H007" and d.range.start.line == 0 for d in found)
    assert editor.published[uri][-1].version == editor.versions[uri]


async def test_session_folders_outside_the_workspace_are_watched(
    start: Start, tmp_path: Path
) -> None:
    sessions = tmp_path / "agent-sessions"
    (sessions / "2026" / "11").mkdir(parents=True)
    settings = {"pendingGraceSeconds": 30, "watch": {"globs": [f"{sessions}/**/*.jsonl"]}}
    session = await start(settings)
    editor = session.editor
    path = sessions / "2026" / "11" / "rollout.jsonl"
    text = (EXAMPLES / "clean-codex-rollout.jsonl").read_text() + DANGLING_TAIL
    path.write_text(text)
    os.utime(path, (1_700_000_000, 1_700_000_000))
    uri = editor.open(path)
    assert _codes(await editor.diagnostics(uri)) == [("H001", types.DiagnosticSeverity.Error)]
    await asyncio.sleep(0.3)  # the server's watcher starts
    path.write_text(text + '{"type":"event_msg","payload":{}}\n')  # the agent writes
    found = await editor.wait_for(
        uri, lambda ds: _codes(ds) == [("H001", types.DiagnosticSeverity.Information)], timeout=8
    )
    assert _codes(found) == [("H001", types.DiagnosticSeverity.Information)]
    # The watcher runs without anyio's event loop glue, so the server never loads OpenSSL
    # (~4 MB), not even for the watch (see `memory.import_asyncio_without_openssl`).
    maps = Path(f"/proc/{session.client._server.pid}/maps")  # type: ignore[union-attr]
    if maps.exists():
        loaded = maps.read_text()
        assert "libssl" not in loaded and "_ssl." not in loaded
