"""Fixtures of the real-editor end-to-end tests (helpers: _support.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from ._support import ARTIFACTS


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def isolated_home(tmp_path: Path) -> Iterator[dict[str, str]]:
    """Environment for an editor and its server: a private HOME and XDG folders (snapshots,
    state and editor config stay in tmp_path)."""
    home = tmp_path / "home"
    for sub in ("", ".config", ".local/share", ".local/state", ".cache"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local/share"),
        XDG_STATE_HOME=str(home / ".local/state"),
        XDG_CACHE_HOME=str(home / ".cache"),
        PYTHONUNBUFFERED="1",
    )
    yield env


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if os.environ.get("CONTEXT_LS_SKIP_VSCODE_E2E") == "1":
        terminalreporter.write_sep(
            "!",
            "CONTEXT_LS_SKIP_VSCODE_E2E=1: the real VS Code (code-server) e2e tests did NOT run",
            red=True,
            bold=True,
        )
