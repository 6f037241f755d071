"""A big didOpen decoded while it still arrives.

A 25 MB transcript reaches the server as one JSON string inside its didOpen. Decoding the
whole body after its last byte and encoding the text back to UTF-8 took ~50 ms on a
fresh server, most of it first-touch page faults of three 25 MB buffers. Here the text is
unescaped a piece at a time while the rest crosses the pipe: every piece ends just after a
line break (a `\\n` escape), so it never splits an escape. A big Codex rollout also goes
through the quick first look's scan on the way, which lists its line starts; other texts'
are listed later (`OpenedText.listed` is None, see `TextSnapshot.raw_starts`): the server,
not the client, keeps the pipe waiting, and listing the 400k lines of a 28 MB document
took ~70 ms of a ~200 ms receive. Little is left for after the last byte. Anything
unexpected (another method, another shape, an escape msgspec refuses, such as a lone
surrogate) hands the caller the body to decode as before: raw, but for the part of the
text decoded by then, written back as JSON (the same message; its bytes are not kept).
"""

from __future__ import annotations

import io
import json
import re
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec
from lsprotocol import types

from context_ls.history.analyzer import QUICK_MIN_BYTES, is_quick_candidate
from context_ls.history.fastscan import CodexScan, line_views
from context_ls.history.position import line_starts
from context_ls.lsp.documents import starts_typecode

# Bytes asked of the pipe at a time (a quarter of its size, once widened): the text decoded
# from a piece (twice its size, as a str of non-ASCII text) and its UTF-8 stay in the
# caches; 1 MB pieces made a 43 MB Claude Code didOpen's receive ~45 ms longer (0.17 s).
PIECE = 256 * 1024
HEAD = 16 * 1024  # bytes read before looking for where the text starts
TAIL = 32  # bytes of the previous chunk searched again with the next one
# A longer run without a line break is likely one big JSON line: the plain path reads it
# (every chunk of it would be searched for a line break in vain).
LONGEST_LINE = 2 * 1024 * 1024
TEXT_PATH = ["params", "textDocument", "text"]

_TOKEN = re.compile(rb'[ \t\r\n]*(?:(")|([{\[])|([}\]])|([:,])|[^ \t\r\n{}\[\]:,"]+)')
_STRING_REST = re.compile(rb'(?:[^"\\]|\\.)*"', re.DOTALL)
_decode = msgspec.json.decode


@dataclass(frozen=True, slots=True)
class OpenedText:
    """The text of a streamed didOpen: its exact UTF-8 bytes and where its lines start."""

    uri: str
    version: int
    data: bytes
    # listed[0] == 0, then the offset just past every `\n`; None: not listed (no scan)
    listed: array[int] | None
    scan: CodexScan | None  # the quick first look's scan of `data`, when it applies

    @property
    def starts(self) -> array[int]:
        """Where the lines start (listed now if they were not as the text arrived)."""
        return self.listed if self.listed is not None else line_starts(self.data, first=0)


@dataclass(frozen=True, slots=True)
class Streamed:
    """A didOpen read by `read_body`: the message with "" in place of its text."""

    message: dict[str, Any]
    text: OpenedText


class _KeyPath:
    """Where a JSON text read token by token stands: the current key of every open
    container (None for an array). Enough to tell which value a string is."""

    def __init__(self, keys: list[str | None] | None = None) -> None:
        self.keys: list[str | None] = keys if keys is not None else []
        self.expect_key = False
        self.repeated = False  # a key on TEXT_PATH was given again (the last one wins)

    def read(self, data: bytes) -> int | None:
        """Follow `data`; the offset where a string begins that does not end within it
        (None when every string ends, or the text is not JSON this follows)."""
        keys = self.keys
        pos = 0
        while (token := _TOKEN.match(data, pos)) is not None and token.end() > pos:
            pos = token.end()
            if token.group(1):  # a string
                end = _STRING_REST.match(data, pos)
                if end is None:
                    return pos
                if self.expect_key:
                    try:
                        keys[-1] = _decode(data[pos - 1 : end.end()])
                    except msgspec.DecodeError:
                        return None
                    self.expect_key = False
                    self.repeated |= keys == TEXT_PATH[: len(keys)]
                pos = end.end()
            elif opener := token.group(2):
                keys.append("" if opener == b"{" else None)
                self.expect_key = opener == b"{"
            elif token.group(3):
                if not keys:
                    return None
                keys.pop()
                self.expect_key = False
            elif token.group(4) == b",":
                self.expect_key = bool(keys) and keys[-1] is not None
        return None


def text_start(head: bytes) -> int | None:
    """Offset in `head` where the string value of `params.textDocument.text` begins, when
    that string does not end within `head` (it is the big part of the body)."""
    path = _KeyPath()
    start = path.read(head)
    return start if start is not None and not path.expect_key and path.keys == TEXT_PATH else None


def _given_again(rest: bytes) -> bool:
    """Whether the body after the streamed text (`rest`, from just past its closing quote)
    gives `params`, `params.textDocument` or the text itself again: msgspec keeps the
    last of repeated keys, so the streamed text would not be the message's."""
    path = _KeyPath(list(TEXT_PATH))
    path.read(rest)
    return path.repeated


def last_line_break(buffer: bytes, from_boundary: bool = True) -> int:
    """Offset just past the last `\\n` escape in `buffer`, a run of JSON string content;
    0 when there is none. `from_boundary`: `buffer` starts on an escape boundary, so a
    run of backslashes reaching its start can be counted (otherwise such a candidate is
    left for a later look)."""
    end = len(buffer)
    while (at := buffer.rfind(b"\\n", 0, end)) != -1:
        run = at
        while run > 0 and buffer[run - 1] == 0x5C:  # backslashes before this one
            run -= 1
        if run == 0 and not from_boundary:
            return 0  # no earlier candidate either: only backslashes lie before it
        if (at - run) % 2 == 0:  # they pair up among themselves: this one escapes the `n`
            return at + 2
        end = run  # the backslashes before `at` hold no line break of their own
    return 0


class _Text:
    """The text string being unescaped, piece by piece; a big Codex rollout is also
    given to the quick first look's scan as it comes."""

    def __init__(self, prefix: bytes, body_size: int) -> None:
        self.prefix = prefix  # the body up to and with the string's opening quote
        self.pending: list[bytes] = []  # string content (and more) not decoded yet
        self.pending_size = 0
        self.tail = b""  # the last bytes of `pending` (an escape may straddle two chunks)
        # The text so far. `getvalue()` hands over its buffer without a copy: no 25 MB join
        # (and its page faults) after the last byte. Sized once, up front (the text is at
        # most the body): growing it piece by piece copied it over and over. Sized by a
        # write at its end (the gap is zeroed in place; writing `bytes(body_size)` into it
        # also read 43 MB of zeros, ~8 ms).
        self.out = io.BytesIO()
        self.out.seek(max(body_size - 1, 0))
        self.out.write(b"\0")
        self.out.seek(0)
        self.starts = array(starts_typecode(body_size), [0])  # the text is at most the body
        self.size = 0
        self.scan: CodexScan | None = None
        self.may_scan = body_size >= QUICK_MIN_BYTES  # the text is at most the body

    def feed(self, chunk: bytes) -> None:
        """Decode the complete lines of what has arrived; keep the rest for later. Only
        the new bytes are searched, so a long line costs no more than a short one."""
        tail = self.tail
        window = tail + chunk if tail else chunk
        cut = last_line_break(window, from_boundary=len(tail) == self.pending_size)
        before = self.pending_size
        self.pending.append(chunk)  # until it is decoded (see `body_so_far`)
        self.pending_size += len(chunk)
        if not cut:
            self.tail = window[-TAIL:]
            if self.pending_size > LONGEST_LINE:
                raise ValueError("a line too long to decode as it arrives")
            return
        cut += before - len(tail)
        head: list[bytes | memoryview]
        if cut >= before:  # the break is in the chunk: the usual case
            at = cut - before
            # One copy of the piece to decode, quotes and all (a slice and two
            # concatenations took ~20 % of a 43 MB didOpen's receive).
            head = [*self.pending[:-1], memoryview(chunk)[:at]]
            rest = chunk[at:]
        else:
            buffer = b"".join(self.pending)
            head, rest = [memoryview(buffer)[:cut]], buffer[cut:]
        self._add(_decode(b"".join([b'"', *head, b'"'])))
        self.pending = [rest] if rest else []
        self.pending_size = len(rest)
        self.tail = rest[-TAIL:]

    def _add(self, value: object) -> None:
        if not isinstance(value, str):  # unreachable for a valid string token; be sure
            raise ValueError("the text is not a JSON string")
        piece = value.encode("utf-8", "surrogatepass")
        if self.may_scan:
            self.may_scan = False
            self.scan = CodexScan() if is_quick_candidate(piece) else None
        if self.scan is not None:
            self.scan.feed(line_views(piece, self.size, self.starts))
        self.out.write(piece)
        self.size += len(piece)

    def body_so_far(self) -> bytes:
        """What was fed, for the plain path to decode: the part of the text decoded so far
        written back as a JSON string (the same text, its escapes maybe written otherwise),
        the rest as it came. The body's bytes are not kept besides the text's: they held
        another 43 MB while a big didOpen arrived, and their pages cost ~20 ms to touch."""
        with self.out.getbuffer() as buffer:
            decoded = bytes(buffer[: self.size]).decode("utf-8", "surrogatepass")
        try:
            string = msgspec.json.encode(decoded)
        except (msgspec.EncodeError, UnicodeEncodeError):  # a lone surrogate: be sure
            string = json.dumps(decoded).encode()
        return b"".join([self.prefix, memoryview(string)[1:-1], *self.pending])

    def finish(self) -> Streamed | None:
        """The whole message, once the body is complete: None unless it is a didOpen
        with this string as its text."""
        rest = b"".join(self.pending)
        message = _decode(self.prefix + rest)
        if not isinstance(message, dict) or message.get("method") != types.TEXT_DOCUMENT_DID_OPEN:
            return None
        end = _STRING_REST.match(rest)
        if end is None or _given_again(rest[end.end() :]):
            return None
        params = message.get("params")
        item = params.get("textDocument") if isinstance(params, dict) else None
        if not isinstance(item, dict):
            return None
        uri, version = item.get("uri"), item.get("version")
        if not isinstance(uri, str) or type(version) is not int:
            return None
        self._add(item.get("text"))
        item["text"] = ""
        self.out.truncate(self.size)
        data = self.out.getvalue()
        self.out = io.BytesIO()
        listed = self.starts if self.scan is not None else None
        return Streamed(message, OpenedText(uri, version, data, listed, self.scan))


def read_body(read: Callable[[int], bytes], size: int) -> bytes | Streamed:
    """Read a message body of `size` bytes with `read` (a `read1`: whatever has arrived,
    at most n bytes; b"" at the end of the stream). A didOpen comes back `Streamed`;
    anything else, or a body cut short, as its bytes (see `_Text.body_so_far`). While a
    piece is decoded the client goes on writing into the pipe."""
    raw: list[bytes] = []  # what `text` does not hold (all of it when not streamed)
    got = 0
    text: _Text | None = None
    looked = False
    while got < size and (chunk := read(min(PIECE, size - got))):
        got += len(chunk)
        try:
            if text is not None:
                text.feed(chunk)
                continue
            raw.append(chunk)
            if not looked and (got >= HEAD or got == size):
                looked = True
                head = b"".join(raw)
                start = text_start(head[:HEAD])
                if start is not None:
                    text, raw = _Text(head[:start], size), []
                    text.feed(head[start:])
        except (msgspec.DecodeError, ValueError, RecursionError):
            # The plain path decodes it (or answers why it cannot).
            raw = [text.body_so_far()] if text is not None else raw
            text = None
    if text is not None:
        if got == size:
            try:
                streamed = text.finish()
            except (msgspec.DecodeError, ValueError, RecursionError):
                streamed = None
            if streamed is not None:
                return streamed
        raw = [text.body_so_far()]
    return raw[0] if len(raw) == 1 else b"".join(raw)
