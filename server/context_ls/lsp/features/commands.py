"""`workspace/executeCommand`: normalize, trim, snapshots, context and timeline.

Every rewrite snapshots the current text first and then goes to the editor through
`workspace/applyEdit`: the server never writes an open document behind the editor's back.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams

from context_ls.history.api import normalize_edits, trim_edits
from context_ls.lsp.convert import replace_all, to_text_edits, workspace_edit
from context_ls.lsp.feature import LanguageFeature
from context_ls.lsp.features.context_bridge import ContextBridge
from context_ls.lsp.features.diagnostics import Diagnostics
from context_ls.lsp.features.snapshots import Snapshots, record_json
from context_ls.writers import describe_writers

if TYPE_CHECKING:
    from context_ls.history.api import Analysis
    from context_ls.lsp.documents import TextSnapshot
    from context_ls.lsp.state import DocumentState
    from context_ls.writers import Writer

logger = logging.getLogger(__name__)

NORMALIZE = "contextLs.normalize"
TRIM = "contextLs.trim"
CREATE_SNAPSHOT = "contextLs.createSnapshot"
LIST_SNAPSHOTS = "contextLs.listSnapshots"
RESTORE_SNAPSHOT = "contextLs.restoreSnapshot"
SHOW_CONTEXT = "contextLs.showContext"
SHOW_TIMELINE = "contextLs.showTimeline"
ACTIVATE_CONTEXT = "contextLs.activateContext"


class CommandError(JsonRpcException):
    """A command that cannot run; the message tells the user why (shown by the editor)."""

    CODE = -32803  # RequestFailed


async def current_history(doc: DocumentState) -> tuple[Analysis, TextSnapshot]:
    analysis, text = await doc.current()
    if analysis is None or text is None or analysis.dialect is None:
        raise CommandError(f"{doc.uri} is not an agent session history.")
    return analysis, text


def refusal(writers: tuple[Writer, ...]) -> str:
    """Why an edit is refused while another process writes the file: the agent's next
    lines would land beside the rewritten text, or be lost when the editor saves."""
    return (
        f"Not while {describe_writers(writers, 'this file')}: "
        "wait until the agent stops (or quit it), then try again."
    )


def snapshot_key(doc: DocumentState) -> str:
    return doc.path or doc.uri


class Commands(LanguageFeature):
    """One method per command; each gets the command's arguments as sent."""

    def open_document(self, args: tuple[Any, ...]) -> DocumentState:
        """The document named by the first argument, else the editor's active one (a
        command run from the palette has no arguments)."""
        uri = args[0] if args else self.server.active_uri
        if not isinstance(uri, str):
            raise JsonRpcInvalidParams("The first argument must be a document URI.")
        doc = self.server.documents.get(uri)
        if doc is None:
            raise CommandError(
                f"{uri} is not open in the editor; open it and run the command again."
            )
        return doc

    async def save_snapshot(self, doc: DocumentState, data: bytes, reason: str) -> dict[str, Any]:
        try:
            record = await self.server.feature_of(Snapshots).save(snapshot_key(doc), data, reason)
        except Exception as exc:
            raise CommandError(f"Could not save a snapshot, so nothing was changed: {exc}") from exc
        return record_json(record)

    async def apply(
        self, doc: DocumentState, text: TextSnapshot, edits: list[types.TextEdit], label: str
    ) -> bool:
        edit = workspace_edit(doc.uri, text, edits, self.server.client.document_changes)
        result = await self.server.workspace_apply_edit_async(
            types.ApplyWorkspaceEditParams(edit=edit, label=label)
        )
        if not result.applied:
            logger.warning("the editor did not apply %r: %s", label, result.failure_reason)
        return bool(result.applied)

    async def rewrite(
        self,
        doc: DocumentState,
        text: TextSnapshot,
        edits: list[types.TextEdit],
        label: str,
        reason: str,
    ) -> dict[str, Any]:
        """Snapshot the current text, then ask the editor to apply `edits`; refused while
        another process writes the file (looked for again if the last look is old)."""
        if not edits:
            return {"applied": False, "edits": 0, "snapshot": None}
        writers = await self.server.feature_of(Diagnostics).writers.of(doc)
        if writers:
            raise CommandError(f"{label}: {refusal(writers)}")
        record = await self.save_snapshot(doc, text.data, reason)
        applied = await self.apply(doc, text, edits, label)
        return {"applied": applied, "edits": len(edits), "snapshot": record}

    async def normalize(self, args: tuple[Any, ...]) -> dict[str, Any]:
        doc = self.open_document(args)
        analysis, text = await current_history(doc)
        options = self.server.settings.options(pending=False)
        loop = asyncio.get_running_loop()
        pool = self.server.analysis_pool
        edits = await loop.run_in_executor(pool, normalize_edits, analysis, options)
        return await self.rewrite(
            doc, text, to_text_edits(text, edits), "Normalize history", "normalize"
        )

    async def trim(self, args: tuple[Any, ...]) -> dict[str, Any]:
        doc = self.open_document(args)
        rest = args[1:]
        wanted = rest[0] if rest else None
        keep = wanted if isinstance(wanted, int) and wanted > 0 else self.server.settings.trim_keep
        analysis, text = await current_history(doc)
        edits = trim_edits(analysis, keep)
        label = f"Trim history to the last {keep} items"
        return await self.rewrite(doc, text, to_text_edits(text, edits), label, f"trim to {keep}")

    async def create_snapshot(self, args: tuple[Any, ...]) -> dict[str, Any]:
        doc = self.open_document(args)
        rest = args[1:]
        reason = rest[0] if rest and isinstance(rest[0], str) and rest[0] else "manual"
        return await self.save_snapshot(doc, doc.text.data, reason)

    async def list_snapshots(self, args: tuple[Any, ...]) -> list[dict[str, Any]]:
        doc = self.open_document(args)
        records = await self.server.feature_of(Snapshots).list(snapshot_key(doc))
        return [record_json(r) for r in records]

    async def restore_snapshot(self, args: tuple[Any, ...]) -> dict[str, Any]:
        doc = self.open_document(args)
        rest = args[1:]
        snapshot_id = rest[0] if rest and isinstance(rest[0], str) else None
        try:
            snapshot = await self.server.feature_of(Snapshots).get(snapshot_key(doc), snapshot_id)
        except Exception as exc:
            raise CommandError(str(exc)) from exc
        text = doc.text
        if snapshot.data == text.data:
            return {"applied": False, "edits": 0, "snapshot": None, "restored": snapshot.id}
        edits = replace_all(text, snapshot.data)
        reason = f"before restoring {snapshot.id}"
        result = await self.rewrite(doc, text, edits, "Restore snapshot", reason)
        result["restored"] = snapshot.id
        return result

    async def show_context(self, args: tuple[Any, ...]) -> dict[str, Any]:
        return await self.server.feature_of(ContextBridge).show()

    async def activate_context(self, args: tuple[Any, ...]) -> dict[str, Any]:
        """What `contextLs/didChangeActiveEditor` does, for clients that cannot send it."""
        uri = args[0] if args and isinstance(args[0], str) else None
        self.server.feature_of(ContextBridge).activate(uri)
        return {"active": uri}

    async def show_timeline(self, args: tuple[Any, ...]) -> str:
        doc = self.open_document(args)
        analysis, _ = await current_history(doc)
        try:
            render_report = importlib.import_module("context_ls.report.html").render_report
        except (ImportError, AttributeError) as exc:
            raise CommandError("The timeline report is not available in this build.") from exc
        title = doc.uri.rsplit("/", 1)[-1]
        loop = asyncio.get_running_loop()
        pool = self.server.analysis_pool
        html: str = await loop.run_in_executor(pool, render_report, analysis, title)
        return html
