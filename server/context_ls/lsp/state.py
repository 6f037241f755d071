"""What the server keeps per open document, and the client's capabilities read once.

A document holds only what several features share: its text and its newest analysis.
What one feature keeps per document (the diagnostics' timers, the navigation index…) is
that feature's own class, kept in the document's slot for it (`DocumentState.slot`)."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar, cast

from lsprotocol import types
from pygls.capabilities import get_capability
from pygls.uris import to_fs_path

from context_ls.history.fastscan import CodexScan
from context_ls.lsp.documents import TextSnapshot

if TYPE_CHECKING:
    from context_ls.history.api import Analysis

S = TypeVar("S")


@dataclass(slots=True)
class ClientFeatures:
    """The few client capabilities the features branch on, read once at initialize."""

    pull_diagnostics: bool = False
    diagnostic_refresh: bool = False
    work_done_progress: bool = False
    dynamic_watch: bool = False
    configuration: bool = False
    document_changes: bool = False
    code_lens_refresh: bool = False
    hierarchical_symbols: bool = True
    # The client greys out a code action that carries `disabled` (and shows the reason).
    disabled_actions: bool = False

    @classmethod
    def read(cls, params: types.InitializeParams) -> ClientFeatures:
        caps = params.capabilities
        return cls(
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
            disabled_actions=bool(
                get_capability(caps, "text_document.code_action.disabled_support", False)
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
    # The transport's scan of the didOpen text, made while it arrived (the first
    # validation uses it once, then drops it).
    scan: tuple[TextSnapshot, CodexScan] | None = None
    # Written by the diagnostics feature, read by every feature that answers requests.
    analysis: Analysis | None = None
    analyzed: TextSnapshot | None = None
    settled: asyncio.Event = field(default_factory=asyncio.Event)  # `analysis` is of `text`
    _slots: dict[type[Any], Any] = field(default_factory=dict, init=False, repr=False)

    def slot(self, kind: type[S]) -> S:
        """What one feature keeps for this document: an instance of the feature's own
        `kind` (made on first use, gone with the document). Only that feature reads it;
        others ask the feature."""
        found = self._slots.get(kind)
        if found is None:
            found = self._slots[kind] = kind()
        return cast(S, found)

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
