"""Real VS Code end to end: the packaged .vsix in code-server (a real VS Code workbench and
extension host), driven in headless Chromium with playwright-core.

Checks in the workbench: (1) the Problems panel lists the planted H-codes, (2) "Normalize
History" from the command palette fixes the file and empties the Problems panel, (3) "Restore
Snapshot…" brings back the original text, (4) the status bar item shows the right state; and
"Show Timeline" opens the timeline webview; (5) the "Agent Sessions" view lists the sessions a
fake HOME holds (a Codex and a Claude Code session of the workspace, laid out as the agents lay
them out) with their problem counts, refuses to fix the one an agent still writes, fixes the
other (its count goes to zero), copies its resume command and opens it. Screenshots go to
tests/e2e/artifacts/.

Tools (Node 24, code-server, playwright-core) are installed into .cache/e2e on first use by
scripts/install-e2e-tools.sh and reused after. Needs /usr/bin/chromium and libkrb5-dev (apt).
Set CONTEXT_LS_SKIP_VSCODE_E2E=1 to skip it (it says so loudly).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cli.homes import (
    CLAUDE_BROKEN,
    CODEX_BROKEN,
    appending,
    claude_folder,
    claude_transcript,
    codex_rollout,
)

from ._support import (
    ARTIFACTS,
    IN_CI,
    ROOT,
    build_vsix,
    copy_history,
    expected_codes,
    require_tool,
    run_logged,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1800)]

TOOLS = Path(os.environ.get("CONTEXT_LS_E2E_CACHE", ROOT / ".cache" / "e2e"))
EXAMPLE = "codex-rollout-crashed.jsonl"
FIX_ON_SAVE_EXAMPLE = "openai-chat-messages.json"
SETTINGS = {
    "workbench.startupEditor": "none",
    "workbench.tips.enabled": False,
    "workbench.enableExperiments": False,
    "workbench.secondarySideBar.defaultVisibility": "hidden",
    "workbench.layoutControl.enabled": False,
    "security.workspace.trust.enabled": False,
    "telemetry.telemetryLevel": "off",
    "extensions.autoCheckUpdates": False,
    "extensions.autoUpdate": False,
    "update.mode": "none",
    "chat.disableAIFeatures": True,
    "files.insertFinalNewline": False,
    "files.trimTrailingWhitespace": False,
    "editor.minimap.enabled": False,
    # The copied examples are dated in the past; files saved during the test are not, and a
    # trailing call without output must stay H001 rather than "pending".
    "contextLs.pendingGraceSeconds": 0,
    # Fix on save, as the README documents it (only for .json: the .jsonl is for the restore).
    "[json]": {"editor.codeActionsOnSave": {"source.fixAll.context-ls": "explicit"}},
}
HERE = Path(__file__).resolve().parent


def agent_home(home: Path, workspace: Path) -> dict[str, Path]:
    """A HOME with one broken Codex and one broken Claude Code session of `workspace`, where
    the agents keep them."""
    codex = (
        home / ".codex/sessions/2026/01/02" / f"rollout-2026-01-02T03-04-05-{CODEX_BROKEN}.jsonl"
    )
    claude = home / ".claude/projects" / claude_folder(str(workspace)) / f"{CLAUDE_BROKEN}.jsonl"
    for path, data in (
        (codex, codex_rollout(CODEX_BROKEN, str(workspace), broken=True)),
        (claude, claude_transcript(CLAUDE_BROKEN, str(workspace), broken=True)),
    ):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return {"codex": codex, "claude": claude}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def e2e_tools(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if os.environ.get("CONTEXT_LS_SKIP_VSCODE_E2E") == "1":
        pytest.skip("CONTEXT_LS_SKIP_VSCODE_E2E=1: real VS Code (code-server) e2e NOT run")
    chromium = require_tool("chromium", "apt-get install -y chromium")
    require_tool("npm", "install Node.js 20+ with npm")
    logs = tmp_path_factory.mktemp("vscode-tools")
    log = logs / "tools.log"
    run_logged(
        ["bash", str(ROOT / "scripts" / "install-e2e-tools.sh"), str(TOOLS)], log, timeout=1500
    )
    vsix = build_vsix(log)
    return {
        "chromium": Path(chromium),
        "node": TOOLS / "node24" / "node_modules" / "node" / "bin" / "node",
        "code_server": TOOLS / "code-server" / "node_modules" / ".bin" / "code-server",
        "playwright": TOOLS / "playwright" / "node_modules" / "playwright-core",
        "vsix": vsix,
        "log": log,
    }


@pytest.fixture(scope="module")
def code_server(
    e2e_tools: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    tmp_path = tmp_path_factory.mktemp("vscode")
    data = tmp_path / "cs"
    ud, ext = data / "ud", data / "ext"
    (ud / "User").mkdir(parents=True)
    ext.mkdir()
    (ud / "User" / "settings.json").write_text(json.dumps(SETTINGS, indent=2), encoding="utf-8")
    node_bin = e2e_tools["node"].parent
    env = dict(
        os.environ,
        PATH=f"{node_bin}{os.pathsep}{os.environ.get('PATH', '')}",
        XDG_CONFIG_HOME=str(data / "config"),
        XDG_DATA_HOME=str(data / "share"),
        XDG_CACHE_HOME=str(data / "cache"),
        XDG_STATE_HOME=str(data / "state"),
    )
    # A bare Python (a venv with nothing installed, not even pip) first on PATH, as on a machine
    # with Python and nothing else: the extension finds `python3` itself and runs the server
    # bundled in the .vsix.
    # A fake HOME: the agents' session folders the Agent Sessions view lists are in it.
    home = tmp_path / "home"
    home.mkdir()
    env["HOME"] = str(home)
    for name in ("CODEX_HOME", "CLAUDE_CONFIG_DIR", "GEMINI_CLI_HOME"):
        env.pop(name, None)
    bare = tmp_path / "bare-python"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True)
    probe = subprocess.run([bare / "bin" / "python3", "-c", "import pygls"], capture_output=True)
    assert probe.returncode != 0, "the bare Python is not bare"
    env.pop("VIRTUAL_ENV", None)
    rest = [p for p in env["PATH"].split(os.pathsep) if not p.startswith(str(ROOT / ".venv"))]
    env["PATH"] = os.pathsep.join([str(node_bin), str(bare / "bin"), *rest])
    log = tmp_path / "code-server.log"
    base = [str(e2e_tools["code_server"]), "--user-data-dir", str(ud), "--extensions-dir", str(ext)]
    run_logged([*base, "--install-extension", str(e2e_tools["vsix"])], log, timeout=180, env=env)
    workspace = tmp_path / "workspace"
    history = copy_history(EXAMPLE, workspace)
    second = copy_history(FIX_ON_SAVE_EXAMPLE, workspace)
    sessions = agent_home(home, workspace)
    port = _free_port()
    cmd = [
        *base,
        "--auth", "none",
        "--bind-addr", f"127.0.0.1:{port}",
        "--disable-telemetry",
        "--disable-update-check",
        "--disable-workspace-trust",
        "--reconnection-grace-time", "5",
        str(workspace),
    ]  # fmt: skip
    with log.open("ab") as fh:
        proc = subprocess.Popen(
            cmd, stdout=fh, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"code-server did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.3)
        yield {
            "port": port,
            "workspace": workspace,
            "history": history,
            "original": history.read_bytes(),
            "second": second,
            "log": log,
            "ud": ud,
            "sessions": sessions,
            "claude_original": sessions["claude"].read_bytes(),
        }
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # the process group this fixture started
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _extension_log(ud: Path) -> str:
    """The "Context LS" output channel, as the extension host wrote it."""
    texts = [p.read_text(errors="replace") for p in ud.glob("logs/**/*Context LS*.log")]
    return "\n".join(texts)


@pytest.fixture(scope="module")
def workbench(code_server: dict[str, Any], e2e_tools: dict[str, Path]) -> dict[str, Any]:
    """One run of the driver through the whole scenario; the tests below check its parts."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("vscode-*"):
        old.unlink()
    config = {
        "port": code_server["port"],
        "workspace": str(code_server["workspace"]),
        "file": EXAMPLE,
        "filePath": str(code_server["history"]),
        "expected": expected_codes(EXAMPLE),
        "artifacts": str(ARTIFACTS),
        "chromium": str(e2e_tools["chromium"]),
        "playwrightDir": str(e2e_tools["playwright"]),
        "timeline": True,
        "fixOnSave": {"file": FIX_ON_SAVE_EXAMPLE, "expected": expected_codes(FIX_ON_SAVE_EXAMPLE)},
        "sessions": {
            "codexId": CODEX_BROKEN,
            "claudeId": CLAUDE_BROKEN,
            "codexFile": code_server["sessions"]["codex"].name,
        },
    }
    start = time.monotonic()
    # An agent still writing the Claude Code session, for the whole run.
    with appending(code_server["sessions"]["claude"]):
        proc = subprocess.run(
            [str(e2e_tools["node"]), str(HERE / "vscode_driver.mjs")],
            env=dict(os.environ, CONTEXT_LS_DRIVER=json.dumps(config)),
            capture_output=True,
            text=True,
            timeout=600,
        )
    elapsed = time.monotonic() - start
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    ext_log = _extension_log(code_server["ud"])
    context = (
        f"\n--- driver stderr ---\n{proc.stderr[-4000:]}"
        f"\n--- Context LS output ---\n{ext_log[-4000:]}"
        f"\n--- code-server log ---\n{code_server['log'].read_text(errors='replace')[-2000:]}"
    )
    (ARTIFACTS / "vscode-driver.log").write_text(proc.stderr + context, encoding="utf-8")
    assert lines, f"the driver printed nothing (exit {proc.returncode}){context}"
    result: dict[str, Any] = json.loads(lines[-1])
    (ARTIFACTS / "vscode-result.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    assert result["ok"], f"{result.get('error')}{context}"
    print(f"vscode e2e driver: {elapsed:.1f}s, screenshots in {ARTIFACTS}")
    result["_ext_log"] = ext_log
    return result


def _status_re(n: int) -> str:
    return rf"⚠ {n} (pairing|history) problems?"


def test_problems_panel_lists_the_planted_codes(workbench: dict[str, Any]) -> None:
    assert workbench["before"]["codes"] == expected_codes(EXAMPLE), workbench["before"]["rows"]
    assert workbench["before"]["squiggles"] > 0
    assert (ARTIFACTS / "vscode-diagnostics.png").stat().st_size > 10_000


def test_status_bar_follows_the_history(workbench: dict[str, Any]) -> None:
    n = len(expected_codes(EXAMPLE))
    assert re.fullmatch(_status_re(n), workbench["before"]["status"]), workbench["before"]
    assert workbench["afterNormalize"]["status"] == "✓ history ok"
    assert re.fullmatch(_status_re(n), workbench["afterRestore"]["status"])


def test_normalize_history_from_the_palette_empties_problems(
    workbench: dict[str, Any], code_server: dict[str, Any]
) -> None:
    assert workbench["afterNormalize"]["codes"] == []


def test_restore_snapshot_brings_back_the_original(
    workbench: dict[str, Any], code_server: dict[str, Any]
) -> None:
    assert workbench["snapshotItems"], "the snapshot quick pick was empty"
    assert workbench["afterRestore"]["codes"] == expected_codes(EXAMPLE)
    restored = code_server["history"].read_bytes()
    assert restored == code_server["original"], "the restored file differs from the original"


def test_show_timeline_opens_a_webview(workbench: dict[str, Any]) -> None:
    assert workbench["timeline"]["ok"], workbench["timeline"]
    assert workbench["timelineFromLens"], "the code lens did not open the timeline panel"
    # A finding's "line N" link in the report moves the editor cursor to that line.
    assert workbench["timelineReveal"]["ok"], workbench["timelineReveal"]


def test_other_palette_commands(workbench: dict[str, Any]) -> None:
    """Create Snapshot, Show Context (read-only JSON), Restart Server, Show Server Log."""
    commands = workbench["commands"]
    assert commands["ok"], commands.get("error")
    assert any("snapshot" in t.lower() for t in commands["snapshotToast"])
    assert '"workspace"' in commands["context"], commands["context"]
    assert commands["restarted"] == expected_codes(EXAMPLE)
    assert "Starting the server" in commands["log"]  # the Output panel shows the channel
    assert workbench["_ext_log"].count("Starting the server") == 2  # start + restart


def test_fix_on_save_with_source_fixall_context_ls(workbench: dict[str, Any]) -> None:
    """`editor.codeActionsOnSave: {"source.fixAll.context-ls": "explicit"}` normalizes on save."""
    fix = workbench["fixOnSave"]
    assert fix["ok"], fix.get("error")
    assert fix["before"] == expected_codes(FIX_ON_SAVE_EXAMPLE)
    assert fix["after"] == []


def test_agent_sessions_view_lists_refuses_and_fixes(
    workbench: dict[str, Any], code_server: dict[str, Any]
) -> None:
    """The view shows both sessions with their counts; Fix is refused on the session an agent
    writes (the file is untouched) and repairs the other, whose count goes to zero."""
    from context_ls.history.api import Options, analyze_path

    view = workbench["sessions"]
    assert view["ok"], view.get("error")
    codex_row = next(r for r in view["before"] if CODEX_BROKEN[:8] in r)
    claude_row = next(r for r in view["before"] if CLAUDE_BROKEN[:8] in r)
    assert codex_row.startswith("Codex session ") and codex_row.endswith(", 1 problem: H001 ×1")
    assert claude_row.startswith("Claude Code session ")
    assert claude_row.endswith(", live · 1 problem: H001 ×1")
    assert view["warningIcons"] == 2
    assert "Nothing was written" in view["refusal"] and "Stop python" in view["refusal"]
    claude = code_server["sessions"]["claude"]
    assert claude.read_bytes() == code_server["claude_original"]
    assert "no problems left" in view["fixedToast"]
    assert next(r for r in view["after"] if CODEX_BROKEN[:8] in r).endswith(", no problems")
    codex = code_server["sessions"]["codex"]
    assert analyze_path(codex, None, Options(), findings_only=True).findings == []
    assert view["clipboard"] == f"codex resume {CODEX_BROKEN}", view["clipboard"]
    assert view["opened"]


def test_runs_the_bundled_server_offline(workbench: dict[str, Any]) -> None:
    # The extension found the bare python3 on PATH and ran the server bundled in the .vsix.
    log = workbench["_ext_log"]
    assert re.search(
        r"Starting the server: python3 -m context_ls serve \(Python 3\.\d+\.\d+ from path, bundled server",
        log,
    ), log[-3000:]
    # Nothing left the machine: every request not to 127.0.0.1 was aborted by the route.
    assert all(urllib.parse.urlsplit(u).hostname != "127.0.0.1" for u in workbench["blocked"])


def test_ci_has_the_vscode_tools() -> None:
    """Under CI the e2e test must not be skipped for a missing browser."""
    if not IN_CI or os.environ.get("CONTEXT_LS_SKIP_VSCODE_E2E") == "1":
        pytest.skip("only under CI=true")
    assert shutil.which("chromium"), "CI=true and chromium is missing (apt-get install chromium)"
