"""The wiring of `setup.py`, in process: every feature once, found by its class; every
request and command has its handler; what a feature keeps per document is its own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from lsprotocol import types

from context_ls.lsp.documents import TextSnapshot
from context_ls.lsp.features import commands
from context_ls.lsp.features.configuration import Configuration
from context_ls.lsp.features.diagnostics import Diagnostics, Validation
from context_ls.lsp.features.navigation import Lookup
from context_ls.lsp.features.snapshots import Snapshots
from context_ls.lsp.features.symbols import Symbols
from context_ls.lsp.server import ContextLanguageServer
from context_ls.lsp.setup import create_server
from context_ls.lsp.state import DocumentState


@pytest.fixture
def server() -> Iterator[ContextLanguageServer]:
    built = create_server()
    yield built
    built.analysis_pool.shutdown()


def test_every_feature_is_wired_once_and_found_by_its_class(
    server: ContextLanguageServer,
) -> None:
    kinds = list(server.features)
    assert kinds[0] is Configuration  # the others read the settings it sets
    assert len(kinds) == len(set(kinds)) >= 10
    for kind in kinds:
        assert server.feature_of(kind) is server.features[kind]
    assert isinstance(server.feature_of(Diagnostics), Diagnostics)


def test_every_request_and_command_has_a_handler(server: ContextLanguageServer) -> None:
    handled = set(server.protocol.fm.features)
    assert {
        types.TEXT_DOCUMENT_HOVER,
        types.TEXT_DOCUMENT_DEFINITION,
        types.TEXT_DOCUMENT_REFERENCES,
        types.TEXT_DOCUMENT_DOCUMENT_SYMBOL,
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.TEXT_DOCUMENT_CODE_LENS,
        types.TEXT_DOCUMENT_DIAGNOSTIC,
        types.WORKSPACE_DIAGNOSTIC,
        types.WORKSPACE_DID_CHANGE_CONFIGURATION,
        types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
        types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS,
        "contextLs/didChangeActiveEditor",
        "contextLs/toolEvent",
        "contextLs/sessions",
    } <= handled
    names = {
        v for v in vars(commands).values() if isinstance(v, str) and v.startswith("contextLs.")
    }
    assert names == set(server.protocol.fm.commands)


def test_a_feature_is_wired_at_most_once() -> None:
    server = ContextLanguageServer()
    server.add_feature(Snapshots(server))
    with pytest.raises(ValueError, match="Snapshots is wired up twice"):
        server.add_feature(Snapshots(server))
    with pytest.raises(LookupError, match="Symbols is not wired up"):
        server.feature_of(Symbols)


def test_a_slot_belongs_to_one_document_and_one_kind() -> None:
    first = DocumentState("file:///a.jsonl", "/a.jsonl", TextSnapshot.from_bytes(b"", 1))
    second = DocumentState("file:///b.jsonl", "/b.jsonl", TextSnapshot.from_bytes(b"", 1))
    state = first.slot(Validation)
    state.result_seq = 3
    assert first.slot(Validation) is state
    assert second.slot(Validation) is not state and second.slot(Validation).result_seq == 0
    assert first.slot(Lookup).index is None
