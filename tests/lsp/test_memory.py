"""What the server does to hold less memory must not change what it does."""

from __future__ import annotations

import linecache
import subprocess
import sys
import textwrap

import attrs
from lsprotocol import types
from pygls.protocol import default_converter

from context_ls.lsp.memory import GENERATED_SOURCES, forget_generated_sources


def test_generated_sources_are_forgotten_and_the_classes_still_work() -> None:
    @attrs.define
    class Made:
        name: str

    assert any(name.startswith(GENERATED_SOURCES) for name in linecache.cache)
    others = {n: v for n, v in linecache.cache.items() if not n.startswith(GENERATED_SOURCES)}
    forget_generated_sources()
    assert not any(name.startswith(GENERATED_SOURCES) for name in linecache.cache)
    assert dict(linecache.cache) == others  # the sources of real files stay
    assert Made("x") == Made("x") and repr(Made("x")) == "Made(name='x')"
    converter = default_converter()
    position = converter.structure({"line": 1, "character": 2}, types.Position)
    assert position == types.Position(line=1, character=2)
    assert converter.unstructure(position) == {"line": 1, "character": 2}


def test_asyncio_runs_without_openssl_and_ssl_stays_importable() -> None:
    script = textwrap.dedent(
        """
        import sys
        from context_ls.lsp.memory import import_asyncio_without_openssl
        import_asyncio_without_openssl()
        import asyncio, asyncio.base_events
        assert "ssl" not in sys.modules and "_ssl" not in sys.modules
        assert asyncio.base_events.ssl is None
        async def main():
            server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
            port = server.sockets[0].getsockname()[1]
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            server.close()
            return port
        assert asyncio.run(main()) > 0
        import ssl
        assert ssl.OPENSSL_VERSION
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
