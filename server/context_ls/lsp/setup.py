"""Where the server is put together: the features, and which LSP message reaches which.

Each notification has one handler here that fans it out to every feature (in the order
they are added below); each request and command goes to the one feature that answers it,
through a typed method. To see what answers `textDocument/hover`, read this file.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from lsprotocol import types

from context_ls.lsp.documents import UTF16
from context_ls.lsp.features import commands as command_names
from context_ls.lsp.features.code_actions import KINDS, CodeActions
from context_ls.lsp.features.commands import Commands
from context_ls.lsp.features.configuration import Configuration
from context_ls.lsp.features.context_bridge import ContextBridge, field_of
from context_ls.lsp.features.diagnostics import Diagnostics
from context_ls.lsp.features.navigation import Navigation
from context_ls.lsp.features.pull import PullDiagnostics
from context_ls.lsp.features.sessions import SESSIONS, AgentSessions
from context_ls.lsp.features.snapshots import Snapshots
from context_ls.lsp.features.symbols import Symbols
from context_ls.lsp.features.watching import Watching
from context_ls.lsp.memory import (
    forget_generated_sources,
    share_one_heap,
    slim_generated_globals,
)

# At run time, not only for typing: pygls reads the handlers' annotations.
from context_ls.lsp.server import ContextLanguageServer, tune_runtime
from context_ls.lsp.state import ClientFeatures, uri_to_path
from context_ls.lsp.warmup import warm_up

logger = logging.getLogger(__name__)

ACTIVE_EDITOR = "contextLs/didChangeActiveEditor"
TOOL_EVENT = "contextLs/toolEvent"
_CHANGE_NAMES = {1: "created", 2: "changed", 3: "deleted"}


def create_server() -> ContextLanguageServer:
    """The server with every feature wired up."""
    server = ContextLanguageServer()
    for feature in (
        Configuration(server),  # first: the others read the settings it sets
        Diagnostics(server),
        PullDiagnostics(server),
        ContextBridge(server),
        Watching(server),
        Snapshots(server),
        Navigation(server),
        Symbols(server),
        CodeActions(server),
        Commands(server),
        AgentSessions(server),
    ):
        server.add_feature(feature)
    _lifecycle(server)
    _documents(server)
    _workspace(server)
    _requests(server)
    _commands(server)
    return server


def _lifecycle(server: ContextLanguageServer) -> None:
    @server.feature(types.INITIALIZE)
    def initialize(ls: ContextLanguageServer, params: types.InitializeParams) -> None:
        ls.client = ClientFeatures.read(params)
        ls.encoding = str(ls.workspace.position_encoding or UTF16)
        ls.fan_out("initialize", params)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: ContextLanguageServer, params: types.InitializedParams) -> None:
        for feature in ls.features.values():
            try:
                await feature.initialized()
            except Exception:
                logger.exception("%s.initialized failed", type(feature).__name__)

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: ContextLanguageServer, params: None) -> None:
        ls.fan_out("shutdown")
        ls.analysis_pool.shutdown(wait=False, cancel_futures=True)


def _documents(server: ContextLanguageServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: ContextLanguageServer, params: types.DidOpenTextDocumentParams) -> None:
        if (old := ls.documents.pop(params.text_document.uri, None)) is not None:
            ls.fan_out("document_close", old)
        ls.fan_out("document_open", ls.open_document(params.text_document))

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: ContextLanguageServer, params: types.DidChangeTextDocumentParams) -> None:
        if (doc := ls.change_document(params)) is not None:
            ls.fan_out("document_change", doc)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: ContextLanguageServer, params: types.DidSaveTextDocumentParams) -> None:
        if (doc := ls.documents.get(params.text_document.uri)) is not None:
            ls.fan_out("document_save", doc)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: ContextLanguageServer, params: types.DidCloseTextDocumentParams) -> None:
        if (doc := ls.documents.pop(params.text_document.uri, None)) is not None:
            ls.fan_out("document_close", doc)


def _workspace(server: ContextLanguageServer) -> None:
    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(
        ls: ContextLanguageServer, params: types.DidChangeWatchedFilesParams
    ) -> None:
        for event in params.changes:
            path = uri_to_path(event.uri)
            if path is not None:
                ls.fan_out("file_changed", path, _CHANGE_NAMES.get(int(event.type), "changed"))

    @server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    def folders_changed(
        ls: ContextLanguageServer, params: types.DidChangeWorkspaceFoldersParams
    ) -> None:
        added = [f.uri for f in params.event.added]
        removed = [f.uri for f in params.event.removed]
        ls.fan_out("folders_changed", added, removed)

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(
        ls: ContextLanguageServer, params: types.DidChangeConfigurationParams
    ) -> None:
        await ls.feature_of(Configuration).did_change(params)

    @server.feature(ACTIVE_EDITOR)
    def active_editor(ls: ContextLanguageServer, params: Any) -> None:
        uri = field_of(params, "uri")
        ls.feature_of(ContextBridge).activate(uri if isinstance(uri, str) else None)

    @server.feature(TOOL_EVENT)
    def tool_event(ls: ContextLanguageServer, params: Any) -> None:
        ls.feature_of(ContextBridge).tool_event(params)


def _requests(server: ContextLanguageServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def hover(ls: ContextLanguageServer, params: types.HoverParams) -> types.Hover | None:
        return await ls.feature_of(Navigation).hover(params)

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    async def definition(
        ls: ContextLanguageServer, params: types.DefinitionParams
    ) -> list[types.Location] | None:
        return await ls.feature_of(Navigation).definition(params)

    @server.feature(types.TEXT_DOCUMENT_REFERENCES)
    async def references(
        ls: ContextLanguageServer, params: types.ReferenceParams
    ) -> list[types.Location] | None:
        return await ls.feature_of(Navigation).references(params)

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    async def document_symbols(
        ls: ContextLanguageServer, params: types.DocumentSymbolParams
    ) -> list[types.DocumentSymbol] | list[types.SymbolInformation] | None:
        return await ls.feature_of(Symbols).document_symbols(params)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(code_action_kinds=KINDS)
    )
    async def code_action(
        ls: ContextLanguageServer, params: types.CodeActionParams
    ) -> list[types.CodeAction] | None:
        return await ls.feature_of(CodeActions).code_actions(params)

    @server.feature(types.TEXT_DOCUMENT_CODE_LENS, types.CodeLensOptions())
    async def code_lens(
        ls: ContextLanguageServer, params: types.CodeLensParams
    ) -> list[types.CodeLens] | None:
        return await ls.feature_of(CodeActions).code_lens(params)

    pull = types.DiagnosticOptions(
        identifier="context-ls", inter_file_dependencies=False, workspace_diagnostics=True
    )

    @server.feature(types.TEXT_DOCUMENT_DIAGNOSTIC, pull)
    async def document_diagnostic(
        ls: ContextLanguageServer, params: types.DocumentDiagnosticParams
    ) -> types.DocumentDiagnosticReport:
        return await ls.feature_of(PullDiagnostics).document_diagnostic(params)

    @server.feature(types.WORKSPACE_DIAGNOSTIC)
    async def workspace_diagnostic(
        ls: ContextLanguageServer, params: types.WorkspaceDiagnosticParams
    ) -> types.WorkspaceDiagnosticReport:
        return await ls.feature_of(PullDiagnostics).workspace_diagnostic(params)

    @server.feature(SESSIONS)
    async def sessions(ls: ContextLanguageServer, params: Any) -> dict[str, Any]:
        """The agents' sessions of the workspace, for an editor's session view."""
        return await ls.feature_of(AgentSessions).list(params)


# Each command and the method that runs it (with the arguments as sent).
COMMANDS: dict[str, Callable[[Commands, tuple[Any, ...]], Awaitable[object]]] = {
    command_names.NORMALIZE: Commands.normalize,
    command_names.TRIM: Commands.trim,
    command_names.CREATE_SNAPSHOT: Commands.create_snapshot,
    command_names.LIST_SNAPSHOTS: Commands.list_snapshots,
    command_names.RESTORE_SNAPSHOT: Commands.restore_snapshot,
    command_names.SHOW_CONTEXT: Commands.show_context,
    command_names.ACTIVATE_CONTEXT: Commands.activate_context,
    command_names.SHOW_TIMELINE: Commands.show_timeline,
}


def _commands(server: ContextLanguageServer) -> None:
    """`workspace/executeCommand`: each command goes to its method of `Commands`."""
    for name, method in COMMANDS.items():
        _command(server, name, method)


def _command(
    server: ContextLanguageServer,
    name: str,
    method: Callable[[Commands, tuple[Any, ...]], Awaitable[object]],
) -> None:
    @server.command(name)
    async def run(ls: ContextLanguageServer, *args: Any) -> object:
        return await method(ls.feature_of(Commands), args)


def start_server(tcp: bool = False, host: str = "127.0.0.1", port: int = 2087) -> None:
    share_one_heap()
    server = create_server()
    warm_up(server.protocol)
    slim_generated_globals(
        module
        for name, module in list(sys.modules.items())
        if module is not None and name.partition(".")[0] in ("lsprotocol", "pygls")
    )
    forget_generated_sources()
    tune_runtime()
    if tcp:
        server.start_tcp(host, port)
    else:
        server.start_io()
