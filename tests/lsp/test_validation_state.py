"""The diagnostics feature's bookkeeping, in process: requests waiting on a document are
answered whatever becomes of its validation."""

from __future__ import annotations

import asyncio
import concurrent.futures
from types import SimpleNamespace
from typing import Any

import pytest
from lsprotocol import types

from context_ls.history.api import Options
from context_ls.lsp.documents import TextSnapshot
from context_ls.lsp.features import diagnostics
from context_ls.lsp.features.pull import PullDiagnostics
from context_ls.lsp.state import ClientFeatures, DocumentState

from .conftest import EXAMPLES


class _Settings:
    pending_grace_seconds = 0

    def options(self, pending: bool = False) -> Options:
        return Options()


def _server(pull: bool) -> Any:
    return SimpleNamespace(
        settings=_Settings(),
        analysis_pool=concurrent.futures.ThreadPoolExecutor(1),
        client=ClientFeatures(pull_diagnostics=pull),
        documents={},
        fan_out=lambda *args: None,
        text_document_publish_diagnostics=lambda params: None,
        workspace_diagnostic_refresh=lambda params: None,
        workspace_code_lens_refresh=lambda params: None,
    )


@pytest.mark.parametrize("pull", [True, False])
async def test_a_failed_validation_leaves_no_pull_waiting(
    monkeypatch: pytest.MonkeyPatch, pull: bool
) -> None:
    def engine_bug(*args: Any) -> Any:
        raise RuntimeError("engine bug")

    monkeypatch.setattr(diagnostics, "_analyze", engine_bug)
    server = _server(pull)
    data = (EXAMPLES / "codex-rollout-crashed.jsonl").read_bytes()
    doc = DocumentState("file:///x.jsonl", None, TextSnapshot.from_bytes(data, 1))
    server.documents[doc.uri] = doc
    feature = diagnostics.Diagnostics(server)
    feature.schedule(doc)
    assert doc.task is not None
    await doc.task
    report = await asyncio.wait_for(
        PullDiagnostics(server).document_diagnostic(
            types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=doc.uri))
        ),
        5,
    )
    assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
    assert report.items == []  # nothing was published for this text
