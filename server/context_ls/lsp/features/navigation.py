"""Hover, go to definition and references on call ids and output ids.

The index (id spans sorted by offset, outputs by call id) is built once per analysis on
first use (the document outline uses it too), so each request is a bisect, not a scan of
a 20 MB transcript.

A call or output on an abandoned row (a superseded version, a rewound message, a branch
left by a rewind) is never sent again: a live id's hover and definition leave it out.
On such an id itself, the hover says what it is (superseded by the version at line N),
and definition goes to that live version, or within the abandoned part when none is.
"""

from __future__ import annotations

import asyncio
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lsprotocol import types

from context_ls.history.abandoned import Abandoned
from context_ls.history.api import call_details, id_span, output_details
from context_ls.history.model import Call, Output
from context_ls.lsp.feature import LanguageFeature
from context_ls.report.timeline import parse_time

if TYPE_CHECKING:
    from context_ls.history.api import Analysis
    from context_ls.history.model import Span
    from context_ls.lsp.documents import TextSnapshot
    from context_ls.lsp.state import DocumentState


@dataclass(slots=True)
class IdIndex:
    starts: list[int] = field(default_factory=list)
    entries: list[tuple[Span, Call | Output]] = field(default_factory=list)
    # The live calls and outputs by id (what is sent again).
    calls: dict[str, list[Call]] = field(default_factory=dict)
    outputs: dict[str, list[Output]] = field(default_factory=dict)
    spans: dict[int, Span] = field(default_factory=dict)  # id(call/output) -> id span
    # Those on abandoned rows, by id, and why each is not sent (id(call/output) -> note).
    left: dict[str, list[Call | Output]] = field(default_factory=dict)
    notes: dict[int, str] = field(default_factory=dict)
    # Abandoned ones a later version replaced: id(call/output) -> the live version's row.
    versions: dict[int, int] = field(default_factory=dict)

    @classmethod
    def build(cls, analysis: Analysis) -> IdIndex:
        index = cls()
        history = analysis.history
        entries: list[tuple[Span, Call | Output]] = []
        nodes: list[Call | Output] = [*history.calls, *history.outputs]
        abandoned = Abandoned(history)
        for node in nodes:
            entries.append((id_span(analysis, node), node))
            note = abandoned.note(node)
            if note is not None:
                index.notes[id(node)] = note
                index.left.setdefault(node.call_id, []).append(node)
                row = abandoned.live_version(node)
                if row is not None:
                    index.versions[id(node)] = row
            elif isinstance(node, Call):
                index.calls.setdefault(node.call_id, []).append(node)
            else:
                index.outputs.setdefault(node.call_id, []).append(node)
        # An output located on its call's id (Gemini CLI: both in one tool call object)
        # sorts first, so the cursor there finds the call (`at` takes the last match).
        entries.sort(key=lambda entry: (entry[0].start, isinstance(entry[1], Call)))
        index.entries = entries
        index.starts = [span.start for span, _ in entries]
        index.spans = {id(node): span for span, node in entries}
        return index

    def at(self, offset: int) -> Call | Output | None:
        i = bisect_right(self.starts, offset) - 1
        if i >= 0:
            span, node = self.entries[i]
            if span.start <= offset <= span.end:
                return node
        return None


@dataclass(eq=False)
class Lookup:
    """Per document: the id index, being built or built, and the analysis it is of."""

    index: asyncio.Future[IdIndex] | None = None
    of: Analysis | None = None


def _size(size: int) -> str:
    return f"{size} B" if size < 1024 else f"{size / 1024:.1f} KiB"


def _call_lines(analysis: Analysis, call: Call) -> list[str]:
    details = call_details(analysis, call)
    lines = [f"**{details.tool or call.kind}** · call `{call.call_id}`"]
    if details.arguments_summary:
        lines.append(f"Arguments:\n{_fenced(details.arguments_summary)}")
    return lines


def _fenced(text: str) -> str:
    """A Markdown code block that no backtick run inside `text` can close early."""
    fence = "```"
    while fence in text:
        fence += "`"
    return f"{fence}\n{text}\n{fence}"


def hover_text(analysis: Analysis, index: IdIndex, node: Call | Output) -> str:
    note = index.notes.get(id(node))
    if note is not None:
        return _left_text(analysis, node, note)
    if isinstance(node, Output):
        calls = index.calls.get(node.call_id, [])
        if not calls:
            return f"Output of `{node.call_id}`: **no call has this id** (orphan output)"
        return "\n\n".join(["Output of:", *_call_lines(analysis, calls[0])])
    lines = _call_lines(analysis, node)
    outputs = index.outputs.get(node.call_id, [])
    if not outputs:
        lines.append("Output: **none**")
    for output in outputs:
        out = output_details(analysis, output)
        status = out.status or ("error" if out.is_error else "ok")
        lines.append(f"Output: {status} · {_size(out.size)}\n{_fenced(out.first_line)}")
        start = parse_time(call_details(analysis, node).timestamp)
        end = parse_time(out.timestamp)
        if start is not None and end is not None:
            lines.append(f"Time to output: {end - start:.1f} s")
    return "\n\n".join(lines)


def _left_text(analysis: Analysis, node: Call | Output, note: str) -> str:
    """A call or output that is not sent again: what it is, then its own details."""
    what = "Call" if isinstance(node, Call) else "Output"
    lines = [f"{what} `{node.call_id}` **{note}**"]
    if isinstance(node, Call):
        lines += _call_lines(analysis, node)
    else:
        out = output_details(analysis, node)
        status = out.status or ("error" if out.is_error else "ok")
        lines.append(f"Output: {status} · {_size(out.size)}\n{_fenced(out.first_line)}")
    return "\n\n".join(lines)


def targets(index: IdIndex, node: Call | Output) -> Sequence[Call | Output]:
    """Where definition goes: from an output to its call, from a call to its outputs;
    from a superseded version to the same call or output in the live version, from one
    left behind by a rewind to its counterparts left with it (a branch's own pairs)."""
    if id(node) not in index.notes:
        if isinstance(node, Output):
            return index.calls.get(node.call_id, [])
        return index.outputs.get(node.call_id, [])
    row = index.versions.get(id(node))
    if row is not None:
        same: Sequence[Call | Output] = (
            index.outputs.get(node.call_id, [])
            if isinstance(node, Output)
            else index.calls.get(node.call_id, [])
        )
        return [n for n in same if n.item == row]
    wanted = Output if isinstance(node, Call) else Call
    return [n for n in index.left.get(node.call_id, []) if isinstance(n, wanted)]


def _locations(
    uri: str, text: TextSnapshot, index: IdIndex, nodes: Sequence[Call | Output]
) -> list[types.Location]:
    return [
        types.Location(
            uri=uri, range=text.range_of(index.spans[id(n)].start, index.spans[id(n)].end)
        )
        for n in nodes
    ]


class Navigation(LanguageFeature):
    """Hover, definition and references on the ids of an open history."""

    async def index_of(self, doc: DocumentState, analysis: Analysis) -> IdIndex:
        """The id index of `analysis`, built once in a worker thread (locating every id
        of a 20 MB transcript takes longer than the event loop may be blocked)."""
        lookup = doc.slot(Lookup)
        if lookup.of is not analysis or lookup.index is None:
            loop = asyncio.get_running_loop()
            lookup.index = loop.run_in_executor(self.server.analysis_pool, IdIndex.build, analysis)
            lookup.of = analysis
        return await lookup.index

    async def _target(
        self, uri: str, position: types.Position
    ) -> tuple[DocumentState, Analysis, TextSnapshot, IdIndex, Call | Output] | None:
        doc = self.server.documents.get(uri)
        current = await doc.current_history() if doc is not None else None
        if doc is None or current is None:
            return None
        analysis, text = current
        index = await self.index_of(doc, analysis)
        node = index.at(text.offset_at(position.line, position.character))
        if node is None:
            return None
        return doc, analysis, text, index, node

    async def hover(self, params: types.HoverParams) -> types.Hover | None:
        found = await self._target(params.text_document.uri, params.position)
        if found is None:
            return None
        _, analysis, text, index, node = found
        span = index.spans[id(node)]
        return types.Hover(
            contents=types.MarkupContent(
                kind=types.MarkupKind.Markdown, value=hover_text(analysis, index, node)
            ),
            range=text.range_of(span.start, span.end),
        )

    async def definition(self, params: types.DefinitionParams) -> list[types.Location] | None:
        """From an output to its call; from a call to its output(s)."""
        found = await self._target(params.text_document.uri, params.position)
        if found is None:
            return None
        doc, _, text, index, node = found
        return _locations(doc.uri, text, index, targets(index, node))

    async def references(self, params: types.ReferenceParams) -> list[types.Location] | None:
        found = await self._target(params.text_document.uri, params.position)
        if found is None:
            return None
        doc, _, text, index, node = found
        calls = index.calls.get(node.call_id, []) if params.context.include_declaration else []
        found_at = _locations(doc.uri, text, index, calls) + _locations(
            doc.uri, text, index, index.outputs.get(node.call_id, [])
        )
        if id(node) in index.notes:  # asked on an abandoned one: those left with it too
            left = [
                n
                for n in index.left.get(node.call_id, [])
                if params.context.include_declaration or isinstance(n, Output)
            ]
            found_at += _locations(doc.uri, text, index, left)
        return found_at
