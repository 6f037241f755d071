"""A real client (pytest-lsp) driving `python -m context_ls.lsp` over stdio, with the
capabilities of VS Code and of Neovim (which pulls diagnostics; VS Code 1.65 is pushed)."""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

from .editor import Editor

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
EXPECTED: dict[str, Any] = json.loads((EXAMPLES / "EXPECTED.json").read_text())
PRESETS = ["visual-studio-code", "neovim"]


class Session:
    def __init__(
        self,
        client: LanguageClient,
        editor: Editor,
        workspace: Path,
        capabilities: types.ClientCapabilities,
    ) -> None:
        self.client = client
        self.editor = editor
        self.workspace = workspace
        self.capabilities = capabilities  # what the client declared at initialize

    def declares(self, part: str) -> bool:
        """Whether the client declared it takes `part` of a diagnostic (e.g.
        `code_description_support`: VS Code does, Neovim does not)."""
        text = self.capabilities.text_document
        declared = [] if text is None else [text.publish_diagnostics, text.diagnostic]
        return any(getattr(d, part, None) for d in declared if d is not None)

    def copy_example(self, name: str, *, fresh: bool = False) -> Path:
        """A copy of an example inside the workspace (`fresh`: mtime now, like a session
        file an agent is still writing; otherwise the original's old mtime)."""
        target = self.workspace / name
        if fresh:
            shutil.copyfile(EXAMPLES / name, target)
        else:
            shutil.copy2(EXAMPLES / name, target)
            old = 1_700_000_000
            os.utime(target, (old, old))
        return target


def _converter() -> Any:
    """pygls's converter, except that a CodeAction carrying a `command` object stays a
    CodeAction (lsprotocol 2025.0.0 turns every result item with a `command` key into a
    Command, which real editors do not)."""
    converter = default_converter()

    def action_or_command(obj: Any, _: type) -> types.Command | types.CodeAction:
        if isinstance(obj.get("command"), str):
            return converter.structure(obj, types.Command)
        return converter.structure(obj, types.CodeAction)

    converter.register_structure_hook(types.Command | types.CodeAction, action_or_command)
    return converter


def _make_client(holder: dict[str, Editor]) -> LanguageClient:
    client = LanguageClient(converter_factory=_converter)

    def publish(client: LanguageClient, params: types.PublishDiagnosticsParams) -> None:
        client.diagnostics[params.uri] = params.diagnostics
        holder["editor"].published.setdefault(params.uri, []).append(params)

    def apply_edit(
        client: LanguageClient, params: types.ApplyWorkspaceEditParams
    ) -> types.ApplyWorkspaceEditResult:
        editor = holder["editor"]
        editor.applied_edits.append(params)
        return types.ApplyWorkspaceEditResult(applied=editor.apply_workspace_edit(params.edit))

    def register_capability(client: LanguageClient, params: types.RegistrationParams) -> None:
        holder["editor"].registrations.extend(params.registrations)

    def refresh(client: LanguageClient, params: None) -> None:
        client.diagnostic_refresh_count += 1

    def code_lens_refresh(client: LanguageClient, params: None) -> None:
        holder["editor"].code_lens_refreshes += 1

    features = dict(DEFAULT_CLIENT_FEATURES)
    features[types.WORKSPACE_CODE_LENS_REFRESH] = code_lens_refresh
    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = publish
    features[types.WORKSPACE_APPLY_EDIT] = apply_edit
    features[types.CLIENT_REGISTER_CAPABILITY] = register_capability
    features[types.WORKSPACE_DIAGNOSTIC_REFRESH] = refresh
    register_lsp_features(client, features)
    return client


Start = Callable[..., Awaitable[Session]]


@pytest.fixture(params=PRESETS)
def preset(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest_asyncio.fixture
async def start(preset: str, tmp_path: Path) -> AsyncIterator[Start]:
    """Start a server and initialize it like `preset` would, with `settings` as the
    `contextLs` initializationOptions (pendingGraceSeconds 0 unless a test says)."""
    sessions: list[Session] = []

    async def start_session(
        settings: dict[str, Any] | None = None,
        capabilities: types.ClientCapabilities | None = None,
    ) -> Session:
        workspace = tmp_path / f"workspace{len(sessions)}"
        workspace.mkdir()
        state = tmp_path / f"state{len(sessions)}"
        holder: dict[str, Editor] = {}
        client = _make_client(holder)
        env = {**os.environ, "CONTEXT_LS_STATE_DIR": str(state)}
        await client.start_io(sys.executable, "-m", "context_ls.lsp", "--stdio", env=env)
        caps = capabilities or client_capabilities(preset)
        result = await client.initialize_session(
            types.InitializeParams(
                capabilities=caps,
                client_info=types.ClientInfo(name=preset, version="test"),
                root_uri=workspace.as_uri(),
                workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name="ws")],
                initialization_options={
                    "contextLs": {"pendingGraceSeconds": 0, **(settings or {})}
                },
            )
        )
        encoding = str(result.capabilities.position_encoding or "utf-16")
        pull = caps.text_document is not None and caps.text_document.diagnostic is not None
        holder["editor"] = Editor(client, encoding, pull)
        session = Session(client, holder["editor"], workspace, caps)
        sessions.append(session)
        return session

    yield start_session
    for session in sessions:
        await session.client.shutdown_session()
        await session.client.stop()


@pytest_asyncio.fixture
async def session(start: Start) -> Session:
    return await start()
