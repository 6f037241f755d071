"""Code actions (quick fixes, "Normalize history", snapshot restores, trim) and the code
lens at the top of a history. The edits come from the engine; this only packages them."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from context_ls.history.abandoned import live_only
from context_ls.history.api import quick_fix
from context_ls.lsp.convert import to_text_edits, workspace_edit
from context_ls.lsp.feature import LanguageFeature
from context_ls.lsp.features import commands
from context_ls.lsp.features.diagnostics import Diagnostics
from context_ls.lsp.features.snapshots import Snapshots

if TYPE_CHECKING:
    from context_ls.history.api import Analysis
    from context_ls.history.findings import Finding
    from context_ls.lsp.documents import TextSnapshot
    from context_ls.lsp.state import DocumentState
    from context_ls.writers import Writer

logger = logging.getLogger(__name__)

MAX_RESTORE_ACTIONS = 5
RESTORE_KIND = "source.restoreSnapshot"

# VS Code's `editor.codeActionsOnSave` asks for this exact kind; a request for `source.fixAll`
# or `source` still matches it (kinds are hierarchical).
FIX_ALL_KIND = "source.fixAll.context-ls"


def wants(only: list[str] | None, kind: str) -> bool:
    """LSP `only` filtering: `source` asks for `source.fixAll` too."""
    if not only:
        return True
    kind = getattr(kind, "value", kind)
    return any(kind == o or kind.startswith(o + ".") for o in only)


def _touches(finding: Finding, start: int, end: int) -> bool:
    return finding.span.start <= end and start <= finding.span.end


def writer_warning(writers: tuple[Writer, ...]) -> str:
    """What a rewrite's title says while another process writes the file: the agent's
    next lines would land beside the rewritten text, or be lost."""
    if not writers:
        return ""
    names = ", ".join(dict.fromkeys(w.name for w in writers))
    return f" (an agent is still writing this file: {names})"


def _when(timestamp_ms: int) -> str:
    return datetime.fromtimestamp(timestamp_ms / 1000).strftime("%Y-%m-%d %H:%M:%S")


class CodeActions(LanguageFeature):
    """Quick fixes and rewrites for a range of a history, and the code lens at its top."""

    def quick_fixes(
        self, doc: DocumentState, analysis: Analysis, text: TextSnapshot, rng: types.Range
    ) -> list[types.CodeAction]:
        """The fixes of the findings `rng` touches, each with its diagnostic."""
        start = text.offset_at(rng.start.line, rng.start.character)
        end = text.offset_at(rng.end.line, rng.end.character)
        options = self.server.settings.options(pending=False)
        shown = self.server.feature_of(Diagnostics).shown(doc)
        document_changes = self.server.client.document_changes
        actions = []
        for finding, diagnostic in zip(analysis.findings, shown, strict=False):
            if not finding.fixable or not _touches(finding, start, end):
                continue
            title, edits = quick_fix(analysis, finding, options)
            if not edits:
                continue
            to_lsp = to_text_edits(text, edits)
            actions.append(
                types.CodeAction(
                    title=title,
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[diagnostic],
                    is_preferred=True,
                    edit=workspace_edit(doc.uri, text, to_lsp, document_changes),
                )
            )
        return actions

    async def restore_actions(self, doc: DocumentState) -> list[types.CodeAction]:
        try:
            records = await self.server.feature_of(Snapshots).list(commands.snapshot_key(doc))
        except Exception:
            logger.warning("cannot list snapshots of %s", doc.uri, exc_info=True)
            return []
        return [
            types.CodeAction(
                title=f"Restore snapshot from {_when(r.timestamp)} ({r.reason})",
                kind=RESTORE_KIND,
                command=types.Command(
                    title=f"Restore snapshot from {_when(r.timestamp)}",
                    command=commands.RESTORE_SNAPSHOT,
                    arguments=[doc.uri, r.id],
                ),
            )
            for r in records[:MAX_RESTORE_ACTIONS]
        ]

    async def code_actions(self, params: types.CodeActionParams) -> list[types.CodeAction] | None:
        ls = self.server
        doc = ls.documents.get(params.text_document.uri)
        current = await doc.current_history() if doc is not None else None
        if doc is None or current is None:
            return None
        analysis, text = current
        context = params.context
        only = [getattr(k, "value", k) for k in context.only] if context.only else None
        diagnostics = ls.feature_of(Diagnostics)
        fixes = (
            self.quick_fixes(doc, analysis, text, params.range)
            if wants(only, types.CodeActionKind.QuickFix)
            else []
        )
        keep = ls.settings.trim_keep
        normalize = wants(only, FIX_ALL_KIND) and any(f.fixable for f in analysis.findings)
        restores = await self.restore_actions(doc) if wants(only, RESTORE_KIND) else []
        rewrite = types.CodeActionKind.RefactorRewrite
        trim = wants(only, rewrite) and len(analysis.history.items) > keep
        # An edit while the agent still writes the file is refused, and the titles say why
        # before anything is edited (asked only when an edit is offered: a scan of the
        # processes is not free).
        writers = (
            await diagnostics.writers.of(doc) if fixes or normalize or restores or trim else ()
        )
        warning = writer_warning(writers)
        actions: list[types.CodeAction] = []
        if not writers or ls.client.disabled_actions:
            actions += fixes  # edits the client applies itself: only shown greyed out
        if normalize:
            actions.append(
                types.CodeAction(
                    title=f"Normalize history{warning}",
                    kind=FIX_ALL_KIND,
                    command=types.Command(
                        title="Normalize history", command=commands.NORMALIZE, arguments=[doc.uri]
                    ),
                )
            )
        for action in restores:
            action.title += warning
        actions += restores
        if trim:
            title = f"Trim history to the last {keep} items{warning}"
            actions.append(
                types.CodeAction(
                    title=title,
                    kind=rewrite,
                    command=types.Command(
                        title=title, command=commands.TRIM, arguments=[doc.uri, keep]
                    ),
                )
            )
        if writers and ls.client.disabled_actions:
            reason = types.CodeActionDisabled(reason=commands.refusal(writers))
            for action in actions:
                action.disabled = reason
        return actions

    async def code_lens(self, params: types.CodeLensParams) -> list[types.CodeLens] | None:
        doc = self.server.documents.get(params.text_document.uri)
        if doc is None:
            return None
        analysis, _ = await doc.current()
        if analysis is None or analysis.dialect is None:
            return None
        calls = len(live_only(analysis.history, analysis.history.calls))  # sent again
        missing = sum(1 for f in analysis.findings if f.code == "H001" or f.pending)
        plural = "" if calls == 1 else "s"
        outputs = "output" if missing == 1 else "outputs"
        title = f"{calls} call{plural} · {missing} missing {outputs} · open timeline"
        top = types.Range(
            start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)
        )
        arguments: list[Any] = [doc.uri]
        command = types.Command(title=title, command=commands.SHOW_TIMELINE, arguments=arguments)
        return [types.CodeLens(range=top, command=command)]


# What `code_actions` may offer (the server declares them at initialize).
KINDS = [
    types.CodeActionKind.QuickFix,
    types.CodeActionKind.SourceFixAll,
    FIX_ALL_KIND,
    types.CodeActionKind.RefactorRewrite,
    RESTORE_KIND,
]
