"""Reading a big JSONL file without holding it: records are read line by line, and the
few bytes findings need afterwards are fetched again by offset."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from context_ls.history import source as src
from context_ls.history.dialects import dialect_of
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
            body = _without_line_break(line)
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


def _without_line_break(line: bytes) -> bytes:
    """The line without its one line break (`\\n` or `\\r\\n`), as `source.split_lines` cuts it:
    a stray `\\r` before it stays in the record, so both reads give the same spans."""
    if line.endswith(b"\n"):
        line = line[:-1]
    return line[:-1] if line.endswith(b"\r") else line


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
