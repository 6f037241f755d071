"""Pull diagnostics: `textDocument/diagnostic` for open documents and `workspace/diagnostic`
over the history files of the workspace folders, opened or not.

Used only when the client declares `textDocument.diagnostic`; the push path is then
silent, so no document is reported twice.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.uris import from_fs_path

from context_ls.history.api import analyze
from context_ls.lsp.convert import to_diagnostics
from context_ls.lsp.documents import TextSnapshot
from context_ls.lsp.feature import LanguageFeature

if TYPE_CHECKING:
    from context_ls.lsp.server import ContextLanguageServer

logger = logging.getLogger(__name__)

HISTORY_SUFFIXES = (".json", ".jsonl")
SKIP_FOLDERS = frozenset({".git", "node_modules", ".venv", "venv", "__pycache__", ".cache"})
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_FILES = 5000

Report = (
    types.WorkspaceFullDocumentDiagnosticReport | types.WorkspaceUnchangedDocumentDiagnosticReport
)


def history_candidates(folders: list[str]) -> Iterator[str]:
    """JSON/JSONL files under `folders` (no hidden or vendored folders, no symlinks out)."""
    count = 0
    for folder in folders:
        for root, dirs, files in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_FOLDERS and not d.startswith("."))
            for name in sorted(files):
                if not name.endswith(HISTORY_SUFFIXES):
                    continue
                path = os.path.join(root, name)
                real = os.path.realpath(path)
                if not any(real == f or real.startswith(f + os.sep) for f in folders):
                    continue
                count += 1
                if count > MAX_FILES:
                    return
                yield path


class PullDiagnostics(LanguageFeature):
    def __init__(self, server: ContextLanguageServer) -> None:
        super().__init__(server)
        # path -> ((mtime_ns, size), result_id, diagnostics) for files not open
        self._disk: dict[str, tuple[tuple[int, int], str, list[types.Diagnostic]]] = {}
        self._seq = 0

    def settings_changed(self) -> None:
        self._disk.clear()

    async def document_diagnostic(
        self, params: types.DocumentDiagnosticParams
    ) -> types.DocumentDiagnosticReport:
        doc = self.server.documents.get(params.text_document.uri)
        if doc is None:
            return types.RelatedFullDocumentDiagnosticReport(items=[])
        await doc.fresh.wait()  # a big open's quick first look answers before the full read
        result_id = doc.result_id
        if params.previous_result_id == result_id:
            return types.RelatedUnchangedDocumentDiagnosticReport(result_id=result_id)
        return types.RelatedFullDocumentDiagnosticReport(
            items=list(doc.diagnostics), result_id=result_id
        )

    async def workspace_diagnostic(
        self, params: types.WorkspaceDiagnosticParams
    ) -> types.WorkspaceDiagnosticReport:
        previous = {p.uri: p.value for p in params.previous_result_ids}
        items: list[Report] = []
        open_paths = set()
        for doc in list(self.server.documents.values()):
            await doc.current()
            if doc.path:
                open_paths.add(doc.path)
            if not doc.is_history:
                continue
            version = doc.analyzed.version if doc.analyzed else None
            if previous.get(doc.uri) == doc.result_id:
                items.append(
                    types.WorkspaceUnchangedDocumentDiagnosticReport(
                        uri=doc.uri, version=version, result_id=doc.result_id
                    )
                )
            else:
                items.append(
                    types.WorkspaceFullDocumentDiagnosticReport(
                        uri=doc.uri,
                        version=version,
                        items=list(doc.diagnostics),
                        result_id=doc.result_id,
                    )
                )
        loop = asyncio.get_running_loop()
        folders = self.server.workspace_paths()
        closed = await loop.run_in_executor(
            self.server.analysis_pool, self._scan, folders, open_paths, previous
        )
        items.extend(closed)
        return types.WorkspaceDiagnosticReport(items=items)

    def _scan(self, folders: list[str], skip: set[str], previous: dict[str, str]) -> list[Report]:
        """Worker thread: analyse the closed history files (cached by mtime and size)."""
        reports: list[Report] = []
        for path in history_candidates(folders):
            if path in skip:
                continue
            try:
                stat = os.stat(path)
                if stat.st_size > MAX_FILE_BYTES:
                    continue
                stamp = (stat.st_mtime_ns, stat.st_size)
                cached = self._disk.get(path)
                if cached is None or cached[0] != stamp:
                    cached = self._analyze_file(path, stamp)
                    self._disk[path] = cached
            except (OSError, ValueError):
                logger.warning("cannot read %s", path, exc_info=True)
                continue
            _, result_id, diagnostics = cached
            if not result_id:
                continue  # not a history
            uri = from_fs_path(path) or path
            if previous.get(uri) == result_id:
                reports.append(
                    types.WorkspaceUnchangedDocumentDiagnosticReport(
                        uri=uri, version=None, result_id=result_id
                    )
                )
            else:
                reports.append(
                    types.WorkspaceFullDocumentDiagnosticReport(
                        uri=uri, version=None, items=diagnostics, result_id=result_id
                    )
                )
        return reports

    def _analyze_file(
        self, path: str, stamp: tuple[int, int]
    ) -> tuple[tuple[int, int], str, list[types.Diagnostic]]:
        with open(path, "rb") as handle:
            data = handle.read()
        grace = self.server.settings.pending_grace_seconds
        pending = grace > 0 and time.time() - stamp[0] / 1e9 < grace
        options = self.server.settings.options(pending=pending)
        analysis = analyze(data, options=options)
        if analysis.dialect is None:
            return stamp, "", []
        text = TextSnapshot.from_bytes(data, 0, self.server.encoding)
        uri = from_fs_path(path) or path
        self._seq += 1
        return stamp, f"disk-{self._seq}", to_diagnostics(analysis.findings, text, uri)


def register(server: ContextLanguageServer) -> None:
    options = types.DiagnosticOptions(
        identifier="context-ls", inter_file_dependencies=False, workspace_diagnostics=True
    )

    @server.feature(types.TEXT_DOCUMENT_DIAGNOSTIC, options)
    async def document_diagnostic(
        ls: ContextLanguageServer, params: types.DocumentDiagnosticParams
    ) -> types.DocumentDiagnosticReport:
        result: types.DocumentDiagnosticReport = await ls.feature_of(
            PullDiagnostics
        ).document_diagnostic(params)
        return result

    @server.feature(types.WORKSPACE_DIAGNOSTIC)
    async def workspace_diagnostic(
        ls: ContextLanguageServer, params: types.WorkspaceDiagnosticParams
    ) -> types.WorkspaceDiagnosticReport:
        result: types.WorkspaceDiagnosticReport = await ls.feature_of(
            PullDiagnostics
        ).workspace_diagnostic(params)
        return result
