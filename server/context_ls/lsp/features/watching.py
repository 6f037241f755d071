"""Following files on disk: an agent appends to the history of an open document.

The client watches the workspace when it can register `workspace/didChangeWatchedFiles`
dynamically; otherwise (and always for the session folders of `watch.globs`, which lie
outside the workspace) the server watches with watchfiles. Only folders the server may
read are watched, and an event only stats the file: documents are never read from disk.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import TYPE_CHECKING

from lsprotocol import types

from context_ls.lsp.feature import LanguageFeature

if TYPE_CHECKING:
    from context_ls.lsp.server import ContextLanguageServer
    from context_ls.lsp.state import DocumentState

logger = logging.getLogger(__name__)

REGISTRATION_ID = "context-ls/watched-files"
_CHANGE_NAMES = {1: "created", 2: "changed", 3: "deleted"}


class Watching(LanguageFeature):
    def __init__(self, server: ContextLanguageServer) -> None:
        super().__init__(server)
        self._tasks: dict[tuple[str, ...], asyncio.Task[None]] = {}
        self._registered = False

    async def initialized(self) -> None:
        if self.server.client.dynamic_watch:
            await self._register()
        self._rewatch()

    def settings_changed(self) -> None:
        self._rewatch()

    def document_open(self, doc: DocumentState) -> None:
        self._rewatch()

    def folders_changed(self, added: list[str], removed: list[str]) -> None:
        self._rewatch()  # what the server may watch follows the workspace folders

    def document_close(self, doc: DocumentState) -> None:
        self._rewatch()

    def shutdown(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        self._tasks.clear()

    async def _register(self) -> None:
        globs = ["**/*.jsonl", "**/*.json"]
        watchers = [types.FileSystemWatcher(glob_pattern=g) for g in globs]
        try:
            await self.server.client_register_capability_async(
                types.RegistrationParams(
                    registrations=[
                        types.Registration(
                            id=REGISTRATION_ID,
                            method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                            register_options=types.DidChangeWatchedFilesRegistrationOptions(
                                watchers=watchers
                            ),
                        )
                    ]
                )
            )
            self._registered = True
        except Exception:
            logger.warning("the client refused to watch files; watching them here", exc_info=True)

    def _wanted(self) -> dict[tuple[str, ...], bool]:
        """Watch sets (paths, recursive?) the server itself must watch."""
        wanted: dict[tuple[str, ...], bool] = {}
        sessions = tuple(
            sorted({f for f in self.server.settings.session_folders() if os.path.isdir(f)})
        )
        if sessions:
            key = ("recursive", *sessions)
            wanted[key] = True
        if not self._registered:
            folders = {
                os.path.dirname(doc.path)
                for doc in self.server.documents.values()
                if doc.path and self.server.may_read(doc.path)
            }
            folders = {f for f in folders if os.path.isdir(f)}
            if folders:
                flat = ("flat", *sorted(folders))
                wanted[flat] = False
        return wanted

    def _rewatch(self) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        wanted = self._wanted()
        for key in list(self._tasks):
            if key not in wanted:
                self._tasks.pop(key).cancel()
        for key, recursive in wanted.items():
            if key not in self._tasks:
                self._tasks[key] = asyncio.ensure_future(self._watch(list(key[1:]), recursive))

    async def _watch(self, paths: list[str], recursive: bool) -> None:
        try:
            from watchfiles import awatch
        except ImportError:
            logger.warning("watchfiles is not installed; on-disk changes are not followed")
            return
        try:
            async for changes in awatch(*paths, recursive=recursive, debounce=100, step=20):
                for change, path in changes:
                    if path.endswith((".json", ".jsonl")):
                        name = _CHANGE_NAMES.get(int(change), "changed")
                        self.server.fan_out("file_changed", os.path.normpath(path), name)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.warning("watching %s stopped", paths, exc_info=True)
