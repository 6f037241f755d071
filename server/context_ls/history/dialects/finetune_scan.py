"""`check`'s lean pass over a fine-tuning data set, one byte range at a time.

Every line is a conversation of its own, so a range cut at line boundaries is judged
without the rest of the file (a big file is cut into ranges that run in parallel). A
typed decode that keeps only what the rules read tells a clean line from one that may
hold a finding; only the latter is read in full (`finetune.read_line`) and kept. The
ordinary validator then runs on a sparse history of the kept lines, so the findings are
the full read's by construction: a line is kept on any doubt, never dropped on one."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

import msgspec
from msgspec import Raw, Struct

from context_ls.history.analysis import Analysis, secret_findings
from context_ls.history.dialects import finetune
from context_ls.history.facts import DECODE_ERRORS, Problem, RecordFacts
from context_ls.history.findings import Finding
from context_ls.history.model import History, ItemKind, Span
from context_ls.history.reader import HistoryBuilder
from context_ls.history.source import BOM
from context_ls.history.validate import validate

BLOCK = 4 << 20  # bytes read at a time: a range is never held whole


class _Function(Struct):
    name: str | None = None
    arguments: str | None = None  # an object here fails the typed decode: a kept line


class _Call(Struct):
    id: str = ""
    function: _Function | None = None


class _Message(Struct):
    role: str = ""
    tool_calls: list[_Call] | None = None
    tool_call_id: str | None = None
    content: Raw = Raw(b"")  # only whether it is a string matters (tool messages)


class _Row(Struct):
    messages: list[_Message] | None = None
    tools: Raw = Raw(b"")


class _Object(Struct):
    """Any JSON object (its fields are skipped, their syntax still checked)."""


class _ToolFunction(Struct):
    name: str | None = None


class _Tool(Struct):
    function: _ToolFunction | None = None


_row = msgspec.json.Decoder(_Row).decode
_object = msgspec.json.Decoder(_Object).decode
_tools = msgspec.json.Decoder(list[_Tool]).decode
_ERRORS = (*DECODE_ERRORS, msgspec.ValidationError)
_ROLES = finetune.ROLES
_UNSURE: frozenset[str] = frozenset(
    {""}
)  # a `tools` the typed decode does not take: the line is kept


def _known(raw: bytes, cache: dict[bytes, frozenset[str] | None]) -> frozenset[str] | None:
    """The tool names a line offers (None: no tools), cached: lines repeat their tools."""
    if raw in cache:
        return cache[raw]
    known: frozenset[str] | None = None
    if raw and raw != b"null":
        try:
            tools = _tools(raw)
        except _ERRORS:
            known = _UNSURE
        else:
            names = (t.function.name for t in tools if t.function is not None)
            known = frozenset(n for n in names if n is not None) if tools else None
    if len(cache) > 256:
        cache.clear()
    cache[raw] = known
    return known


def is_clean(raw: bytes, cache: dict[bytes, frozenset[str] | None]) -> bool:
    """True only when `finetune.judge` finds nothing in the line (any doubt: False)."""
    try:
        row = _row(raw)
    except _ERRORS:
        return False
    messages = row.messages
    if messages is None:
        return False
    known = _known(bytes(row.tools), cache)
    if known is _UNSURE:
        return False
    calls: dict[str, int] = {}  # call id -> its message
    answered: set[str] = set()
    run = last = -1  # the assistant message tool messages may answer; the target
    for m, message in enumerate(messages):
        role = message.role
        if role == "tool":
            call_id = message.tool_call_id
            if not call_id or calls.get(call_id, -2) != run or call_id in answered:
                return False
            if not bytes(message.content).startswith(b'"'):
                return False
            answered.add(call_id)
        elif role == "assistant":
            run = last = m
            for call in message.tool_calls or ():
                call_id = call.id
                function = call.function
                if not call_id or call_id in calls or function is None:
                    return False
                calls[call_id] = m
                if function.arguments is None:
                    return False
                try:
                    _object(function.arguments)
                except _ERRORS:
                    return False
                if known is not None and function.name not in known:
                    return False
        elif role in _ROLES:
            run = -1
        else:
            return False
    if len(answered) != len(calls):
        return all(m == last or call_id in answered for call_id, m in calls.items())
    return True


# A kept line: (line number within its range, byte offset, length, its packed facts).
Packed = tuple[str, str | None, tuple[tuple[Any, ...], ...]]
Kept = tuple[int, int, int, Packed]


def pack(facts: RecordFacts) -> Packed:
    """A line's facts as plain tuples: a range's kept lines go from a worker to the parent,
    and pickling dataclasses, enums and named tuples cost 4x as much. A data set line's
    facts are its kind, its error and its problems, nothing else (`finetune._facts`)."""
    return facts.kind.value, facts.error, tuple(tuple(p) for p in facts.problems)


def unpack(packed: Packed) -> RecordFacts:
    kind, error, problems = packed
    return RecordFacts(ItemKind(kind), error=error, problems=tuple(Problem(*p) for p in problems))


class Part(NamedTuple):
    """What one byte range of a data set holds."""

    lines: int  # lines begun in the range (blank ones too: line numbers count them)
    records: int  # non-blank lines
    kept: list[Kept]  # lines that may hold a finding or a secret, in order
    last: Kept | None  # the range's last record (the file's last one is always kept)
    secrets: list[Finding]  # H010, with file offsets (item not yet known)


def cut(path: str, size: int, pieces: int) -> list[tuple[int, int]]:
    """Byte ranges of about `size / pieces` each, every one starting a line."""
    starts = [0]
    with open(path, "rb") as handle:
        for i in range(1, pieces):
            handle.seek(max(size * i // pieces - 1, starts[-1]))
            handle.readline()  # to just past the next newline
            at = handle.tell()
            if at >= size:
                break
            if at > starts[-1]:
                starts.append(at)
    return list(zip(starts, [*starts[1:], size], strict=True))


def scan_range(path: str, start: int, end: int, secrets: bool) -> Part:
    """Read bytes [start, end) of a data set a block at a time (`start` begins a line)."""
    scan = _Scan(start, secrets)
    with open(path, "rb") as handle:
        handle.seek(start)
        rest = b""
        pos = start
        while pos < end:
            block = handle.read(min(BLOCK, end - pos))
            if not block:
                break
            pos += len(block)
            data = rest + block if rest else block
            cut_at = len(data) if pos >= end else data.rfind(b"\n") + 1
            rest = data[cut_at:]
            if cut_at:
                scan.feed(data[:cut_at] if cut_at < len(data) else data)
        if rest:
            scan.feed(rest)
    return scan.part()


def scan_bytes(data: bytes, secrets: bool, bom: bool = True) -> Part:
    """Lines held in memory (`bom`: they begin a file, whose byte-order mark is skipped)."""
    scan = _Scan(0, secrets, bom)
    scan.feed(data)
    return scan.part()


class _Scan:
    def __init__(self, offset: int, secrets: bool, bom: bool = True) -> None:
        self.offset = offset
        self.bom = bom and offset == 0
        self.secrets = secrets
        self.lines = self.records = 0
        self.kept: list[Kept] = []
        self.last: tuple[int, int, bytes] | None = None
        self.found: list[Finding] = []
        self.cache: dict[bytes, frozenset[str] | None] = {}

    def feed(self, data: bytes) -> None:
        """Whole lines (the last may lack its newline only at the end of the file)."""
        marked: list[int] = []
        if self.secrets:
            for finding in secret_findings(History(None), data):
                at = self.offset
                finding.span = Span(finding.span.start + at, finding.span.end + at)
                self.found.append(finding)
                marked.append(finding.span.start)
        offset, line_no, kept, cache = self.offset, self.lines, self.kept, self.cache
        read, clean, first = finetune.read_line, is_clean, self.bom
        records, last, mark = self.records, self.last, 0
        lines = data.split(b"\n")
        if lines[-1] == b"":
            lines.pop()
        for line in lines:
            size = len(line) + 1
            raw = line[:-1] if line.endswith(b"\r") else line
            skip = 3 if first and raw.startswith(BOM) else 0
            first = False
            if raw and not raw.isspace():
                body = raw[skip:] if skip else raw
                at = offset + skip
                records += 1
                last = (line_no, at, body)
                secret = False
                while mark < len(marked) and marked[mark] < offset + size:
                    secret, mark = True, mark + 1
                if secret or not clean(body, cache):
                    kept.append((line_no, at, len(body), pack(read(body))))
            offset += size
            line_no += 1
        self.offset, self.lines, self.records, self.last = offset, line_no, records, last
        self.bom = False

    def part(self) -> Part:
        last: Kept | None = None
        if self.last is not None:
            line_no, at, body = self.last
            last = (line_no, at, len(body), pack(finetune.read_line(body)))
        return Part(self.lines, self.records, self.kept, last, self.found)


class _Reader:
    """Bytes of a file by offset, through one open descriptor."""

    def __init__(self, path: str) -> None:
        self.fd = os.open(path, os.O_RDONLY)

    def __call__(self, start: int, end: int) -> bytes:
        return os.pread(self.fd, end - start, start)


@contextmanager
def range_analysis(path: str, size: int, part: Part, end: int, line: int) -> Iterator[Analysis]:
    """The analysis of one range of a data set file that ends at `end` and whose first line
    is line `line` (0-based) of the file. Lines are conversations of their own, so its
    findings are those of the whole file's read in that range; only the file's last range
    can end in a line without its newline. Its `fetch` reads the file while the context
    lasts."""
    reader = _Reader(path)
    try:
        ends_with_newline = end < size or size == 0 or reader(size - 1, size) == b"\n"
        yield analysis_of([part], size, reader, ends_with_newline, line)
    finally:
        os.close(reader.fd)


def analysis_of(
    parts: list[Part],
    size: int,
    fetch: Callable[[int, int], bytes],
    ends_with_newline: bool = True,
    first_line: int = 0,
) -> Analysis:
    """A sparse history of the parts' kept lines, validated; findings in file order."""
    history = History(dialect=finetune.NAME, size=size)
    history.ends_with_newline = ends_with_newline
    builder = HistoryBuilder(history)
    final = max((i for i, p in enumerate(parts) if p.records), default=-1)
    base = first_line
    for i, part in enumerate(parts):
        kept = list(part.kept)
        if i == final and part.last is not None and (not kept or kept[-1][1] != part.last[1]):
            kept.append(part.last)
        for line_no, at, length, facts in kept:
            builder.add(at, at + length, base + line_no, 0, unpack(facts))
        base += part.lines
    history = builder.finish()
    history.total_records = sum(p.records for p in parts)
    history.sparse = True
    findings = validate(history)
    items = history.items
    for part in parts:
        for finding in part.secrets:
            finding.item = items.row_at(finding.span.start)
            findings.append(finding)
    findings.sort(key=lambda f: (f.span.start, f.code))
    analysis = Analysis(b"", history, findings)
    analysis.fetch = fetch
    return analysis
