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
from context_ls.lsp.features.diagnostics import Diagnostics
from context_ls.writers import live_writers_many

if TYPE_CHECKING:
    from context_ls.lsp.server import ContextLanguageServer

logger = logging.getLogger(__name__)

HISTORY_SUFFIXES = (".json", ".jsonl")
SKIP_FOLDERS = frozenset({".git", "node_modules", ".venv", "venv", "__pycache__", ".cache"})
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_FILES = 5000
LIVE_FRESH = 2.0  # seconds a scan for the processes writing closed histories is reused

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
        # path -> ((mtime_ns, size, pending), result_id, diagnostics) for files not open
        self._disk: dict[str, tuple[tuple[int, int, bool], str, list[types.Diagnostic]]] = {}
        self._seq = 0
        # (time.monotonic(), paths, the live ones) of the last scan for writers
        self._live_seen: tuple[float, frozenset[str], set[str]] | None = None

    def settings_changed(self) -> None:
        self._disk.clear()

    async def document_diagnostic(
        self, params: types.DocumentDiagnosticParams
    ) -> types.DocumentDiagnosticReport:
        doc = self.server.documents.get(params.text_document.uri)
        if doc is None:
            return types.RelatedFullDocumentDiagnosticReport(items=[])
        diagnostics = self.server.feature_of(Diagnostics)
        await diagnostics.fresh(doc)  # a big open's quick first look answers before the full read
        result_id = diagnostics.result_id(doc)
        if params.previous_result_id == result_id:
            return types.RelatedUnchangedDocumentDiagnosticReport(result_id=result_id)
        return types.RelatedFullDocumentDiagnosticReport(
            items=list(diagnostics.shown(doc)), result_id=result_id
        )

    async def workspace_diagnostic(
        self, params: types.WorkspaceDiagnosticParams
    ) -> types.WorkspaceDiagnosticReport:
        previous = {p.uri: p.value for p in params.previous_result_ids}
        diagnostics = self.server.feature_of(Diagnostics)
        items: list[Report] = []
        open_paths = set()
        for doc in list(self.server.documents.values()):
            await doc.current()
            if doc.path:
                open_paths.add(doc.path)
            if not doc.is_history:
                continue
            version = doc.analyzed.version if doc.analyzed else None
            result_id = diagnostics.result_id(doc)
            if previous.get(doc.uri) == result_id:
                items.append(
                    types.WorkspaceUnchangedDocumentDiagnosticReport(
                        uri=doc.uri, version=version, result_id=result_id
                    )
                )
            else:
                items.append(
                    types.WorkspaceFullDocumentDiagnosticReport(
                        uri=doc.uri,
                        version=version,
                        items=list(diagnostics.shown(doc)),
                        result_id=result_id,
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
        """Worker thread: analyse the closed history files (cached by mtime, size and
        whether their trailing calls are pending)."""
        reports: list[Report] = []
        paths = [p for p in history_candidates(folders) if p not in skip]
        live = self._live(paths)
        grace = self.server.settings.pending_grace_seconds
        now = time.time()
        for path in paths:
            try:
                stat = os.stat(path)
                if stat.st_size > MAX_FILE_BYTES:
                    continue
                in_grace = grace > 0 and now - stat.st_mtime_ns / 1e9 < grace
                stamp = (stat.st_mtime_ns, stat.st_size, in_grace or path in live)
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

    def _live(self, paths: list[str]) -> set[str]:
        """The files another process (an agent) still writes: one scan for all of them,
        at most every `LIVE_FRESH` seconds (clients may pull back to back). Codex's
        thread lock is looked up by the rollout's name only (no file is read)."""
        now = time.monotonic()
        key = frozenset(paths)
        if self._live_seen is not None:
            seen_at, seen_paths, live = self._live_seen
            if seen_paths == key and now - seen_at < LIVE_FRESH:
                return live
        try:
            found = live_writers_many(paths, {p: b"" for p in paths})
        except Exception:
            logger.warning("cannot tell who writes the workspace's histories", exc_info=True)
            found = {}
        live = {path for path, writers in found.items() if writers}
        self._live_seen = (now, key, live)
        return live

    def _analyze_file(
        self, path: str, stamp: tuple[int, int, bool]
    ) -> tuple[tuple[int, int, bool], str, list[types.Diagnostic]]:
        with open(path, "rb") as handle:
            data = handle.read()
        options = self.server.settings.options(pending=stamp[2])
        analysis = analyze(data, options=options)
        if analysis.dialect is None:
            return stamp, "", []
        text = TextSnapshot.from_bytes(data, 0, self.server.encoding)
        uri = from_fs_path(path) or path
        self._seq += 1
        parts = self.server.diagnostic_parts
        return stamp, f"disk-{self._seq}", to_diagnostics(analysis.findings, text, uri, parts)
