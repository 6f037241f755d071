"""Engine values (byte spans, findings, byte edits) → LSP values. No decisions here."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from context_ls.history.rules import get_rule
from context_ls.lsp import unchecked
from context_ls.lsp.documents import UTF8, _units

if TYPE_CHECKING:
    from context_ls.history.findings import Finding, Related
    from context_ls.history.model import Span, TextEdit
    from context_ls.history.spliced import Source
    from context_ls.lsp.documents import TextSnapshot
    from context_ls.lsp.transport import DiagnosticParts

SOURCE = "context-ls"
_SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "info": types.DiagnosticSeverity.Information,
    "hint": types.DiagnosticSeverity.Hint,
}


def span_range(text: TextSnapshot, span: Span) -> types.Range:
    return text.range_of(span.start, span.end)


WINDOW = 64 * 1024  # bytes of an edited version read at once by `positions`


def positions(text: TextSnapshot, offsets: Iterable[int]) -> dict[int, types.Position]:
    """The LSP positions of many byte offsets, in one pass in offset order. An offset's
    character count goes on from the previous offset's on the same line: a Claude Code
    line holds many ids, and `position_at` decoded its prefix again for each of them."""
    read = _reader(text.source)
    size = text.size
    utf8 = text.encoding == UTF8
    line_span = _line_spans(text)
    found: dict[int, types.Position] = {}
    make = unchecked.position
    line, start, next_start = -1, 0, -1  # the line of the last offset, its bounds
    anchor, units = 0, 0  # the last offset whose count is known, at a character boundary
    for offset in sorted(set(offsets)):
        at = offset if 0 <= offset <= size else (0 if offset < 0 else size)
        if not start <= at < next_start:
            line, start, next_start = line_span(at)
            anchor, units = start, 0
        elif not (utf8 or _boundary(read(anchor, anchor + 1))):
            anchor, units = start, 0
        if utf8:
            units = at - start
        elif at > anchor:
            piece = read(anchor, at)
            units += len(piece) if piece.isascii() else _units(_decode(piece), text.encoding)
            anchor = at
        found[offset] = make(line, units)
    return found


def _line_spans(text: TextSnapshot) -> Callable[[int], tuple[int, int, int]]:
    """`text.line_span` for offsets asked in increasing order. Bytes whose lines are not
    listed yet (a big open's first diagnostics) are searched from one offset to the next:
    listing a 39 MB file's lines and looking each offset up cost more than its 10k
    findings' positions did."""
    data = text.source
    if text.lines_listed or not isinstance(data, bytes):
        return text.line_span
    size = len(data)
    find, rfind, count = data.find, data.rfind, data.count
    line, next_start = -1, 0  # the last span's line and where the next one starts

    def line_span(at: int) -> tuple[int, int, int]:
        """`at` is past the last span: its line starts after the newlines in between."""
        nonlocal line, next_start
        first = find(b"\n", next_start, at)  # memchr: far quicker than a count
        if first == -1:
            line, start = line + 1, next_start
        else:
            line += 2 + count(b"\n", first + 1, at)
            start = rfind(b"\n", first, at) + 1
        next_start = find(b"\n", at) + 1 or size + 1
        return line, start, next_start

    return line_span


def _reader(source: Source) -> Callable[[int, int], bytes]:
    """`source[a:b]` for reads that move forward. An edited version not yet copied is read
    through its pieces, a few µs a slice: 10k findings' reads made an edit's diagnostics
    ~0.3 s later. One slice of `WINDOW` bytes serves the reads within it (copying the
    whole version first added a document's size to the server's peak memory)."""
    if isinstance(source, bytes):
        return lambda a, b: source[a:b]
    held, held_at = b"", 0

    def read(a: int, b: int) -> bytes:
        nonlocal held, held_at
        if not (held_at <= a and b <= held_at + len(held)):
            held, held_at = source[a : max(b, a + WINDOW)], a
        return held[a - held_at : b - held_at]

    return read


def _boundary(byte: bytes) -> bool:
    """The byte (none: the end) starts a character, not a UTF-8 continuation byte: a count
    can go on from it, as decoding the bytes before and after it apart gives what
    decoding them whole does."""
    return not byte or byte[0] & 0xC0 != 0x80


def _decode(piece: bytes) -> str:
    return piece.decode("utf-8", "surrogateescape")


def finding_data(finding: Finding) -> dict[str, Any]:
    """What a diagnostic carries back to code actions (LSP `data`)."""
    return {
        "call_id": finding.call_id,
        "code": finding.code,
        "fixable": finding.fixable,
        "pending": finding.pending,
    }


def to_diagnostic(finding: Finding, text: TextSnapshot, uri: str) -> types.Diagnostic:
    return to_diagnostics([finding], text, uri)[0]


def to_diagnostics(
    findings: list[Finding], text: TextSnapshot, uri: str, parts: DiagnosticParts | None = None
) -> list[types.Diagnostic]:
    """The findings as LSP diagnostics, with the optional `parts` the client takes (None:
    all); the transport would drop the others. 10k findings are common (a history whose
    ids repeat): positions are computed in one pass, and a span's range, a rule's link,
    the related places and the data are made once and shared (a Claude Code file copied
    ~200 times has 54 of each; diagnostics are never changed in place)."""
    with_related = parts is None or parts.related
    with_links = parts is None or parts.code_description
    with_data = parts is None or parts.data
    offsets: list[int] = []
    for finding in findings:
        offsets.extend(finding.span)
        if with_related:
            for related in finding.related:
                offsets.extend(related.span)
    position = positions(text, offsets)
    ranges: dict[tuple[int, int], types.Range] = {}
    relations: dict[tuple[Related, ...], list[types.DiagnosticRelatedInformation]] = {}
    datas: dict[tuple[str | None, str, bool, bool], dict[str, Any]] = {}
    links: dict[str, types.CodeDescription | None] = {}

    def range_of(span: Span) -> types.Range:
        found = ranges.get(span)
        if found is None:
            found = ranges[span] = unchecked.range_(position[span[0]], position[span[1]])
        return found

    def related_of(finding: Finding) -> list[types.DiagnosticRelatedInformation]:
        key = tuple(finding.related)
        found = relations.get(key)
        if found is None:
            found = relations[key] = [
                types.DiagnosticRelatedInformation(
                    types.Location(uri=uri, range=range_of(related.span)), related.message
                )
                for related in key
            ]
        return found

    def data_of(finding: Finding) -> dict[str, Any]:
        key = (finding.call_id, finding.code, finding.fixable, finding.pending)
        found = datas.get(key)
        if found is None:
            found = datas[key] = finding_data(finding)
        return found

    def link(code: str) -> types.CodeDescription | None:
        if code not in links:
            rule = get_rule(code)
            links[code] = types.CodeDescription(href=rule.url) if rule else None
        return links[code]

    pending, error = types.DiagnosticSeverity.Information, types.DiagnosticSeverity.Error
    return [
        unchecked.diagnostic(
            range_of(finding.span),
            finding.message,
            pending if finding.pending else _SEVERITY.get(finding.severity, error),
            finding.code,
            link(finding.code) if with_links else None,
            SOURCE,
            related_of(finding) if with_related and finding.related else None,
            data_of(finding) if with_data else None,
        )
        for finding in findings
    ]


def to_text_edits(text: TextSnapshot, edits: list[TextEdit]) -> list[types.TextEdit]:
    return [
        types.TextEdit(
            range=span_range(text, edit.span),
            new_text=edit.new_bytes.decode("utf-8", "replace"),
        )
        for edit in edits
    ]


def workspace_edit(
    uri: str, text: TextSnapshot, edits: list[types.TextEdit], document_changes: bool
) -> types.WorkspaceEdit:
    """A versioned edit when the client supports it, so a stale edit is refused."""
    if document_changes:
        return types.WorkspaceEdit(
            document_changes=[
                types.TextDocumentEdit(
                    text_document=types.OptionalVersionedTextDocumentIdentifier(
                        uri=uri, version=text.version
                    ),
                    edits=list(edits),
                )
            ]
        )
    return types.WorkspaceEdit(changes={uri: list(edits)})


def _common_prefix(a: bytes, b: bytes) -> int:
    """Length of the common prefix (binary search over memcmp'd slices)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        mid = (low + high + 1) // 2
        if a[:mid] == b[:mid]:
            low = mid
        else:
            high = mid - 1
    return low


def _char_start(data: bytes, offset: int) -> int:
    """Move back off UTF-8 continuation bytes, so an edit never splits a character."""
    while 0 < offset < len(data) and data[offset] & 0xC0 == 0x80:
        offset -= 1
    return offset


def replace_all(text: TextSnapshot, new_data: bytes) -> list[types.TextEdit]:
    """One edit that turns the document into `new_data`, touching only the bytes that
    differ (a snapshot restore of a 20 MB transcript must not resend all of it)."""
    old = text.data
    prefix = _char_start(old, _common_prefix(old, new_data))
    prefix = min(prefix, _char_start(new_data, prefix))
    if old[prefix - 1 : prefix + 1] == b"\r\n":
        prefix -= 1  # LSP has no position between \r and \n
    limit = min(len(old), len(new_data)) - prefix
    suffix = _common_prefix(old[len(old) - limit :][::-1], new_data[len(new_data) - limit :][::-1])
    while suffix and (
        _char_start(old, len(old) - suffix) != len(old) - suffix
        or _char_start(new_data, len(new_data) - suffix) != len(new_data) - suffix
    ):
        suffix -= 1
    if suffix and old[len(old) - suffix - 1 : len(old) - suffix + 1] == b"\r\n":
        suffix -= 1
    return [
        types.TextEdit(
            range=text.range_of(prefix, len(old) - suffix),
            new_text=new_data[prefix : len(new_data) - suffix].decode("utf-8", "replace"),
        )
    ]
