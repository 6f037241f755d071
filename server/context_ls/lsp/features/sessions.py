"""`contextLs/sessions`: the agents' sessions of the workspace, for an editor's session view
(VS Code's "Agent Sessions"). The rows are those of `context-ls sessions --format json`;
this feature only reads the request and runs `context_ls.agents.listing` off the loop.

Request params (all optional): `folders`, the projects as absolute paths or `file:` URIs
(default: the workspace folders); `all`, every project's sessions. The answer:
`{sessions: [{path, agent, session_id, modified, records, findings, live, resume}],
searched: [folders looked in, for the editor to watch], problems: [one line each]}`.
"""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from pygls.exceptions import JsonRpcInvalidParams

from context_ls.lsp.feature import LanguageFeature
from context_ls.lsp.features.context_bridge import field_of
from context_ls.lsp.state import uri_to_path

if TYPE_CHECKING:
    from context_ls.lsp.server import ContextLanguageServer

SESSIONS = "contextLs/sessions"


def folders_of(params: Any, default: list[str]) -> list[str] | None:
    """The projects a request names (None: every project)."""
    if field_of(params, "all") is True:
        return None
    given = field_of(params, "folders")
    if given is None:
        return default
    if not isinstance(given, list) or not all(isinstance(f, str) for f in given):
        raise JsonRpcInvalidParams("`folders` must be a list of absolute paths or file: URIs.")
    folders = [uri_to_path(f) if f.startswith("file:") else os.path.normpath(f) for f in given]
    if not all(f and os.path.isabs(f) for f in folders):
        raise JsonRpcInvalidParams(f"`folders` must be absolute paths or file: URIs: {given}")
    return [f for f in folders if f]


class AgentSessions(LanguageFeature):
    def __init__(self, server: ContextLanguageServer) -> None:
        super().__init__(server)
        # One listing at a time: they share the counts cache in the state folder.
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="context-ls-sessions")

    async def list(self, params: Any) -> dict[str, Any]:
        from context_ls.agents.listing import list_sessions

        # Not resolved: `list_sessions` also tries where each folder really leads.
        folders = folders_of(params, self.server.workspace_folder_paths())
        loop = asyncio.get_running_loop()
        # Analysed in this worker thread: a process pool would fork the server's threads.
        listing = await loop.run_in_executor(
            self._pool, lambda: list_sessions(folders, spread=False)
        )
        return listing.as_json()

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
