"""Document symbols: an outline of turns and their tool calls (status in `detail`), so a
20 MB transcript can be navigated from the editor's outline. Where every record is a
whole conversation (a fine-tuning data set line) the outline lists the conversations."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from lsprotocol import types

from context_ls.history.abandoned import live_only
from context_ls.history.dialects import dialect_of
from context_ls.history.dialects.finetune_outline import outline_line
from context_ls.history.model import ItemKind
from context_ls.lsp.feature import LanguageFeature
from context_ls.lsp.features.navigation import Navigation

if TYPE_CHECKING:
    from context_ls.history.api import Analysis
    from context_ls.history.model import Call, Item
    from context_ls.lsp.documents import TextSnapshot
    from context_ls.lsp.features.navigation import IdIndex


def call_status(analysis: Analysis, index: IdIndex, call: Call, pending: set[str]) -> str:
    outputs = index.outputs.get(call.call_id, [])
    if not outputs:
        return "pending" if call.call_id in pending else "missing output"
    return outputs[0].status or "ok"


def _starts_turn(item: Item) -> bool:
    """A turn begins with what the user says (tool results sent as user messages do not)."""
    return item.kind is ItemKind.MESSAGE and item.role == "user"


def outline(analysis: Analysis, text: TextSnapshot, index: IdIndex) -> list[types.DocumentSymbol]:
    """One symbol per turn (a user message and everything up to the next one), with its
    tool calls as children; one per conversation in a data set."""
    if analysis.dialect is not None and dialect_of(analysis.dialect).lines_only:
        return conversations(analysis, text)
    pending = {f.call_id for f in analysis.findings if f.pending and f.call_id}
    calls_by_item: dict[int, list[Call]] = {}
    # What is sent again only: no superseded version, rewound message or left branch.
    for call in live_only(analysis.history, analysis.history.calls):
        calls_by_item.setdefault(call.item, []).append(call)
    symbols: list[types.DocumentSymbol] = []
    current: types.DocumentSymbol | None = None
    children: list[types.DocumentSymbol] = []
    turns = 0
    for item in analysis.history.items:
        if (item.turn < 0 and item.index not in calls_by_item) or item.abandoned:
            continue
        rng = text.range_of(item.span.start, item.span.end)
        if current is None or _starts_turn(item):
            turns += _starts_turn(item)
            current = types.DocumentSymbol(
                name=f"Turn {turns}" if _starts_turn(item) else "Before the first prompt",
                kind=types.SymbolKind.Namespace,
                range=rng,
                selection_range=types.Range(start=rng.start, end=rng.start),
                children=(children := []),
            )
            symbols.append(current)
        else:
            current.range = types.Range(start=current.range.start, end=rng.end)
        for call in calls_by_item.get(item.index, []):
            span = index.spans[id(call)]
            status = call_status(analysis, index, call, pending)
            children.append(
                types.DocumentSymbol(
                    name=call.tool or call.kind,
                    kind=types.SymbolKind.Function,
                    range=rng,
                    selection_range=text.range_of(span.start, span.end),
                    detail=f"{status} · {call.call_id}",
                )
            )
            current.detail = f"{len(children)} call{'' if len(children) == 1 else 's'}"
    return symbols


# Above this many conversations the outline lists them with their findings only: reading
# every line again for its calls would cost seconds and hundreds of thousands of symbols.
DETAILED_RECORDS = 5000


def conversations(analysis: Analysis, text: TextSnapshot) -> list[types.DocumentSymbol]:
    """One symbol per record when each record is a whole conversation (`Dialect.lines_only`:
    a data set's lines stay records even alone), named by its line, with its tool calls as
    children: the training target's, those without an output (H001), the others."""
    findings: dict[int, set[str]] = {}
    missing: set[tuple[int, str]] = set()
    for finding in analysis.findings:
        findings.setdefault(finding.item, set()).add(finding.code)
        if finding.code == "H001" and finding.call_id:
            missing.add((finding.item, finding.call_id))
    symbols: list[types.DocumentSymbol] = []
    items = analysis.history.items
    detailed = len(items) <= DETAILED_RECORDS
    for item in items:
        start, end = item.span
        rng = text.range_of(start, end)
        messages, calls = outline_line(analysis.read(start, end)) if detailed else (-1, [])
        children = []
        for call in calls:
            at = text.range_of(start + call.start, start + call.end)
            status = (
                "training target"
                if call.target
                else "missing output"
                if (item.index, call.call_id or "") in missing
                else "answered"
            )
            children.append(
                types.DocumentSymbol(
                    name=call.tool or "tool call",
                    kind=types.SymbolKind.Function,
                    range=at,
                    selection_range=at,
                    detail=f"{status} · {call.call_id or 'no id'}",
                )
            )
        counts = [
            f"{messages} message{'' if messages == 1 else 's'}",
            f"{len(calls)} call{'' if len(calls) == 1 else 's'}",
        ]
        parts = [*(counts if detailed else []), *sorted(findings.get(item.index, ()))]
        symbols.append(
            types.DocumentSymbol(
                name=f"Line {item.line + 1}",
                kind=types.SymbolKind.Namespace,
                range=rng,
                selection_range=types.Range(start=rng.start, end=rng.start),
                detail=" · ".join(parts),
                children=children,
            )
        )
    return symbols


def flatten(uri: str, symbols: list[types.DocumentSymbol]) -> list[types.SymbolInformation]:
    flat = []
    for symbol in symbols:
        flat.append(
            types.SymbolInformation(
                name=symbol.name,
                kind=symbol.kind,
                location=types.Location(uri=uri, range=symbol.range),
            )
        )
        for child in symbol.children or []:
            flat.append(
                types.SymbolInformation(
                    name=f"{child.name} ({child.detail})",
                    kind=child.kind,
                    location=types.Location(uri=uri, range=child.range),
                    container_name=symbol.name,
                )
            )
    return flat


class Symbols(LanguageFeature):
    async def document_symbols(
        self, params: types.DocumentSymbolParams
    ) -> list[types.DocumentSymbol] | list[types.SymbolInformation] | None:
        doc = self.server.documents.get(params.text_document.uri)
        current = await doc.current_history() if doc is not None else None
        if doc is None or current is None:
            return None
        analysis, text = current
        index = await self.server.feature_of(Navigation).index_of(doc, analysis)
        loop = asyncio.get_running_loop()
        pool = self.server.analysis_pool
        symbols = await loop.run_in_executor(pool, outline, analysis, text, index)
        if self.server.client.hierarchical_symbols:
            return symbols
        return flatten(doc.uri, symbols)
