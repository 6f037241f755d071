"""Settings from initializationOptions, `workspace/configuration` (pulled after the
handshake and on every didChangeConfiguration) and pushed didChangeConfiguration."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from lsprotocol import types

from context_ls.lsp.feature import LanguageFeature
from context_ls.lsp.settings import SECTION, Settings, parse_settings

if TYPE_CHECKING:
    from context_ls.lsp.server import ContextLanguageServer

logger = logging.getLogger(__name__)


class Configuration(LanguageFeature):
    def __init__(self, server: ContextLanguageServer) -> None:
        super().__init__(server)
        self.initial = Settings()  # from initializationOptions: the base of every pull

    def initialize(self, params: types.InitializeParams) -> None:
        self.initial = parse_settings(params.initialization_options)
        self.server.settings = self.initial

    async def initialized(self) -> None:
        await self.pull()

    async def pull(self) -> None:
        """Ask the client for the `contextLs` section (when it can answer)."""
        if not self.server.client.configuration:
            return
        try:
            result = await self.server.workspace_configuration_async(
                types.ConfigurationParams(items=[types.ConfigurationItem(section=SECTION)])
            )
        except Exception:
            logger.warning("workspace/configuration failed; keeping the settings", exc_info=True)
            return
        raw = result[0] if result else None
        self.apply(parse_settings(raw, self.initial) if raw else self.server.settings)

    def apply(self, settings: Settings) -> None:
        if settings != self.server.settings:
            self.server.settings = settings
            self.server.fan_out("settings_changed")

    async def did_change(self, params: types.DidChangeConfigurationParams) -> None:
        raw = params.settings
        if isinstance(raw, dict) and isinstance(raw.get(SECTION), dict):
            self.apply(parse_settings(raw, self.initial))
        else:
            await self.pull()
