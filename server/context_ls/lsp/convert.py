"""Engine values (byte spans, findings, byte edits) → LSP values. No decisions here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lsprotocol import types

from context_ls.history.rules import get_rule

if TYPE_CHECKING:
    from context_ls.history.findings import Finding
    from context_ls.history.model import Span, TextEdit
    from context_ls.lsp.documents import TextSnapshot

SOURCE = "context-ls"
_SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "info": types.DiagnosticSeverity.Information,
    "hint": types.DiagnosticSeverity.Hint,
}


def span_range(text: TextSnapshot, span: Span) -> types.Range:
    return text.range_of(span.start, span.end)


def finding_data(finding: Finding) -> dict[str, Any]:
    """What a diagnostic carries back to code actions (LSP `data`)."""
    return {
        "call_id": finding.call_id,
        "code": finding.code,
        "fixable": finding.fixable,
        "pending": finding.pending,
    }


def to_diagnostic(finding: Finding, text: TextSnapshot, uri: str) -> types.Diagnostic:
    rule = get_rule(finding.code)
    severity = types.DiagnosticSeverity.Information if finding.pending else None
    return types.Diagnostic(
        range=span_range(text, finding.span),
        message=finding.message,
        severity=severity or _SEVERITY.get(finding.severity, types.DiagnosticSeverity.Error),
        code=finding.code,
        code_description=types.CodeDescription(href=rule.url) if rule else None,
        source=SOURCE,
        related_information=[
            types.DiagnosticRelatedInformation(
                location=types.Location(uri=uri, range=span_range(text, related.span)),
                message=related.message,
            )
            for related in finding.related
        ]
        or None,
        data=finding_data(finding),
    )


def to_diagnostics(findings: list[Finding], text: TextSnapshot, uri: str) -> list[types.Diagnostic]:
    return [to_diagnostic(finding, text, uri) for finding in findings]


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
