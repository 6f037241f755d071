"""A big didOpen decoded while it arrives (`streamed.py`): the same text, line starts and
message as decoding the whole body, whatever the key order, separators, escapes and
however the pipe cuts the bytes; the raw body whenever it is not a plain didOpen."""

from __future__ import annotations

import asyncio
import gc
import io
import json
import os
import random
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, cast
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from context_ls.history.analyzer import QUICK_MIN_BYTES, quick_findings
from context_ls.history.api import Options
from context_ls.lsp import streamed
from context_ls.lsp.streamed import Streamed, last_line_break, read_body, text_start
from context_ls.lsp.transport import StreamingStdinReader, run_messages

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ORDERS = ["vscode", "pygls", "neovim"]


def did_open(text: str, order: str = "vscode", uri: str = "file:///w/a.jsonl") -> dict[str, Any]:
    """A didOpen with the key order of VS Code, of pygls's client, or text first."""
    item = {"uri": uri, "languageId": "jsonl", "version": 3, "text": text}
    if order == "neovim":
        item = {"text": text, "version": 3, "languageId": "jsonl", "uri": uri}
    message = {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": item}}
    if order == "pygls":
        message = {"params": message["params"], "method": message["method"], "jsonrpc": "2.0"}
    return message


def encode(message: dict[str, Any], *, compact: bool = True, ascii_only: bool = False) -> bytes:
    separators = (",", ":") if compact else (", ", ": ")
    return json.dumps(message, separators=separators, ensure_ascii=ascii_only).encode()


def reader(body: bytes, seed: int, most: int) -> Callable[[int], bytes]:
    """A `read1` over `body` that hands over 1..`most` bytes at a time, like a pipe."""
    stream = io.BytesIO(body)
    rng = random.Random(seed)
    return lambda n: stream.read(min(n, rng.randint(1, most)))


def assert_streamed(result: bytes | Streamed, body: bytes, text: str) -> Streamed:
    assert isinstance(result, Streamed)
    data = text.encode("utf-8", "surrogatepass")
    assert result.text.data == data
    assert list(result.text.starts) == [0] + [n + 1 for n, byte in enumerate(data) if byte == 10]
    expected = json.loads(body)
    expected["params"]["textDocument"]["text"] = ""
    assert result.message == expected
    assert (result.text.uri, result.text.version) == ("file:///w/a.jsonl", 3)
    return result


def test_text_start_follows_the_key_path_in_any_order() -> None:
    for order in ORDERS:
        for compact in (True, False):
            body = encode(did_open("x" * 100, order), compact=compact)
            start = text_start(body[: body.index(b"xxx") + 10])
            assert start == body.index(b"xxx"), (order, compact)


def test_text_start_is_none_for_other_places_or_a_complete_string() -> None:
    change = {"method": "textDocument/didChange", "params": {"contentChanges": [{"text": "x"}]}}
    head = encode(change)[:-8]  # cut inside the text
    assert text_start(head) is None
    assert text_start(b'{"params":{"text":"xxxx') is None  # params.text, not the item's
    complete = encode(did_open("short"))
    assert text_start(complete) is None  # the whole string is in the head: nothing to stream


def test_last_line_break_counts_the_backslashes_before_it() -> None:
    assert last_line_break(b"ab\\ncd") == 4
    assert last_line_break(b"ab\\\\ncd") == 0  # an escaped backslash, then a plain `n`
    assert last_line_break(b"a\\\\\\ncd") == 5  # an escaped backslash, then a line break
    assert last_line_break(b"\\nx\\\\n") == 2  # the last `\n` is not a line break
    assert last_line_break(b"") == 0


TEXTS = st.lists(
    st.text(
        st.characters(codec="utf-8", exclude_categories=["Cs"]) | st.sampled_from('\\"\n/\t'),
        max_size=40,
    ),
    max_size=30,
).map(
    lambda lines: "".join(line + nl for line, nl in zip(lines, ["\n", "\r\n"] * 20, strict=False))
)


@settings(max_examples=300, deadline=None)
@given(
    lines=TEXTS | TEXTS.map(lambda t: t.rstrip("\n")),
    order=st.sampled_from(ORDERS),
    compact=st.booleans(),
    ascii_only=st.booleans(),
    seed=st.integers(0, 2**16),
    most=st.sampled_from([1, 7, 64, 4096]),
)
def test_any_text_arrives_as_whole_decoding_would_give_it(
    lines: str, order: str, compact: bool, ascii_only: bool, seed: int, most: int
) -> None:
    text = "p" * 300 + "\n" + lines  # longer than the head: the text is streamed
    body = encode(did_open(text, order), compact=compact, ascii_only=ascii_only)
    with patch.object(streamed, "HEAD", 256):
        result = read_body(reader(body, seed, most), len(body))
    assert_streamed(result, body, text)


@settings(max_examples=200, deadline=None)
@given(
    lines=TEXTS,
    ascii_only=st.booleans(),
    seed=st.integers(0, 2**16),
    most=st.sampled_from([1, 7, 64, 4096]),
    how=st.sampled_from(["other method", "key again", "lone surrogate", "cut short"]),
)
def test_a_body_not_streamed_decodes_as_the_one_sent(
    lines: str, ascii_only: bool, seed: int, most: int, how: str
) -> None:
    """Whatever part of the text was decoded before the body turned out not to be a plain
    didOpen is written back as JSON: the plain path decodes the same message (or a body
    cut short at the same place)."""
    text = "p" * 300 + "\n" + lines + "é/\\\n" * 50
    message = did_open(text, "pygls")
    if how == "other method":
        message["method"] = "textDocument/didSave"
    if how == "lone surrogate":
        message["params"]["textDocument"]["text"] = text + "\ud800\n" + lines
    body = encode(message, ascii_only=ascii_only or how == "lone surrogate")
    if how == "key again":
        body = body[:-1] + b',"params":{}}'
    sent = body[: len(body) * 2 // 3] if how == "cut short" else body
    with patch.object(streamed, "HEAD", 256):
        result = read_body(reader(sent, seed, most), len(body))
    assert isinstance(result, bytes)
    if how == "cut short":  # the client went away mid-text: no message either way
        for cut in (sent, result):
            with pytest.raises(ValueError):
                json.loads(cut)
        assert len(result) >= len(sent) // 2
    else:
        assert json.loads(result) == json.loads(body)


def test_a_text_msgspec_refuses_comes_back_raw() -> None:
    body = encode(did_open("a\n" * 9000 + "\ud800 lone surrogate\n" + "b\n" * 10), ascii_only=True)
    assert read_body(reader(body, 1, 4096), len(body)) == body


def test_a_line_too_long_to_stream_comes_back_raw() -> None:
    """One huge line (a minified JSON document): every chunk would be searched for a line
    break in vain, so the plain path reads it."""
    body = encode(did_open("x" * (streamed.LONGEST_LINE + 700_000) + "\ny\n"))
    assert read_body(reader(body, 7, 300_000), len(body)) == body


def test_other_methods_and_short_bodies_come_back_raw() -> None:
    message = did_open("line\n" * 9000)
    message["method"] = "textDocument/didSave"
    body = encode(message)
    assert read_body(reader(body, 2, 4096), len(body)) == body
    body = encode(did_open("line\n" * 9000))
    cut = body[: len(body) - 100]  # the client went away mid-message
    assert read_body(reader(cut, 3, 4096), len(body)) == cut


def big_rollout(target: int) -> str:
    """Examples' Codex records repeated (ids kept: pairing findings galore) past `target`
    bytes, with non-ASCII text and CRLF lines among them."""
    lines = (EXAMPLES / "codex-rollout-crashed.jsonl").read_text().splitlines()
    lines = [line for line in lines if line.strip().endswith("}")]  # whole records only
    lines.append(json.dumps({"type": "event_msg", "payload": {"text": "ünï \\n 😀"}}))
    out: list[str] = []
    size = 0
    while size < target:
        for n, line in enumerate(lines):
            out.append(line + ("\r\n" if n % 5 == 0 else "\n"))
            size += len(out[-1])
    return "".join(out)


def test_a_big_rollout_is_scanned_for_the_first_look_on_the_way() -> None:
    text = big_rollout(QUICK_MIN_BYTES + 1000)
    for order in ORDERS:
        body = encode(did_open(text, order), ascii_only=order == "pygls")
        result = assert_streamed(read_body(reader(body, 4, 300_000), len(body)), body, text)
        assert result.text.scan is not None
        data = result.text.data
        scanned = quick_findings(data, Options(), result.text.scan)
        whole = quick_findings(data, Options())
        assert scanned is not None and whole is not None
        assert scanned.findings == whole.findings and scanned.findings


def test_only_a_big_codex_rollout_is_scanned() -> None:
    small = big_rollout(100_000)
    body = encode(did_open(small))
    assert (
        assert_streamed(read_body(reader(body, 5, 4096), len(body)), body, small).text.scan is None
    )
    other = "\n".join(json.dumps({"role": "user", "content": "x" * 200}) for _ in range(30_000))
    body = encode(did_open(other))
    result = assert_streamed(read_body(reader(body, 6, 300_000), len(body)), body, other)
    assert result.text.scan is None


def test_a_key_given_again_after_the_text_comes_back_raw() -> None:
    """The last of repeated keys wins in JSON decoders: then the streamed text is not the
    message's, and the plain path decodes the body."""
    text = json.dumps("line\n" * 5000)

    def body(in_item: str = "", in_params: str = "", on_top: str = "") -> bytes:
        item = '{"uri":"file:///w/a.jsonl","languageId":"x","version":3,"text":' + text
        params = '{"textDocument":' + item + in_item + "}" + in_params + "}"
        message = '{"jsonrpc":"2.0","method":"textDocument/didOpen","params":' + params
        return (message + on_top + "}").encode()

    for again in [
        body(in_item=',"text":"short"'),
        body(in_params=',"textDocument":{"uri":"file:///b","version":1,"text":"b"}'),
        body(on_top=',"params":{}'),
    ]:
        assert read_body(reader(again, 8, 4096), len(again)) == again
    # Keys of those names elsewhere are other places: still streamed.
    elsewhere = body(in_item=',"extra":{"text":"x","textDocument":1}', on_top=',"text":1')
    assert isinstance(read_body(reader(elsewhere, 9, 4096), len(elsewhere)), Streamed)


async def test_the_message_loop_lets_go_of_a_streamed_text_once_it_is_handled() -> None:
    """The first-look scan of a big rollout holds MBs; the document keeps what it needs,
    so the loop must not keep the rest while it waits for the next message."""
    body = encode(did_open(big_rollout(QUICK_MIN_BYTES + 1000)))
    read_fd, write_fd = os.pipe()
    scans: list[weakref.ref[Any]] = []
    handled = asyncio.Event()

    class Protocol:
        def structure_message(self, data: Any) -> Any:
            return data

        def handle_message(self, message: Any) -> None:
            handled.set()

    def hold(opened: Any) -> None:
        if opened is not None:
            scans.append(weakref.ref(opened.scan))

    loop = asyncio.get_running_loop()
    stop = threading.Event()
    with ThreadPoolExecutor(2) as pool, os.fdopen(read_fd, "rb") as stdin:
        with os.fdopen(write_fd, "wb") as client:
            reader = StreamingStdinReader(stdin, pool)
            task = asyncio.create_task(
                run_messages(stop, reader, cast(Any, Protocol()), lambda *_: None, hold)
            )
            message = b"Content-Length: %d\r\n\r\n" % len(body) + body
            await loop.run_in_executor(None, client.write, message)
            await loop.run_in_executor(None, client.flush)
            await asyncio.wait_for(handled.wait(), 30)
            await asyncio.sleep(0.1)  # the loop is back to waiting for a header
            gc.collect()
            held = [scan() for scan in scans]
            stop.set()
        await asyncio.wait_for(task, 10)  # the pipe is closed: the loop ends
    assert len(held) == 1 and held[0] is None
