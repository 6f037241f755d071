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
import threading
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
        self._watches: dict[tuple[str, ...], threading.Event] = {}  # watch set -> its stop
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
        for stop in self._watches.values():
            stop.set()
        self._watches.clear()

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
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        wanted = self._wanted()
        for key in list(self._watches):
            if key not in wanted:
                self._watches.pop(key).set()
        for key, recursive in wanted.items():
            if key not in self._watches:
                stop = self._watches[key] = threading.Event()
                threading.Thread(
                    target=self._watch,
                    args=(list(key[1:]), recursive, stop, loop),
                    name="context-ls watch",
                    daemon=True,
                ).start()

    def _watch(
        self,
        paths: list[str],
        recursive: bool,
        stop: threading.Event,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        """A watch thread: watchfiles' blocking watcher, its changes handed to the loop.
        (Its async watcher runs on anyio, which loads OpenSSL: ~4 MB for nothing.)"""
        try:
            from watchfiles import watch
        except ImportError:
            logger.warning("watchfiles is not installed; on-disk changes are not followed")
            return
        try:
            for changes in watch(
                *paths,
                recursive=recursive,
                debounce=100,
                step=20,
                stop_event=stop,
                rust_timeout=0,  # no timeout: wait for changes or `stop`
                raise_interrupt=False,
            ):
                events = [
                    (os.path.normpath(path), _CHANGE_NAMES.get(int(change), "changed"))
                    for change, path in changes
                    if path.endswith((".json", ".jsonl"))
                ]
                if events:
                    loop.call_soon_threadsafe(self._changed, events, stop)
        except Exception:
            if not stop.is_set() and not loop.is_closed():
                logger.warning("watching %s stopped", paths, exc_info=True)

    def _changed(self, events: list[tuple[str, str]], stop: threading.Event) -> None:
        if stop.is_set():
            return  # that watch was stopped meanwhile
        for path, name in events:
            self.server.fan_out("file_changed", path, name)
