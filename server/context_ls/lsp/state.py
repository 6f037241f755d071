"""What the server keeps per open document, and the client's capabilities read once."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.capabilities import get_capability
from pygls.uris import to_fs_path

from context_ls.history.fastscan import CodexScan
from context_ls.lsp.documents import TextSnapshot

if TYPE_CHECKING:
    from context_ls.history.analyzer import Analyzer
    from context_ls.history.api import Analysis
    from context_ls.writers import Writer


@dataclass(slots=True)
class ClientFeatures:
    """The few client capabilities the features branch on, read once at initialize."""

    name: str = ""
    version: str = ""
    pull_diagnostics: bool = False
    diagnostic_refresh: bool = False
    work_done_progress: bool = False
    dynamic_watch: bool = False
    relative_patterns: bool = False
    configuration: bool = False
    document_changes: bool = False
    code_lens_refresh: bool = False
    hierarchical_symbols: bool = True

    @classmethod
    def read(cls, params: types.InitializeParams) -> ClientFeatures:
        caps = params.capabilities
        info = params.client_info
        return cls(
            name=info.name if info else "",
            version=(info.version or "") if info else "",
            pull_diagnostics=get_capability(caps, "text_document.diagnostic") is not None,
            diagnostic_refresh=bool(
                get_capability(caps, "workspace.diagnostics.refresh_support", False)
            ),
            work_done_progress=bool(get_capability(caps, "window.work_done_progress", False)),
            dynamic_watch=bool(
                get_capability(
                    caps, "workspace.did_change_watched_files.dynamic_registration", False
                )
            ),
            relative_patterns=bool(
                get_capability(
                    caps, "workspace.did_change_watched_files.relative_pattern_support", False
                )
            ),
            configuration=bool(get_capability(caps, "workspace.configuration", False)),
            document_changes=bool(
                get_capability(caps, "workspace.workspace_edit.document_changes", False)
            ),
            code_lens_refresh=bool(
                get_capability(caps, "workspace.code_lens.refresh_support", False)
            ),
            hierarchical_symbols=bool(
                get_capability(
                    caps,
                    "text_document.document_symbol.hierarchical_document_symbol_support",
                    False,
                )
            ),
        )


def uri_to_path(uri: str) -> str | None:
    """The file-system path of a `file:` URI (None for untitled and other schemes)."""
    if not uri.startswith("file:"):
        return None
    path = to_fs_path(uri)
    return os.path.normpath(path) if path else None


@dataclass(eq=False)
class DocumentState:
    """One open document: its current text, and the last analysis with the exact text it
    read (so byte spans always convert with the right line index)."""

    uri: str
    path: str | None
    text: TextSnapshot
    analyzer: Analyzer | None = None
    # time.time() of the last content change (didChange, on-disk change, or the file's
    # mtime at open): trailing calls are pending while this is within the grace.
    changed_at: float = 0.0
    analysis: Analysis | None = None
    analyzed: TextSnapshot | None = None
    diagnostics: list[types.Diagnostic] = field(default_factory=list)
    # The text `diagnostics` are of: ahead of `analyzed` after a big open's quick first look.
    diagnosed: TextSnapshot | None = None
    published_any: bool = False
    result_seq: int = 0
    dirty: bool = False
    refresh: bool = False  # a pulling client must be asked to pull after this validation
    task: asyncio.Task[None] | None = None
    settled: asyncio.Event = field(default_factory=asyncio.Event)  # `analysis` is of `text`
    fresh: asyncio.Event = field(default_factory=asyncio.Event)  # `diagnostics` are of `text`
    pending_timer: asyncio.TimerHandle | None = None
    copy_timer: asyncio.TimerHandle | None = None  # copies an edited version's bytes
    disk_stamp: tuple[int, int] | None = None  # (mtime_ns, size) last seen on disk
    lookup: asyncio.Future[Any] | None = None  # navigation index, built on first use…
    lookup_of: object | None = None  # …for this analysis
    # The quick first look's scan of a text, done while a big didOpen arrived (used once).
    scan: tuple[TextSnapshot, CodexScan] | None = None
    # Other processes writing the file (an agent still running): its trailing calls are
    # pending, and rewrites say so. Scanned beside the validation at open and after
    # on-disk changes, and every few seconds while it lasts; `writers_seen_at` is the
    # time.monotonic() of the last scan (0: the next validation starts one).
    writers: tuple[Writer, ...] = ()
    writers_seen_at: float = 0.0
    writers_scan: asyncio.Future[None] | None = None
    writers_timer: asyncio.TimerHandle | None = None

    @property
    def result_id(self) -> str:
        return f"{id(self):x}-{self.result_seq}"

    @property
    def is_history(self) -> bool:
        return self.analysis is not None and self.analysis.dialect is not None

    async def current(self) -> tuple[Analysis | None, TextSnapshot | None]:
        """The analysis of the newest text (waits for a running validation)."""
        await self.settled.wait()
        return self.analysis, self.analyzed

    async def current_history(self) -> tuple[Analysis, TextSnapshot] | None:
        """`current()`, when the document is a history (requests on others get nothing)."""
        analysis, text = await self.current()
        if analysis is None or text is None or analysis.dialect is None:
            return None
        return analysis, text
