"""`context-ls serve --tcp`: the same server over a socket."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient

from .conftest import EXAMPLES


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_tcp_serves_diagnostics() -> None:
    port = _free_port()
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "context_ls.lsp",
        "--tcp",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        stderr=asyncio.subprocess.DEVNULL,
    )
    client = LanguageClient("tcp-test", "1")
    published: asyncio.Future[types.PublishDiagnosticsParams] = (
        asyncio.get_running_loop().create_future()
    )

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_publish(params: types.PublishDiagnosticsParams) -> None:
        if not published.done():
            published.set_result(params)

    try:
        for _ in range(100):
            try:
                await client.start_tcp("127.0.0.1", port)
                break
            except OSError:
                await asyncio.sleep(0.05)
        await client.initialize_async(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(),
                initialization_options={"contextLs": {"pendingGraceSeconds": 0}},
            )
        )
        client.initialized(types.InitializedParams())
        path = EXAMPLES / "native-tools.jsonl"
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri="untitled:native.jsonl",
                    language_id="jsonl",
                    version=1,
                    text=path.read_text(),
                )
            )
        )
        params = await asyncio.wait_for(published, 20)
        assert sorted(str(d.code) for d in params.diagnostics) == ["H001", "H002", "H008"]
        await client.shutdown_async(None)
        client.exit(None)
        await client.stop()
    finally:
        if server.returncode is None:
            server.terminate()
        await server.wait()


async def _raw_session() -> tuple[asyncio.subprocess.Process, Any, Any]:
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "context_ls.lsp",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert server.stdin is not None and server.stdout is not None
    stdin, stdout = server.stdin, server.stdout

    def send(message: Any) -> None:
        body = message if isinstance(message, bytes) else json.dumps(message).encode()
        stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    async def read() -> Any:
        length = 0
        while (line := await stdout.readline()) not in (b"\r\n", b""):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        return json.loads(await stdout.readexactly(length))

    return server, send, read


async def test_malformed_messages_get_json_rpc_errors() -> None:
    server, send, read = await _raw_session()
    try:
        send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}})
        assert "capabilities" in (await asyncio.wait_for(read(), 20))["result"]
        send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
        # Params that do not fit the method, then a body that is not JSON at all.
        send({"jsonrpc": "2.0", "id": 2, "method": "textDocument/hover", "params": {"x": 1}})
        send(b'{"jsonrpc": "2.0", "id": 3, "method": "textDocument/hover", broken')
        send({"jsonrpc": "2.0", "id": 4, "method": "no/suchMethod", "params": {}})
        send({"jsonrpc": "2.0", "id": 5, "method": "shutdown"})
        answers: list[Any] = []
        while len(answers) < 4:  # four responses; notifications (showMessage…) skipped
            answer = await asyncio.wait_for(read(), 20)
            if "method" not in answer:
                answers.append(answer)
        by_id = {a.get("id"): a for a in answers}
        assert by_id[2]["error"]["code"] == -32602
        assert by_id[None]["error"]["code"] == -32700  # parse error: id null
        assert by_id[4]["error"]["code"] == -32601
        assert by_id[5]["result"] is None  # and the server still serves
    finally:
        server.kill()
        await server.wait()


async def test_deeply_nested_messages_do_not_stop_the_server() -> None:
    """Nesting deeper than the decoders go: parse errors (id null: the server cannot
    tell a request), for a small request and for a big didOpen read as it arrives; and
    the server still answers."""
    server, send, read = await _raw_session()
    deep = b"[" * 5000 + b"]" * 5000
    try:
        send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}})
        assert "capabilities" in (await asyncio.wait_for(read(), 20))["result"]
        send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
        send(b'{"jsonrpc":"2.0","id":2,"method":"textDocument/hover","params":' + deep + b"}")
        text = json.dumps("line\n" * 300_000).encode()
        send(
            b'{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":'
            b'{"uri":"file:///tmp/x.txt","languageId":"x","version":1,"text":'
            + text
            + b'},"x":'
            + deep
            + b"}}"
        )
        send({"jsonrpc": "2.0", "id": 3, "method": "shutdown"})
        answers: list[Any] = []
        while len(answers) < 3:
            answer = await asyncio.wait_for(read(), 20)
            if "method" not in answer:
                answers.append(answer)
        for parse_error in answers[:2]:
            assert parse_error["error"]["code"] == -32700 and parse_error["id"] is None
        assert answers[2] == {"jsonrpc": "2.0", "id": 3, "result": None}
    finally:
        server.kill()
        await server.wait()
