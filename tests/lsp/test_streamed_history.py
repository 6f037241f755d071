"""A big JSONL history other than a Codex rollout, streamed in its didOpen: read line by
line as it arrives (`stream.HistoryFeed`, when `streamed.FEED_HISTORIES`), so the first
look only validates it, and finds what the full read without the secrets scan finds."""

from __future__ import annotations

import json
from typing import Any, NoReturn

import pytest

from context_ls.history import analyzer
from context_ls.history.analyzer import QUICK_MIN_BYTES
from context_ls.history.api import Options
from context_ls.history.stream import HistoryFeed
from context_ls.lsp import streamed
from context_ls.lsp.documents import TextSnapshot
from context_ls.lsp.features import validation
from context_ls.lsp.features.validation import analyze_document, quick_look
from context_ls.lsp.state import DocumentState
from context_ls.lsp.streamed import Streamed, read_body

from .test_streamed import EXAMPLES, ORDERS, did_open, encode, reader


def big_session(target: int) -> str:
    """Examples' Claude Code session repeated (uuids kept: findings galore) past `target`
    bytes, with non-ASCII text, blank and CRLF lines among them."""
    lines = (EXAMPLES / "claude-code-session.jsonl").read_text().splitlines()
    lines.append("")
    out: list[str] = []
    size = 0
    while size < target:
        for n, line in enumerate(lines):
            out.append(line.replace("ledgerline", "lédgerline 😀") + ("\r\n" if n % 7 else "\n"))
            size += len(out[-1])
    return "".join(out)


def opened(result: bytes | Streamed) -> tuple[DocumentState, TextSnapshot]:
    """The document the server keeps for a streamed didOpen (as `open_document` does)."""
    assert isinstance(result, Streamed)
    text = result.text
    snapshot = TextSnapshot(text.data, text.listed, text.version)
    scan = (snapshot, text.scan) if text.scan else None
    return DocumentState(uri=text.uri, path=None, text=snapshot, scan=scan), snapshot


def no_full_read(*args: Any, **kwargs: Any) -> NoReturn:
    raise AssertionError("the first look read the text again")


def test_a_big_claude_code_open_gets_its_first_look_from_the_fed_history(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(streamed, "FEED_HISTORIES", True)
    text = big_session(QUICK_MIN_BYTES + 1000)
    expected = None
    for seed, order in enumerate(ORDERS):
        body = encode(did_open(text, order), ascii_only=order == "pygls")
        doc, snapshot = opened(read_body(reader(body, seed, 300_000), len(body)))
        assert isinstance(doc.scan and doc.scan[1], HistoryFeed)
        with monkeypatch.context() as patched:
            patched.setattr(analyzer, "read_source", no_full_read)
            patched.setattr(validation, "quick_findings", no_full_read)
            quick = quick_look(doc, snapshot, Options())
        if expected is None:
            fresh = DocumentState(uri=doc.uri, path=None, text=TextSnapshot(snapshot.data, None, 3))
            expected = analyze_document(fresh, fresh.text, Options(detect_secrets=False), None)[1]
            assert expected
        assert quick == expected
        # The full read that follows adds the secrets scan to the same records.
        with monkeypatch.context() as patched:
            patched.setattr(analyzer, "read_source", no_full_read)
            full = analyze_document(doc, snapshot, Options(), quick)[1]
        assert [d for d in full if d.code != "H010"] == quick


def test_a_text_the_feed_gives_up_on_is_first_looked_at_as_before(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A document spread over lines: no fed history, the first look reads it whole."""
    monkeypatch.setattr(streamed, "FEED_HISTORIES", True)
    records = (EXAMPLES / "claude-code-session.jsonl").read_text().splitlines()
    lines = ["["]
    while sum(map(len, lines)) < QUICK_MIN_BYTES + 1000:
        lines += [record + "," for record in records]
    text = "\n".join([*lines, json.dumps({"type": "summary"}), "]", ""])
    body = encode(did_open(text))
    doc, snapshot = opened(read_body(reader(body, 9, 300_000), len(body)))
    assert doc.scan is None
    quick = quick_look(doc, snapshot, Options())
    fresh = DocumentState(uri=doc.uri, path=None, text=TextSnapshot(snapshot.data, None, 3))
    assert quick == analyze_document(fresh, fresh.text, Options(detect_secrets=False), None)[1]
