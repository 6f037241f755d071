"""The layers hold: the CLI and the history engine run without the language server's
protocol libraries, and the engine without the CLI or the server (a fresh interpreter
imports them and looks at what got loaded)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PROTOCOL = ("pygls", "lsprotocol")


def _loaded_by(module: str, prefixes: tuple[str, ...] = PROTOCOL) -> list[str]:
    """The modules under `prefixes` a fresh interpreter holds after importing `module`."""
    script = (
        "import importlib, json, sys\n"
        f"importlib.import_module({module!r})\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.startswith({prefixes!r}))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    loaded: list[str] = json.loads(done.stdout)
    return loaded


@pytest.mark.parametrize(
    "module",
    [
        "context_ls.cli.main",
        "context_ls.history.api",
        "context_ls.history.analyzer",
        "context_ls.context.service",
    ],
)
def test_importing_loads_no_protocol_library(module: str) -> None:
    assert _loaded_by(module) == []


@pytest.mark.parametrize("module", ["context_ls.history.api", "context_ls.history.analyzer"])
def test_the_engine_loads_neither_the_cli_nor_the_server(module: str) -> None:
    assert _loaded_by(module, ("context_ls.cli", "context_ls.lsp")) == []


def test_the_check_finds_a_protocol_library_when_one_is_loaded() -> None:
    """The probe itself works: the server's entry point does load pygls."""
    assert any(name.startswith("pygls") for name in _loaded_by("context_ls.lsp.server"))
