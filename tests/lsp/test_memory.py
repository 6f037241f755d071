"""What the server does to hold less memory must not change what it does."""

from __future__ import annotations

import linecache
import subprocess
import sys
import textwrap
from types import ModuleType

import attrs
import pytest
from lsprotocol import types
from pygls.protocol import default_converter

from context_ls.lsp.memory import (
    GENERATED_SOURCES,
    forget_generated_sources,
    slim_generated_globals,
)


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


def test_generated_methods_keep_only_the_globals_they_read_and_work_the_same() -> None:
    module = ModuleType("made_here")

    @attrs.define(order=True)
    class Made:
        name: str
        count: int = attrs.field(default=0, validator=attrs.validators.ge(0))
        tags: list[str] = attrs.field(factory=list)

    Made.__module__ = module.__name__
    module.Made = Made  # type: ignore[attr-defined]
    before = dict(Made.__init__.__globals__)
    replaced = slim_generated_globals([module])
    assert replaced >= 3  # __init__, __eq__, __repr__, the orderings
    after = Made.__init__.__globals__
    assert set(after) < set(before) | {"__builtins__"}
    assert Made.__eq__.__globals__ is after  # one dict per class, as before
    made = Made("x", 2)
    assert made == Made("x", 2, []) and made != Made("y") and Made("a") < Made("b")
    assert repr(made) == "Made(name='x', count=2, tags=[])"
    try:
        Made("x", -1)
    except ValueError:
        pass
    else:
        raise AssertionError("the validator no longer runs")
    assert slim_generated_globals([module]) == replaced  # again: the same, harmless


def test_lsprotocol_round_trips_with_slim_globals() -> None:
    script = textwrap.dedent(
        """
        from lsprotocol import types
        from pygls.protocol import default_converter
        from context_ls.lsp.memory import slim_generated_globals
        converter = default_converter()

        def made():
            place = types.Range(types.Position(0, 0), types.Position(0, 1))
            related = types.DiagnosticRelatedInformation(types.Location("file:///a", place), "here")
            return types.Diagnostic(
                range=types.Range(types.Position(1, 2), types.Position(3, 4)),
                message="m", severity=types.DiagnosticSeverity.Warning, code="H001",
                related_information=(related,),
            )

        diagnostic = made()
        raw = converter.unstructure(diagnostic)
        text = repr(diagnostic)
        assert slim_generated_globals([types]) > 1000
        assert len(types.Diagnostic.__init__.__globals__) < 40
        again = made()  # made by the slimmed methods
        assert again == diagnostic and repr(again) == text
        assert converter.unstructure(again) == raw
        assert converter.structure(raw, types.Diagnostic) == diagnostic
        fresh = default_converter()
        assert fresh.structure(raw, types.Diagnostic) == diagnostic
        assert fresh.unstructure(diagnostic) == raw
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_an_attrs_this_was_not_made_for_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    module = ModuleType("made_later")

    @attrs.define
    class Later:
        name: str

    Later.__module__ = module.__name__
    module.Later = Later  # type: ignore[attr-defined]
    init = Later.__init__
    monkeypatch.setattr(attrs, "__version__", "27.1.0")
    assert slim_generated_globals([module]) == 0
    assert Later.__init__ is init
