"""Reading a big JSONL file without holding it: records are read line by line, and the
few bytes findings need afterwards are fetched again by offset."""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import islice
from pathlib import Path

import msgspec

from context_ls.history import source as src
from context_ls.history.detect import SAMPLE_SIZE, document_dialect
from context_ls.history.dialects import dialect_of
from context_ls.history.facts import DECODE_ERRORS, RecordFacts
from context_ls.history.model import DialectName, History
from context_ls.history.reader import HEAD_BYTES, HistoryBuilder, facts_reader, head_dialect

STREAM_THRESHOLD = 16 * 1024 * 1024  # bytes; smaller files are simply read whole


def is_streamable(path: Path) -> bool:
    """A JSONL file big enough that holding it whole would cost real memory."""
    if path.stat().st_size < STREAM_THRESHOLD:
        return False
    with path.open("rb") as handle:
        head = handle.read(1 << 20)
    return not src.looks_like_document(head, src.content_start(head)) if b"\n" in head else False


def read_history_stream(
    path: Path, dialect: DialectName | None = None, sparse: bool = False
) -> History:
    with path.open("rb") as handle:
        if dialect is None:
            head = handle.read(HEAD_BYTES)
            dialect = head_dialect(head, src.content_start(head))
            handle.seek(0)
        size = path.stat().st_size
        history = History(dialect=dialect, size=size)
        if dialect is None:
            return history
        scan = dialect_of(dialect).sparse_scan
        if scan is not None and sparse:
            newline_probe = handle.readline()
            history.newline = b"\r\n" if newline_probe.endswith(b"\r\n") else b"\n"
            handle.seek(0)
            scan(handle, history, file_fetcher(path))
            history.ends_with_newline = size == 0 or _ends_with_newline(path)
            return history
        read = facts_reader(dialect)
        builder = HistoryBuilder(history)
        add = builder.add
        offset = 0
        body = b""
        for line_no, line in enumerate(handle):
            length = len(line)
            body = line.rstrip(b"\r\n")
            skip = 3 if offset == 0 and body.startswith(src.BOM) else 0
            if line_no == 0 and line.endswith(b"\r\n"):
                history.newline = b"\r\n"
            if skip:
                body = body[skip:]
            if body.strip():
                start = offset + skip
                add(start, start + len(body), line_no, 0, read(body))
            offset += length
        history.ends_with_newline = size == 0 or _ends_with_newline(path)
        return builder.finish()


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as handle:
        handle.seek(-1, 2)
        return handle.read(1) == b"\n"


def file_fetcher(path: Path) -> Callable[[int, int], bytes]:
    """bytes [start, end) of a file, read on demand."""

    def fetch(start: int, end: int) -> bytes:
        with path.open("rb") as handle:
            handle.seek(start)
            return handle.read(end - start)

    return fetch


FEED_HEAD_LIMIT = 8 * 1024 * 1024  # bytes held to decide the dialect before giving up
_NON_BLANK = re.compile(rb"[^ \t\r\n]")


class HistoryFeed:
    """A JSONL history read line by line while its text still arrives (the server's
    streamed didOpen), as `reader.read_source` reads it whole: the same dialect (decided
    from the same first lines), offsets, line numbers, BOM, CRLF and blank lines. Only
    `finish` is left after the last byte. When in doubt (a document, a dialect with a
    lean scan, first lines too long or too few) it gives up: `off`, and the caller reads
    the text as before."""

    __slots__ = ("builder", "head", "lines", "off", "offset", "read")

    def __init__(self) -> None:
        self.head: list[bytes] = []  # pieces held until the dialect is decided
        self.builder: HistoryBuilder | None = None
        self.read: Callable[[bytes], RecordFacts] | None = None
        self.off = False
        self.offset = 0  # bytes read into the builder
        self.lines = 0  # lines read so far (blank ones too)

    def feed(self, piece: bytes) -> None:
        """Read the next piece of the text: whole lines, each ending with `\\n` (only the
        text's last piece may end without one)."""
        if self.off:
            return
        if self.builder is None:
            self.head.append(piece)
            head = b"".join(self.head) if len(self.head) > 1 else piece
            if not self._decide(head):
                if len(head) > FEED_HEAD_LIMIT:
                    self._give_up()
                return
            self.head = []
            piece = head
        self._read_lines(piece)

    def _decide(self, head: bytes) -> bool:
        """Decide the dialect once the lines detection samples have all arrived (False:
        not yet, or `off`)."""
        start = src.content_start(head)
        complete = head.rfind(b"\n") + 1
        if complete <= start:
            return False
        sampled = list(islice(src.split_lines(head[:complete], start), SAMPLE_SIZE * 2))
        if len(sampled) < SAMPLE_SIZE * 2:
            return False
        first_text = _NON_BLANK.search(head, start)
        if first_text is None or first_text.start() < sampled[0][1]:
            self._give_up()  # a line `source.looks_like_document` would look at first
            return False
        values = []
        for index, (_line, _pos, chunk) in enumerate(sampled):
            try:
                values.append(msgspec.json.decode(chunk))
            except DECODE_ERRORS:
                if index == 0:  # maybe a document spread over lines: read it whole
                    self._give_up()
                    return False
        # The first line decodes and more follow: JSONL (`source.looks_like_document`).
        dialect = document_dialect(None, values)
        if dialect is None or dialect_of(dialect).sparse_scan is not None:
            self._give_up()
            return False
        self.builder = HistoryBuilder(History(dialect=dialect))
        self.read = facts_reader(dialect)
        return True

    def _give_up(self) -> None:
        self.off = True
        self.head = []

    def _read_lines(self, piece: bytes) -> None:
        builder, read = self.builder, self.read
        assert builder is not None and read is not None
        add = builder.add
        base, first = self.offset, self.lines
        for line, pos, chunk in src.split_lines(piece, src.content_start(piece) if not base else 0):
            add(base + pos, base + pos + len(chunk), first + line, 0, read(chunk))
        # Every piece but the text's last ends with a line break.
        ends = not piece or piece.endswith(b"\n")
        self.offset, self.lines = base + len(piece), first + piece.count(b"\n") + (not ends)

    def finish(self, data: bytes) -> History | None:
        """The history of `data`, the whole text fed (None: given up, or not all fed)."""
        builder = self.builder
        if self.off or builder is None or self.offset != len(data):
            return None
        self.builder = None
        history = builder.history
        history.size = len(data)
        history.newline = src.detect_newline(data)
        history.ends_with_newline = data.endswith(b"\n")
        return builder.finish()
