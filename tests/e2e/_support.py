"""Helpers of the real-editor end-to-end tests (code-server, Neovim, Emacs).

Each test drives a real editor against the real server (`python -m context_ls serve`) and an
example history from `examples/`. A missing editor skips the test locally with a message that
says how to install it, and fails it under CI (`CI=true`), where `.ci/run` installs them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

# How the editors start the server: the interpreter running the tests has the package installed.
SERVER_CMD = [sys.executable, "-m", "context_ls", "serve"]


def expected_codes(name: str) -> list[str]:
    """The H-codes planted in an example, sorted (with repeats), from examples/EXPECTED.json."""
    data = json.loads((EXAMPLES / "EXPECTED.json").read_text(encoding="utf-8"))
    return sorted(f["code"] for f in data[name]["findings"])


def require_tool(tool: str, install_hint: str) -> str:
    """The path of an editor binary; skip (locally) or fail (CI) when it is missing."""
    found = shutil.which(tool)
    if found:
        return found
    message = f"{tool} is not installed: {install_hint}"
    if IN_CI:
        pytest.fail(f"CI=true and {message}", pytrace=False)
    pytest.skip(f"SKIPPED (not a pass): {message}")


def copy_history(name: str, dest_dir: Path, age_seconds: float = 3600.0) -> Path:
    """Copy an example into `dest_dir`, dated in the past: a fresh mtime would make the server
    report the trailing calls as pending (the agent might still be writing the file)."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / name
    shutil.copyfile(EXAMPLES / name, dest)
    past = time.time() - age_seconds
    os.utime(dest, (past, past))
    return dest


CLIENT = ROOT / "client-vscode"
_VSIX: dict[str, Path] = {}


def run_logged(cmd: list[str], log: Path, timeout: float, **kw: Any) -> None:
    """Run a command with its output appended to `log`; fail the test with the log's tail."""
    start = time.monotonic()
    with log.open("ab") as fh:
        fh.write(f"\n$ {' '.join(cmd)}\n".encode())
        fh.flush()
        proc = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, timeout=timeout, **kw)
    if proc.returncode != 0:
        tail = log.read_text(errors="replace")[-4000:]
        pytest.fail(f"{cmd[0]} … failed (exit {proc.returncode}):\n{tail}", pytrace=False)
    print(f"{' '.join(cmd[:3])} … {time.monotonic() - start:.1f}s")


def build_vsix(log: Path) -> Path:
    """`npm run package` once per session: client-vscode/bundled/libs (the server and its
    dependencies per Python version) and the .vsix, next to `log`."""
    if "vsix" in _VSIX:
        return _VSIX["vsix"]
    require_tool("npm", "install Node.js 20+ with npm")
    if not (CLIENT / "node_modules" / ".bin" / "vsce").exists():
        npm_install = "ci" if (CLIENT / "package-lock.json").exists() else "install"
        run_logged(["npm", npm_install, "--no-audit", "--no-fund"], log, timeout=600, cwd=CLIENT)
    vsix = log.parent / "context-ls.vsix"
    env = dict(os.environ, CONTEXT_LS_VSIX=str(vsix), CONTEXT_LS_BUNDLE_PYTHON=sys.executable)
    run_logged(["npm", "run", "package"], log, timeout=600, cwd=CLIENT, env=env)
    _VSIX["vsix"] = vsix
    return vsix
