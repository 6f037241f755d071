"""The `check` hot loop for big Codex rollouts.

Decoding every line into records costs several times the file read itself, so this pass
keeps only (id, line, offset) tuples, finds the ids that are not paired exactly once in
order, and builds a *sparse* history of just those records. The ordinary validator then
runs on it and gives the same findings as on the full history."""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Iterator
from itertools import chain, islice
from typing import Any

import msgspec

from context_ls.history import source as src
from context_ls.history.detect import SAMPLE_SIZE, detect_dialect
from context_ls.history.dialects import codex, responses
from context_ls.history.facts import DECODE_ERRORS, RecordFacts, malformed
from context_ls.history.model import History
from context_ls.history.reader import HistoryBuilder


class _Payload(msgspec.Struct):
    type: str | None = None
    call_id: str | None = None


class _Line(msgspec.Struct):
    type: str | None = None
    payload: _Payload | None = None


_decode = msgspec.json.Decoder(_Line).decode
_CALLS = frozenset(responses.CALL_TYPES)
_OUTPUTS = responses.OUTPUT_TYPES
# (line number, byte offset, line bytes without terminator) of records kept for the validator
Kept = tuple[int, int, bytes]


class CodexScan:
    """`scan_codex` fed a run of lines at a time: a rollout can be scanned while it still
    arrives (the server's streamed didOpen), and the scan is done with its last byte."""

    def __init__(self) -> None:
        self.first_call: dict[str, int] = {}
        self.first_output: dict[str, int] = {}
        self.repeated: set[str] = set()
        self.pairing: list[tuple[str, int, int, int]] = []  # (id, line, offset, size)
        self.special: list[Kept] = []  # malformed lines and unusual shapes: always kept
        self.lines = 0  # lines fed so far
        self.blank = 0  # of which blank: no record (the full read skips them)
        self.offset = 0  # bytes fed so far

    def feed(self, lines: Iterable[bytes | memoryview]) -> None:
        """Scan the next lines (with their terminators)."""
        first_call, first_output, repeated = self.first_call, self.first_output, self.repeated
        pairing, special = self.pairing, self.special
        decode = _decode
        calls, outputs = _CALLS, _OUTPUTS
        offset = self.offset
        line_no = self.lines - 1
        for line_no, line in enumerate(lines, self.lines):
            size = len(line)
            try:
                record = decode(line)
            except DECODE_ERRORS:
                if (raw := bytes(line)).strip():
                    special.append((line_no, offset, raw.rstrip(b"\r\n")))
                else:
                    self.blank += 1
                offset += size
                continue
            payload = record.payload
            if record.type == "compacted":
                # Codex resumes from here: what came before is never sent again, and the
                # replacement history inside the line is read with the full reader.
                first_call.clear()
                first_output.clear()
                repeated.clear()
                pairing.clear()
                raw = bytes(line).rstrip(b"\r\n")
                special.append((line_no, offset, raw))
                # The calls and outputs the line carries pair with the records after it:
                # every record that shares an id with them is kept for the validator.
                kept = codex.facts_from_line(raw)
                repeated.update(call.call_id for call in kept.calls or ())
                repeated.update(output.call_id for output in kept.outputs or ())
            elif payload is not None and record.type == "response_item":
                kind = payload.type
                call_id = payload.call_id
                if kind in calls or kind in outputs:
                    if not call_id or kind in (
                        "local_shell_call",
                        "tool_search_call",
                        "tool_search_output",
                    ):
                        special.append((line_no, offset, bytes(line).rstrip(b"\r\n")))
                    else:
                        seen = first_call if kind in calls else first_output
                        if call_id in seen:
                            repeated.add(call_id)
                        else:
                            seen[call_id] = line_no
                        pairing.append((call_id, line_no, offset, size))
            offset += size
        self.lines, self.offset = line_no + 1, offset

    def finish(self, history: History, fetch: Callable[[int, int], bytes]) -> History:
        """Fill `history` (dialect codex) sparsely with the records findings need."""
        first_call, first_output = self.first_call, self.first_output
        suspicious = self.repeated | (first_call.keys() ^ first_output.keys())
        for call_id, output_line in first_output.items():
            call_line = first_call.get(call_id)
            if call_line is not None and output_line < call_line:
                suspicious.add(call_id)
        kept = self.special + [
            (n, o, fetch(o, o + size).rstrip(b"\r\n"))
            for cid, n, o, size in self.pairing
            if cid in suspicious
        ]
        kept.sort()
        builder = HistoryBuilder(history)
        for line_no, start, raw in kept:
            facts: RecordFacts = codex.facts_from_line(raw) if raw.strip() else malformed("empty")
            builder.add(start, start + len(raw), line_no, 0, facts)
        history.total_records = self.lines - self.blank
        history.sparse = True
        return builder.finish()


def scan_codex(
    lines: Iterable[bytes | memoryview], history: History, fetch: Callable[[int, int], bytes]
) -> History:
    """Fill `history` (dialect codex) sparsely from the lines of a rollout (with their
    terminators; views into a buffer held in memory save copying it line by line)."""
    scan = CodexScan()
    scan.feed(lines)
    return scan.finish(history, fetch)


def rollout_in_memory(data: bytes) -> History | None:
    """The sparse history of a Codex rollout held in memory (a small file `check` would read
    whole), when the full read would take it for one: plain JSONL from its first byte whose
    records detection calls `codex`. Validating it gives the full read's findings at a
    fraction of the cost (what a first `sessions` listing of thousands of files needs).
    None: not such a rollout (read it whole)."""
    if src.content_start(data) or src.looks_like_document(data, 0):
        return None
    # What the full read samples: the first non-blank lines that decode.
    if detect_dialect(sample(data)) != codex.NAME:
        return None
    history = History(dialect=codex.NAME, size=len(data), newline=src.detect_newline(data))
    history.ends_with_newline = data.endswith(b"\n")
    return scan_codex(line_views(data), history, lambda start, end: data[start:end])


SPLIT_AT_ONCE_BELOW = 1 << 20  # bytes: a smaller source has its sampled lines cut in one call


def sample(data: bytes) -> Iterator[Any]:
    """What the full read (`reader.read_source`) detects a JSONL source's dialect from: the
    values of its first `2 * SAMPLE_SIZE` non-blank lines that decode, decoded as they are
    asked for. A listing detects thousands of small files, and one `bytes.split` cuts the
    lines in a fraction of the time that cutting them one at a time takes (it copies what
    follows them, hence only below `SPLIT_AT_ONCE_BELOW`)."""
    lines: Iterable[bytes]
    if len(data) < SPLIT_AT_ONCE_BELOW:
        pieces = data.split(b"\n", SAMPLE_SIZE * 2)
        # Past the last cut: the rest, where blank lines among the first pieces leave some
        # of the sampled lines.
        rest = pieces.pop() if len(pieces) > SAMPLE_SIZE * 2 else b""
        lines = chain(_non_blank(pieces), (chunk for _n, _o, chunk in src.split_lines(rest)))
    else:
        lines = (chunk for _line, _offset, chunk in src.split_lines(data))
    decode = msgspec.json.decode
    for chunk in islice(lines, SAMPLE_SIZE * 2):
        try:
            yield decode(chunk)
        except DECODE_ERRORS:
            continue


def _non_blank(pieces: list[bytes]) -> Iterator[bytes]:
    """`source.split_lines`' lines (without their offsets) of a source split at `\\n`."""
    for piece in pieces:
        chunk = piece[:-1] if piece.endswith(b"\r") else piece
        if chunk and not chunk.isspace():
            yield chunk


def line_views(
    data: bytes, base: int = 0, starts: array[int] | None = None
) -> Iterator[memoryview]:
    """The lines of `data` (split at `\\n`, terminators kept) as views: no copies. With
    `starts`, the offset just past each `\\n` (plus `base`) is added to it on the way."""
    view = memoryview(data)
    find = data.find
    start, size = 0, len(data)
    while start < size:
        end = find(b"\n", start) + 1
        if not end:
            end = size
        elif starts is not None:
            starts.append(base + end)
        yield view[start:end]
        start = end
