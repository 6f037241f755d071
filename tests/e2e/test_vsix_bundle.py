"""The .vsix runs on a machine with Python and nothing else: for every Python 3.10+ found here,
the server bundled in the packaged extension (bundled/libs/pyX.Y) starts with that bare
interpreter (isolated from any site-packages) and publishes the planted diagnostics. The same
.vsix (the one test_vscode.py installs) passes the checks of every platform's .vsix
(tests/release)."""

from __future__ import annotations

import glob
import json
import os
import platform
import selectors
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from release._vsix import check_vsix, machine_markers

from ._support import CLIENT, EXAMPLES, build_vsix, copy_history, expected_codes

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

EXAMPLE = "claude-code-session.jsonl"


def _interpreters() -> dict[str, str]:
    """One interpreter per Python version >= 3.10 on this machine (PATH, /usr/bin, pyenv)."""
    names = [f"python3.{minor}" for minor in range(10, 16)] + ["python3"]
    paths = [p for n in names if (p := shutil.which(n))]
    paths += sorted(glob.glob("/usr/bin/python3.1[0-9]"))
    paths += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.1*/bin/python3")))
    found: dict[str, str] = {}
    for path in paths:
        try:
            version = subprocess.run(
                [path, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                capture_output=True,
                text=True,
                timeout=20,
            ).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            continue
        if version and tuple(map(int, version.split("."))) >= (3, 10):
            found.setdefault(version, path)
    return found


INTERPRETERS = _interpreters()


@pytest.fixture(scope="module")
def vsix(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_vsix(tmp_path_factory.mktemp("vsix") / "package.log")


@pytest.fixture(scope="module")
def unpacked(vsix: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("vsix") / "unpacked"
    with zipfile.ZipFile(vsix) as zf:
        zf.extractall(out)
    return out / "extension"


def _host_target() -> str | None:
    machine = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}
    arch = machine.get(platform.machine().lower())
    if arch is None:
        return None
    if sys.platform.startswith("linux"):
        return f"{'linux' if platform.libc_ver()[0] == 'glibc' else 'alpine'}-{arch}"
    return f"{sys.platform}-{arch}" if sys.platform in ("darwin", "win32") else None


def test_vsix_of_this_machine_holds_what_it_needs(vsix: Path) -> None:
    target = _host_target()
    if target is None:
        pytest.skip(f"no VS Code target for {sys.platform} {platform.machine()}")
    spec = json.loads((CLIENT / "scripts" / "targets.json").read_text(encoding="utf-8"))
    problems = check_vsix(str(vsix), target, spec["targets"][target], machine_markers())
    assert problems == [], "\n".join(problems)


def _frame(message: dict[str, Any]) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


def _read_messages(data: bytes) -> list[dict[str, Any]]:
    messages = []
    while data:
        head, _, rest = data.partition(b"\r\n\r\n")
        length = int(
            next(h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length"))
            .split(b":")[1]
            .strip()
        )
        messages.append(json.loads(rest[:length]))
        data = rest[length:]
    return messages


@pytest.mark.parametrize("version", sorted(INTERPRETERS) or ["none"])
def test_bundled_server_runs_on_a_bare_python(version: str, unpacked: Path, tmp_path: Path) -> None:
    if version == "none":
        pytest.skip("no Python 3.10+ interpreter found")
    python = INTERPRETERS[version]
    libs = unpacked / "bundled" / "libs" / f"py{version}"
    assert libs.is_dir(), f"the .vsix has no server bundle for Python {version}"
    history = copy_history(EXAMPLE, tmp_path / "work")
    uri = history.as_uri()
    text = (EXAMPLES / EXAMPLE).read_text(encoding="utf-8")
    requests = b"".join(
        _frame(m)
        for m in [
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {"processId": None, "rootUri": None, "capabilities": {}},
            },
            {"jsonrpc": "2.0", "method": "initialized", "params": {}},
            {
                "jsonrpc": "2.0",
                "method": "textDocument/didOpen",
                "params": {
                    "textDocument": {"uri": uri, "languageId": "jsonl", "version": 1, "text": text}
                },
            },
        ]
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PYTHONPATH": str(libs),
        "PYTHONNOUSERSITE": "1",
    }
    # -s: no user site; a pyenv/system Python has no context-ls, pygls or msgspec of its own.
    proc = subprocess.Popen(
        [python, "-s", "-m", "context_ls", "serve", "--stdio"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=tmp_path,
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(requests)
    proc.stdin.flush()
    buffer = b""
    diagnostics: list[dict[str, Any]] | None = None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    try:
        deadline = time.monotonic() + 60
        while diagnostics is None and time.monotonic() < deadline:
            if not sel.select(timeout=1):
                continue
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break
            buffer += chunk
            try:
                messages = _read_messages(buffer)
            except (ValueError, StopIteration, json.JSONDecodeError):
                continue  # a message is still incomplete
            for m in messages:
                if (
                    m.get("method") == "textDocument/publishDiagnostics"
                    and m["params"]["uri"] == uri
                ) and m["params"]["diagnostics"]:
                    diagnostics = m["params"]["diagnostics"]
        proc.stdin.write(_frame({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}))
        proc.stdin.write(_frame({"jsonrpc": "2.0", "method": "exit"}))
        proc.stdin.flush()
        proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        assert proc.stderr is not None
        stderr = proc.stderr.read().decode(errors="replace")
    assert diagnostics is not None, f"no diagnostics from Python {version} ({python}):\n{stderr}"
    codes = sorted(d["code"] for d in diagnostics if d.get("source") == "context-ls")
    assert codes == expected_codes(EXAMPLE), stderr
