"""The fast ways out: diagnostics converted in one pass over sorted offsets, and outgoing
messages encoded by msgspec through a written-out unstructure of `Diagnostic`. Each must
give what the plain way gives (`position_at` per offset; pygls's own `json.dumps`)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lsprotocol import types
from pygls.protocol import default_converter

from context_ls.history.findings import Finding, Related
from context_ls.history.items import Span
from context_ls.history.rules import get_rule
from context_ls.lsp import convert, unchecked
from context_ls.lsp.convert import positions, to_diagnostics
from context_ls.lsp.documents import UTF8, UTF16, UTF32, TextSnapshot
from context_ls.lsp.server import ContextLanguageServer
from context_ls.lsp.transport import DiagnosticParts, diagnostic_hook, encode_message

ENCODINGS = st.sampled_from([UTF8, UTF16, UTF32])
# Line breaks of both kinds, and characters of 1 to 4 UTF-8 bytes (𝄞 is two UTF-16 units).
CHARS = st.sampled_from(["a", "{", '"', "\n", "\r\n", "é", "中", "𝄞", " "])
TEXTS = st.lists(CHARS, max_size=60).map("".join)


def _snapshot(text: str, encoding: str, edit: tuple[int, int, str] | None) -> TextSnapshot:
    """A snapshot of `text`, or of an edit of it (its bytes then still a `Spliced`)."""
    snapshot = TextSnapshot.from_text(text, 1, encoding)
    if edit is None:
        return snapshot
    lines = text.split("\n")
    line = edit[0] % len(lines)
    character = edit[1] % (len(lines[line]) + 1)
    at = types.Position(line=line, character=character)
    change = types.TextDocumentContentChangePartial(
        range=types.Range(start=at, end=at), text=edit[2]
    )
    return snapshot.apply(change, 2)


EDITS = st.none() | st.tuples(st.integers(0, 20), st.integers(0, 20), TEXTS)


@settings(max_examples=300, deadline=None)
@given(
    TEXTS,
    ENCODINGS,
    EDITS,
    st.lists(st.integers(-3, 250), max_size=40),
    st.sampled_from([1, 3, 64 * 1024]),
    st.booleans(),
)
def test_positions_are_position_at(
    text: str,
    encoding: str,
    edit: tuple[int, int, str] | None,
    offsets: list[int],
    window: int,
    listed: bool,
) -> None:
    """Every offset (mid-character, past the end, before the start) gets `position_at`'s
    position, whether the bytes are read whole or through an edit's pieces, a window of
    `window` bytes at a time, and whether the lines are listed or searched as it goes."""
    snapshot = _snapshot(text, encoding, edit)
    if listed:
        snapshot.materialize()
    saved = convert.WINDOW
    convert.WINDOW = window
    try:
        found = positions(snapshot, offsets)
    finally:
        convert.WINDOW = saved
    assert found == {offset: snapshot.position_at(offset) for offset in offsets}


def _reference(finding: Finding, text: TextSnapshot, uri: str) -> types.Diagnostic:
    """A diagnostic made the plain way, one finding and one `range_of` at a time."""
    rule = get_rule(finding.code)
    assert rule is not None
    return types.Diagnostic(
        range=text.range_of(*finding.span),
        message=finding.message,
        severity=types.DiagnosticSeverity.Information
        if finding.pending
        else {"warning": types.DiagnosticSeverity.Warning}.get(
            finding.severity, types.DiagnosticSeverity.Error
        ),
        code=finding.code,
        code_description=types.CodeDescription(href=rule.url),
        source="context-ls",
        related_information=[
            types.DiagnosticRelatedInformation(
                types.Location(uri=uri, range=text.range_of(*related.span)), related.message
            )
            for related in finding.related
        ]
        or None,
        data=convert.finding_data(finding),
    )


SPANS = st.tuples(st.integers(0, 200), st.integers(0, 200)).map(lambda s: Span(min(s), max(s)))
FINDINGS = st.builds(
    Finding,
    code=st.just("H001"),
    rule=st.just("missing-output"),
    severity=st.sampled_from(["error", "warning"]),
    message=st.text(max_size=10),
    span=SPANS,
    item=st.just(0),
    call_id=st.none() | st.text(max_size=5),
    related=st.lists(st.builds(Related, span=SPANS, message=st.sampled_from(["first", "é"]))),
    fixable=st.booleans(),
    pending=st.booleans(),
)


@settings(max_examples=150, deadline=None)
@given(TEXTS, ENCODINGS, EDITS, st.lists(FINDINGS, max_size=8))
def test_diagnostics_are_made_as_one_at_a_time(
    text: str, encoding: str, edit: tuple[int, int, str] | None, findings: list[Finding]
) -> None:
    """Shared ranges and related places change nothing a client can see."""
    snapshot = _snapshot(text, encoding, edit)
    made = to_diagnostics(findings, snapshot, "file:///h.jsonl")
    assert made == [_reference(f, snapshot, "file:///h.jsonl") for f in findings]


@settings(max_examples=100, deadline=None)
@given(TEXTS, ENCODINGS, st.lists(FINDINGS, max_size=8), st.lists(st.booleans(), min_size=4))
def test_diagnostics_lack_only_what_the_client_does_not_take(
    text: str, encoding: str, findings: list[Finding], takes: list[bool]
) -> None:
    """A part the client does not take is not made (the transport would drop it): what is
    sent is the same, parts made or not."""
    snapshot = _snapshot(text, encoding, None)
    parts = DiagnosticParts()
    parts.related, parts.code_description, parts.tags, parts.data = takes[:4]
    hook = diagnostic_hook(default_converter(), parts)
    lean = to_diagnostics(findings, snapshot, "file:///h.jsonl", parts)
    full = to_diagnostics(findings, snapshot, "file:///h.jsonl")
    assert [hook(d) for d in lean] == [hook(d) for d in full]
    for made in lean:
        assert (made.related_information is None) or parts.related
        assert (made.code_description is None) or parts.code_description
        assert (made.data is None) or parts.data


@pytest.mark.parametrize("fields_known", [True, False])
def test_lsp_values_made_unchecked_equal_checked_ones(
    fields_known: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Made without validators, or by lsprotocol's own constructors when its classes'
    fields are not the ones `unchecked` knows: the same values."""
    position, range_ = unchecked.position, unchecked.range_
    if not fields_known:
        monkeypatch.setattr(unchecked, "_setters", lambda cls, names: None)
        monkeypatch.setattr(unchecked, "_DIAGNOSTIC", None)
        position = unchecked._pair(types.Position, ("line", "character"))
        range_ = unchecked._pair(types.Range, ("start", "end"))
    place = range_(position(3, 4), position(5, 0))
    assert place == types.Range(
        start=types.Position(line=3, character=4), end=types.Position(line=5, character=0)
    )
    link = types.CodeDescription(href="https://example.invalid/#h001")
    made = unchecked.diagnostic(
        place, "m", types.DiagnosticSeverity.Warning, "H001", link, "s", None, {"a": 1}
    )
    assert made == types.Diagnostic(
        range=place,
        message="m",
        severity=types.DiagnosticSeverity.Warning,
        code="H001",
        code_description=link,
        source="s",
        data={"a": 1},
    )
    assert unchecked._setters(types.Position, ("line",)) is None  # other fields: checked ones


def _diagnostic(message: str, **extra: Any) -> types.Diagnostic:
    place = types.Range(
        start=types.Position(line=2, character=5), end=types.Position(line=2, character=9)
    )
    return types.Diagnostic(range=place, message=message, **extra)


DIAGNOSTICS = [
    _diagnostic(
        "duplicate call id “toolu_01” — 中文 𝄞",
        severity=types.DiagnosticSeverity.Warning,
        code="H003",
        code_description=types.CodeDescription(href="https://example.invalid/#h003"),
        source="context-ls",
        tags=[types.DiagnosticTag.Unnecessary, types.DiagnosticTag.Deprecated],
        related_information=[
            types.DiagnosticRelatedInformation(
                types.Location(
                    uri="file:///dir%20x/é.jsonl",
                    range=types.Range(
                        start=types.Position(line=0, character=0),
                        end=types.Position(line=0, character=3),
                    ),
                ),
                "the first “toolu_01”",
            )
        ],
        data={"call_id": "toolu_01", "code": "H003", "fixable": True, "pending": False},
    ),
    _diagnostic("no severity, a number code, nested data", code=7, data={"a": [1, {"b": None}]}),
    _diagnostic("data not a dict", data=["x", 2.5, True]),
    _diagnostic("data with a number key", data={1: "one"}),
    _diagnostic(
        "data holding LSP values, an enum and a tuple",
        data={
            "p": types.Position(line=1, character=2),
            "s": types.DiagnosticSeverity.Error,
            "t": (1, 2),
        },
    ),
    _diagnostic('tabs\tquotes" backslash\\ control\x01 and\u2028separator', tags=[]),
]


def _pygls_json(message: object) -> Any:
    """What pygls itself would send: `json.dumps` with its converter, untouched."""
    converter = default_converter()

    def serialize(data: Any) -> Any:
        return converter.unstructure(data)

    return json.loads(json.dumps(message, default=serialize))


def _ours(message: object) -> bytes:
    protocol = ContextLanguageServer().protocol
    return encode_message(message, protocol._serialize_message)


def test_publish_is_what_pygls_sends() -> None:
    message = types.PublishDiagnosticsNotification(
        params=types.PublishDiagnosticsParams(
            uri="file:///é.jsonl", diagnostics=DIAGNOSTICS, version=3
        )
    )
    body = _ours(message)
    assert json.loads(body) == _pygls_json(message)
    assert "中文 𝄞".encode() in body  # UTF-8 as it is, not \u escapes


def test_pull_answer_is_what_pygls_sends() -> None:
    message = types.DocumentDiagnosticResponse(
        id=4, result=types.RelatedFullDocumentDiagnosticReport(items=DIAGNOSTICS, result_id="r1")
    )
    assert json.loads(_ours(message)) == _pygls_json(message)


def test_what_msgspec_refuses_goes_pygls_way() -> None:
    """A lone surrogate (bytes that were not UTF-8, decoded with surrogateescape) cannot be
    UTF-8: the body is pygls's own, with the surrogate escaped."""
    message = types.PublishDiagnosticsNotification(
        params=types.PublishDiagnosticsParams(
            uri="file:///x.jsonl", diagnostics=[_diagnostic("bad \udcff byte")]
        )
    )
    body = _ours(message)
    assert b"\\udcff" in body
    assert json.loads(body) == _pygls_json(message)


def test_plain_dict_goes_pygls_way() -> None:
    """A message built as a dict (the parse error with `"id": null`) is sent as it is."""
    message = {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "é"}}
    assert _ours(message) == json.dumps(message).encode()


class _Writer:
    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.sent.append(data)

    def close(self) -> None:
        pass


def test_content_length_counts_bytes() -> None:
    """Non-ASCII text goes out as UTF-8, so the header must count bytes, not characters."""
    protocol = ContextLanguageServer().protocol
    writer = _Writer()
    protocol.set_writer(writer)
    protocol.notify(
        types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS,
        types.PublishDiagnosticsParams(uri="file:///x.jsonl", diagnostics=DIAGNOSTICS),
    )
    [sent] = writer.sent
    header, body = sent.split(b"\r\n\r\n", 1)
    assert header.startswith(f"Content-Length: {len(body)}\r\n".encode())
    assert len(body) != len(body.decode())
    assert json.loads(body)["params"]["diagnostics"][0]["message"].endswith("中文 𝄞")
