"""What the server does to hold less memory must not change what it does."""

from __future__ import annotations

import linecache

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
