"""The stdio message loop, with big message bodies decoded off the event loop.

pygls decodes every message on the event loop; the didOpen of a 25 MB transcript is one
JSON string that takes longer than the ~50 ms the loop may be blocked. Here a body over
`THREAD_THRESHOLD` is decoded in a worker thread, and on stdin a big didOpen is decoded
while it still arrives (`streamed.py`). Messages are still handled strictly in arrival
order: the loop awaits each decode before it reads the next message.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import sys
import threading
from typing import TYPE_CHECKING, Any, BinaryIO

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

import attrs
import msgspec
from lsprotocol import types
from pygls.exceptions import (
    JsonRpcException,
    JsonRpcInvalidRequest,
    JsonRpcParseError,
)
from pygls.io_ import StdinAsyncReader

from context_ls.lsp.streamed import OpenedText, Streamed, read_body

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from cattrs import Converter
    from pygls.io_ import AsyncReader
    from pygls.protocol import JsonRPCProtocol

logger = logging.getLogger(__name__)

THREAD_THRESHOLD = 1024 * 1024  # bytes
PIPE_SIZE = 1024 * 1024  # bytes: Linux's default limit for an unprivileged process
# Linux only (1031 is its value; Python 3.10+ names it).
F_SETPIPE_SZ = (
    getattr(fcntl, "F_SETPIPE_SZ", 1031) if fcntl and sys.platform.startswith("linux") else None
)
CONTENT_LENGTH = re.compile(rb"^Content-Length: (\d+)\r\n$")


def widen_pipe(stream: BinaryIO) -> None:
    """Let the client's writes reach the server in 1 MB pieces rather than the 64 KB of a
    default pipe: a 25 MB didOpen crosses ~40 % sooner. Not a pipe, not Linux: nothing."""
    if F_SETPIPE_SZ is None:
        return
    with contextlib.suppress(OSError, ValueError):  # io.UnsupportedOperation is both
        fcntl.fcntl(stream.fileno(), F_SETPIPE_SZ, PIPE_SIZE)


def answer_malformed(protocol: JsonRPCProtocol, body: bytes, error: Exception) -> None:
    """A message that does not parse, or whose params do not fit its method, still gets
    a JSON-RPC error when it is a request (pygls only logs it, and the client waits
    forever): -32700 for bad JSON (id null), -32602 for bad params."""
    try:
        raw = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than json goes
        logger.warning("a message is not valid JSON: %s", error)
        parse_error = JsonRpcParseError(str(error))
        # Sent as a plain dict: the converter would drop the `"id": null` the spec wants.
        protocol._send_data(
            {
                "jsonrpc": "2.0",
                "id": None,
                "error": {"code": parse_error.code, "message": parse_error.message},
            }
        )
        return
    if not isinstance(raw, dict) or "id" not in raw or "method" not in raw:
        logger.warning("dropped a malformed notification or response: %s", error)
        return
    if not isinstance(error, JsonRpcException):
        error = JsonRpcInvalidRequest(str(error))
    logger.warning("malformed %s request: %s", raw.get("method"), error)
    protocol._send_response(raw["id"], error=error.to_response_error())


def _decode(body: bytes, hook: Callable[[dict[str, Any]], Any]) -> Any:
    """msgspec decodes a big body about twice as fast as `json`; the hook (pygls's
    `structure_message`) only acts on the outer JSON-RPC object, so applying it once to
    the decoded message is what `json.loads(object_hook=hook)` would have done."""
    try:
        raw = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return json.loads(body, object_hook=hook)
    return hook(raw) if isinstance(raw, dict) else raw


def encode_message(data: Any, serialize: Callable[[Any], Any]) -> bytes:
    """The body pygls's `json.dumps(data, default=serialize)` writes, as the same JSON
    value ~4x sooner: msgspec encodes what the converter unstructured (publishing 10k
    diagnostics held the event loop 0.4 s). Non-ASCII text goes out as UTF-8 rather than
    `\\u` escapes. Whatever msgspec refuses (a lone surrogate) takes pygls's way."""
    if attrs.has(type(data)):
        try:
            return msgspec.json.encode(serialize(data), enc_hook=serialize)
        except (TypeError, ValueError, OverflowError, msgspec.EncodeError):
            pass  # UnicodeEncodeError is a ValueError
    return json.dumps(data, default=serialize).encode("utf-8")


_PLAIN = frozenset({str, int, float, bool, type(None)})


def _flat(data: Any) -> bool:
    """A dict of str keys and plain values: what the converter would copy as it is."""
    if type(data) is not dict:
        return False
    for key, value in data.items():
        if type(key) is not str or type(value) not in _PLAIN:
            return False
    return True


class DiagnosticParts:
    """The optional parts of a diagnostic the client declares it takes, in its
    `publishDiagnostics` or `diagnostic` capabilities (LSP 3.17): related information, a
    code's link, tags, `data`. A client that declares none (Emacs' eglot turns related
    information and links off) is sent none of them; until `initialize`, all are sent."""

    __slots__ = ("code_description", "data", "related", "tags")

    def __init__(self) -> None:
        self.related = self.code_description = self.tags = self.data = True

    def learn(self, capabilities: types.ClientCapabilities | None) -> None:
        text = capabilities.text_document if capabilities is not None else None
        declared = [] if text is None else [text.publish_diagnostics, text.diagnostic]

        def takes(name: str) -> bool:
            return any(bool(getattr(part, name, None)) for part in declared if part is not None)

        self.related = takes("related_information")
        self.code_description = takes("code_description_support")
        self.tags = takes("tag_support")
        self.data = takes("data_support")


def diagnostic_hook(
    converter: Converter, parts: DiagnosticParts
) -> Callable[[types.Diagnostic], dict[str, Any]]:
    """What the converter makes of a `Diagnostic`, written out: a publish of 10k
    diagnostics spent 85 ms of the event loop in cattrs' generated functions, ~35 ms in
    this. Same keys, order, omissions, but for the `parts` the client does not take;
    `data` other than a flat dict goes to cattrs."""
    unstructure = converter.unstructure

    def place(r: types.Range) -> dict[str, Any]:
        start, end = r.start, r.end
        return {
            "start": {"line": start.line, "character": start.character},
            "end": {"line": end.line, "character": end.character},
        }

    def hook(d: types.Diagnostic) -> dict[str, Any]:
        out: dict[str, Any] = {"range": place(d.range), "message": d.message}
        if d.severity is not None:
            out["severity"] = d.severity.value
        if d.code is not None:
            out["code"] = d.code
        if d.code_description is not None and parts.code_description:
            out["codeDescription"] = {"href": d.code_description.href}
        if d.source is not None:
            out["source"] = d.source
        if d.tags is not None and parts.tags:
            out["tags"] = [tag.value for tag in d.tags]
        if d.related_information is not None and parts.related:
            out["relatedInformation"] = [
                {
                    "location": {"uri": info.location.uri, "range": place(info.location.range)},
                    "message": info.message,
                }
                for info in d.related_information
            ]
        data = d.data
        if data is not None and parts.data:
            out["data"] = data if _flat(data) else unstructure(data)
        return out

    return hook


class StreamingStdinReader(StdinAsyncReader):
    """pygls's stdin reader, plus `read_body`: a big body read by `streamed.read_body`,
    which decodes a didOpen's text while the rest of it still arrives."""

    def read_body(self, size: int) -> Awaitable[bytes | Streamed]:
        read = getattr(self.stdin, "read1", self.stdin.read)
        return self.loop.run_in_executor(self.executor, read_body, read, size)


async def run_messages(
    stop_event: threading.Event,
    reader: AsyncReader,
    protocol: JsonRPCProtocol,
    error_handler: Callable[[Exception, type[JsonRpcException]], Any],
    hold_opened: Callable[[OpenedText | None], None] | None = None,
) -> None:
    """pygls's `run_async`, except for how big bodies are read and decoded. The text of a
    streamed didOpen is handed to `hold_opened` while that message is handled."""
    loop = asyncio.get_running_loop()
    content_length = 0
    while not stop_event.is_set():
        header = await reader.readline()
        if not header:
            break
        if not content_length and (match := CONTENT_LENGTH.fullmatch(header)):
            content_length = int(match.group(1))
        if content_length and not header.strip():
            size, content_length = content_length, 0
            opened: OpenedText | None = None
            if size > THREAD_THRESHOLD and isinstance(reader, StreamingStdinReader):
                body = await reader.read_body(size)
            else:
                body = await reader.readexactly(size)
            if not body:
                break
            try:
                if isinstance(body, Streamed):
                    message = protocol.structure_message(body.message)
                    opened = body.text
                elif len(body) > THREAD_THRESHOLD:
                    message = await loop.run_in_executor(
                        None, _decode, body, protocol.structure_message
                    )
                else:
                    message = json.loads(body, object_hook=protocol.structure_message)
            except Exception as exc:
                raw = msgspec.json.encode(body.message) if isinstance(body, Streamed) else body
                answer_malformed(protocol, raw, exc)
                continue
            del body
            if hold_opened is not None:
                hold_opened(opened)
            try:
                protocol.handle_message(message)
            except Exception as exc:
                logger.exception("Unable to handle message")
                error_handler(exc, JsonRpcException)
            finally:
                if opened is not None and hold_opened is not None:
                    hold_opened(None)
                # The document holds what it needs of the text; its quick scan (MBs for a
                # big rollout) must go once the first look is done, not with the next message.
                opened = message = None
