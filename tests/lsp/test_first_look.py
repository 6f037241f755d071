"""The server's first look at a big JSON document (`validation.quick_look`): the lean read
`check` uses, told the file's name (which settles a one-line document), placed without
listing the document's lines, and the same diagnostics as the full read that follows."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from lsprotocol import types

from context_ls.history.analyzer import QUICK_MIN_BYTES, quick_findings
from context_ls.history.api import Analysis, Options
from context_ls.lsp.documents import TextSnapshot
from context_ls.lsp.features import diagnostics, validation
from context_ls.lsp.features.pull import PullDiagnostics
from context_ls.lsp.features.validation import Validation, analyze_document, quick_look
from context_ls.lsp.state import DocumentState

from .test_validation_state import _server


def _chat(indent: int | None, model: bool = True) -> bytes:
    """A Chat Completions document over the first-look size, clean but for one call whose
    output is missing (H001)."""
    messages: list[Any] = [{"role": "system", "content": "x" * QUICK_MIN_BYTES}]
    for n in range(50):
        call = {
            "id": f"call_{n}",
            "type": "function",
            "function": {"name": "ls", "arguments": "{}"},
        }
        messages += [
            {"role": "user", "content": "list"},
            {"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": f"call_{n}", "content": "ok"},
        ]
    del messages[-1]
    body: dict[str, Any] = (
        {"model": "gpt-4.1", "messages": messages} if model else {"messages": messages}
    )
    return json.dumps(body, indent=indent).encode()


def _document(data: bytes, name: str) -> tuple[DocumentState, TextSnapshot]:
    text = TextSnapshot.from_bytes(data, 1)
    return DocumentState(uri=f"file:///w/{name}", path=None, text=text), text


def test_a_big_document_is_first_placed_without_listing_its_lines() -> None:
    doc, text = _document(_chat(indent=2), "chat.json")
    quick = quick_look(doc, text, Options())
    assert quick is not None and [d.code for d in quick] == ["H001"]
    full = analyze_document(doc, text, Options(), quick)
    assert full[1] == quick and full[2]  # the full read shows nothing new


def test_a_one_line_document_is_first_looked_at_by_its_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lean: list[Analysis | None] = []

    def spy(*args: Any, **kwargs: Any) -> Analysis | None:
        lean.append(quick_findings(*args, **kwargs))
        return lean[-1]

    monkeypatch.setattr(validation, "quick_findings", spy)
    doc, text = _document(_chat(indent=None), "request.json")
    quick = quick_look(doc, text, Options())
    assert quick is not None and [d.code for d in quick] == ["H001"]
    assert lean[-1] is not None and lean[-1].history.sparse  # not the full read
    assert quick[0].range.start.line == 0
    # Named `.jsonl` without a model, one line is a data set (no lean read): its first
    # look is the full read without the secrets scan, as `check` reads the file.
    doc, text = _document(_chat(indent=None, model=False), "set.jsonl")
    quick = quick_look(doc, text, Options())
    assert quick == [] == analyze_document(doc, text, Options(), None)[1]


async def test_a_pull_is_answered_before_the_full_read_begins(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As pygls answers a request: from the done callback of the handler's task."""
    order: list[str] = []

    def full_read(*args: Any) -> Any:
        order.append("full read")
        return analyze_document(*args)

    monkeypatch.setattr(diagnostics, "analyze_document", full_read)
    server = _server(pull=True)
    server.client.diagnostic_refresh = True  # so the first look may answer a pull
    doc, _ = _document(_chat(indent=2), "chat.json")
    server.documents[doc.uri] = doc
    feature = server.features[diagnostics.Diagnostics] = diagnostics.Diagnostics(server)
    feature.schedule(doc)
    params = types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=doc.uri))
    pulled = asyncio.ensure_future(PullDiagnostics(server).document_diagnostic(params))
    pulled.add_done_callback(lambda _: order.append("answered"))
    task = doc.slot(Validation).task
    assert task is not None
    await task
    assert order == ["answered", "full read"]
    report = pulled.result()
    assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
    assert [d.code for d in report.items] == ["H001"]


async def test_requests_waiting_on_the_open_find_its_lines_listed() -> None:
    """An outline asked for at open would list 400k lines on the event loop."""
    server = _server(pull=False)
    doc, text = _document(_chat(indent=2), "chat.json")
    server.documents[doc.uri] = doc
    feature = server.features[diagnostics.Diagnostics] = diagnostics.Diagnostics(server)
    feature.schedule(doc)
    await doc.current()
    assert text.lines_listed and doc.analyzed is text
    feature.shutdown()
