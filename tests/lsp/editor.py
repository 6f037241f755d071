"""What an editor does around a language server, for the end-to-end tests: keeps its own
copy of each document, sends didOpen/didChange, applies `workspace/applyEdit` to its copy
and sends the change, and reads diagnostics the way its capabilities say (pull or push).

Written independently of the server's document model, on purpose."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient


def offset_of(text: str, position: types.Position, encoding: str) -> int:
    """String index of an LSP position (lines split on \\n)."""
    lines = text.split("\n")
    line = min(position.line, len(lines) - 1)
    index = sum(len(x) + 1 for x in lines[:line])
    units = 0
    for char in lines[line]:
        if units >= position.character:
            break
        if encoding == "utf-8":
            units += len(char.encode("utf-8"))
        elif encoding == "utf-32":
            units += 1
        else:
            units += 2 if ord(char) > 0xFFFF else 1
        index += 1
    return index


def position_of(text: str, index: int, encoding: str) -> types.Position:
    before = text[:index]
    line = before.count("\n")
    col_text = before[before.rfind("\n") + 1 :]
    if encoding == "utf-8":
        col = len(col_text.encode("utf-8"))
    elif encoding == "utf-32":
        col = len(col_text)
    else:
        col = len(col_text.encode("utf-16-le")) // 2
    return types.Position(line=line, character=col)


class Editor:
    def __init__(self, client: LanguageClient, encoding: str, pull: bool) -> None:
        self.client = client
        self.encoding = encoding
        self.pull = pull
        self.texts: dict[str, str] = {}
        self.versions: dict[str, int] = {}
        self.published: dict[str, list[types.PublishDiagnosticsParams]] = {}
        self.registrations: list[types.Registration] = []
        self.applied_edits: list[types.ApplyWorkspaceEditParams] = []
        self.code_lens_refreshes = 0

    # documents ------------------------------------------------------------------------

    def open(self, path: Path, language_id: str = "json") -> str:
        uri = path.resolve().as_uri()
        return self.open_text(uri, path.read_text(encoding="utf-8"), language_id)

    def open_text(self, uri: str, text: str, language_id: str = "json") -> str:
        self.texts[uri] = text
        self.versions[uri] = 1
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id=language_id, version=1, text=text
                )
            )
        )
        return uri

    def close(self, uri: str) -> None:
        self.texts.pop(uri)
        self.client.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )

    def edit(self, uri: str, edits: Sequence[types.TextEdit]) -> None:
        """Apply edits (positions in the original text) and send them as incremental
        changes, last first, the way editors report a multi-cursor edit."""
        text = self.texts[uri]
        spans = [
            (
                offset_of(text, e.range.start, self.encoding),
                offset_of(text, e.range.end, self.encoding),
                i,
                e,
            )
            for i, e in enumerate(edits)
        ]
        changes = []
        for start, end, _, e in sorted(spans, key=lambda s: (s[0], s[1], s[2]), reverse=True):
            changes.append(
                types.TextDocumentContentChangePartial(
                    range=types.Range(
                        start=position_of(text, start, self.encoding),
                        end=position_of(text, end, self.encoding),
                    ),
                    text=e.new_text,
                )
            )
            text = text[:start] + e.new_text + text[end:]
        self.texts[uri] = text
        self.versions[uri] += 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(
                    uri=uri, version=self.versions[uri]
                ),
                content_changes=changes,
            )
        )

    def apply_workspace_edit(self, edit: types.WorkspaceEdit) -> bool:
        for change in edit.document_changes or []:
            assert isinstance(change, types.TextDocumentEdit)
            uri = change.text_document.uri
            if change.text_document.version not in (None, self.versions[uri]):
                return False
            self.edit(uri, [e for e in change.edits if isinstance(e, types.TextEdit)])
        for uri, edits in (edit.changes or {}).items():
            self.edit(uri, edits)
        return True

    # requests -------------------------------------------------------------------------

    async def settle(self, uri: str) -> Any:
        """A request the server answers only once the newest text is analysed: every
        diagnostic push for it has then arrived."""
        return await self.client.text_document_code_lens_async(
            types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )

    async def symbols(self, uri: str) -> Any:
        return await self.client.text_document_document_symbol_async(
            types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )

    async def diagnostics(self, uri: str) -> list[types.Diagnostic]:
        """The current diagnostics of `uri`: pulled, or the last push for its version."""
        await self.settle(uri)
        if self.pull:
            report = await self.client.text_document_diagnostic_async(
                types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))
            )
            assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
            return list(report.items)
        pushes = self.published.get(uri, [])
        if not pushes:
            return []
        assert pushes[-1].version in (None, self.versions.get(uri)), "stale diagnostics"
        return list(pushes[-1].diagnostics)

    async def wait_for(
        self, uri: str, check: Callable[[list[types.Diagnostic]], bool], timeout: float = 10.0
    ) -> list[types.Diagnostic]:
        deadline = time.monotonic() + timeout
        while True:
            found = await self.diagnostics(uri)
            if check(found) or time.monotonic() > deadline:
                return found
            await asyncio.sleep(0.05)

    async def code_actions(
        self,
        uri: str,
        rng: types.Range,
        diagnostics: list[types.Diagnostic] | None = None,
        only: list[str] | None = None,
    ) -> list[types.CodeAction]:
        result = await self.client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                range=rng,
                context=types.CodeActionContext(diagnostics=diagnostics or [], only=only),
            )
        )
        return [a for a in result or [] if isinstance(a, types.CodeAction)]

    async def fix_one(self, uri: str) -> bool:
        """Apply the quick fix of the first fixable diagnostic (False: none is left)."""
        fixable = [d for d in await self.diagnostics(uri) if (d.data or {}).get("fixable")]
        if not fixable:
            return False
        target = fixable[0]
        actions = await self.code_actions(
            uri, target.range, [target], [types.CodeActionKind.QuickFix]
        )
        assert actions and actions[0].edit is not None, target
        assert self.apply_workspace_edit(actions[0].edit)
        return True

    async def run(self, command: types.Command) -> Any:
        return await self.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=command.command, arguments=command.arguments)
        )

    def find(self, uri: str, needle: str, nth: int = 0) -> types.Position:
        """Position of the `nth` occurrence of `needle` in the editor's text."""
        text = self.texts[uri]
        index = -1
        for _ in range(nth + 1):
            index = text.index(needle, index + 1)
        return position_of(text, index, self.encoding)
