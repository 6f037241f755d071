"""Compressed rollouts (`.jsonl.zst`) are binary to an editor: the server never reads them
as histories on its own, and one opened anyway is answered calmly."""

from __future__ import annotations

import zstandard
from lsprotocol import types

from .conftest import Session

ROLLOUT = (
    b'{"timestamp":"2026-05-11T10:00:00Z","type":"session_meta","payload":{"id":"s"}}\n'
    b'{"timestamp":"2026-05-11T10:00:01Z","type":"response_item","payload":'
    b'{"type":"function_call","name":"x","arguments":"{}","call_id":"c1"}}\n'
)


async def test_a_compressed_rollout_opened_as_text_is_not_a_history(session: Session) -> None:
    editor = session.editor
    packed = zstandard.ZstdCompressor(level=3).compress(ROLLOUT)
    path = session.workspace / "rollout.jsonl.zst"
    path.write_bytes(packed)
    uri = editor.open_text(path.as_uri(), packed.decode("utf-8", "replace"), "jsonl")
    assert await editor.diagnostics(uri) == []
    # The server still works: the same rollout, plain, has its missing output.
    plain = session.workspace / "rollout.jsonl"
    plain.write_bytes(ROLLOUT)
    found = await editor.diagnostics(editor.open(plain, "jsonl"))
    assert [str(d.code) for d in found] == ["H001"]


async def test_workspace_diagnostics_leave_compressed_rollouts_alone(session: Session) -> None:
    (session.workspace / "old.jsonl.zst").write_bytes(
        zstandard.ZstdCompressor(level=3).compress(ROLLOUT)
    )
    (session.workspace / "live.jsonl").write_bytes(ROLLOUT)
    report = await session.client.workspace_diagnostic_async(
        types.WorkspaceDiagnosticParams(previous_result_ids=[])
    )
    names = {item.uri.rsplit("/", 1)[-1] for item in report.items}
    assert names == {"live.jsonl"}
