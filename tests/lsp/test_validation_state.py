"""The diagnostics feature's bookkeeping, in process: requests waiting on a document are
answered whatever becomes of its validation."""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import weakref
from types import SimpleNamespace
from typing import Any

import pytest
from lsprotocol import types

from context_ls.history.api import Options
from context_ls.lsp.documents import TextSnapshot
from context_ls.lsp.features import diagnostics
from context_ls.lsp.features.diagnostics import Validation
from context_ls.lsp.features.pull import PullDiagnostics
from context_ls.lsp.state import ClientFeatures, DocumentState
from context_ls.lsp.transport import DiagnosticParts

from .conftest import EXAMPLES


class _Settings:
    pending_grace_seconds = 0

    def options(self, pending: bool = False) -> Options:
        return Options()


def _server(pull: bool) -> Any:
    """What the features read of the server (`features`: filled by `_validated`)."""
    features: dict[type, Any] = {}
    return SimpleNamespace(
        features=features,
        feature_of=features.__getitem__,
        settings=_Settings(),
        analysis_pool=concurrent.futures.ThreadPoolExecutor(1),
        client=ClientFeatures(pull_diagnostics=pull),
        diagnostic_parts=DiagnosticParts(),  # not told the client's: every part
        documents={},
        fan_out=lambda *args: None,
        text_document_publish_diagnostics=lambda params: None,
        workspace_diagnostic_refresh=lambda params: None,
        workspace_code_lens_refresh=lambda params: None,
    )


async def _validated(server: Any, data: bytes) -> tuple[DocumentState, diagnostics.Diagnostics]:
    """A document opened with `data` and its first validation done."""
    doc = DocumentState("file:///x.jsonl", None, TextSnapshot.from_bytes(data, 1))
    server.documents[doc.uri] = doc
    feature = server.features[diagnostics.Diagnostics] = diagnostics.Diagnostics(server)
    feature.schedule(doc)
    task = doc.slot(Validation).task
    assert task is not None
    await task
    return doc, feature


@pytest.mark.parametrize("pull", [True, False])
async def test_a_failed_validation_leaves_no_pull_waiting(
    monkeypatch: pytest.MonkeyPatch, pull: bool
) -> None:
    def engine_bug(*args: Any) -> Any:
        raise RuntimeError("engine bug")

    monkeypatch.setattr(diagnostics, "analyze_document", engine_bug)
    server = _server(pull)
    doc, _ = await _validated(server, (EXAMPLES / "codex-rollout-crashed.jsonl").read_bytes())
    report = await asyncio.wait_for(
        PullDiagnostics(server).document_diagnostic(
            types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=doc.uri))
        ),
        5,
    )
    assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
    assert report.items == []  # nothing was published for this text


async def test_an_edited_version_is_copied_after_its_diagnostics() -> None:
    """An edit's diagnostics come from the pieces of the version before; its bytes are
    copied once the server is quiet a moment, and a keystroke before that puts it off."""
    server = _server(pull=False)
    published: list[int | None] = []
    server.text_document_publish_diagnostics = lambda params: published.append(params.version)
    event = b'{"timestamp":"2025-01-01T00:00:00Z","type":"event_msg","payload":{}}\n'
    # Edits past the records detection looks at (nearer the top, the bytes are needed).
    data = (EXAMPLES / "codex-rollout-crashed.jsonl").read_bytes() + event * 1000
    doc, feature = await _validated(server, data)
    state = doc.slot(Validation)
    line = doc.text.line_count - 10
    at = types.Position(line=line, character=0)
    for version in (2, 3):
        doc.text = doc.text.apply(
            types.TextDocumentContentChangePartial(range=types.Range(start=at, end=at), text="x"),
            version,
        )
        timer = state.copy_timer  # none before the first edit
        feature.schedule(doc)
        assert timer is None or timer.cancelled()  # the version before is not copied
        assert state.task is not None
        await state.task
        assert published[-1] == version and doc.text.copy_pending
        assert state.copy_timer is not None
    third = doc.text
    base = third.source.base  # type: ignore[union-attr]
    assert base is not None and base.base is not None  # version 2 was never copied
    await asyncio.sleep(diagnostics.COPY_DELAY + 0.2)
    assert not third.copy_pending
    offset = TextSnapshot.from_bytes(data, 1).starts[line]
    assert third.data == data[:offset] + b"xx" + data[offset:]
    feature.shutdown()


async def test_the_quiet_trim_frees_what_reference_cycles_still_hold(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The server collects rarely (`tune_runtime`): an old analysis an engine object left
    in a reference cycle would stay in memory until the next full collection. The trim
    after a pause collects first."""

    class Held:
        def __init__(self) -> None:
            self.me = self  # a cycle, as `validate._Collector`'s bound method makes

    trimmed: list[bool] = []
    monkeypatch.setattr(diagnostics, "release_free_memory", lambda: trimmed.append(True))
    server = _server(pull=False)
    doc, feature = await _validated(server, (EXAMPLES / "codex-rollout-crashed.jsonl").read_bytes())
    held = Held()
    gone = weakref.ref(held)
    del held
    gc.disable()  # no automatic collection meanwhile: only the trim's
    try:
        feature._trim_now(doc)
    finally:
        gc.enable()
    assert trimmed == [True] and gone() is None
