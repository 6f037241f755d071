"""A .vsix for every VS Code target, built on this machine (`npm run package -- --all`, what
`make client-package-all` runs), each opened and checked: its native modules are for its
platform and each bundled Python, its manifests name its target, and nothing of this machine
is inside (see _vsix.py). The .vsix of this machine's own target is also run for real by
tests/e2e/test_vsix_bundle.py and test_vscode.py.

CONTEXT_LS_CHECK_VSIX_DIR=DIR checks the .vsix already in DIR (with its TARGETS.json) instead of
building them: `make client-package-all` checks what it built, so a release publishes those.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from e2e._support import CLIENT, ROOT, require_tool, run_logged

from ._binaries import describe
from ._vsix import LIBS, check_vsix, machine_markers

pytestmark = pytest.mark.timeout(1800)

TARGETS = json.loads((CLIENT / "scripts" / "targets.json").read_text(encoding="utf-8"))


def test_a_target_without_wheels_is_not_offered_and_says_why(tmp_path: Path) -> None:
    """No Python 3.99 wheel of msgspec exists: the build names the missing wheel and fails
    for a target asked by name (`--all` lists it under notOffered instead)."""
    require_tool("node", "install Node.js 20+")
    env = dict(
        os.environ,
        CONTEXT_LS_BUNDLE_PYTHON=sys.executable,
        CONTEXT_LS_BUNDLE_VERSIONS="3.99",
        CONTEXT_LS_WHEEL_CACHE=str(tmp_path / "wheels"),
    )
    cmd = ["node", "scripts/package.mjs", "--target", "darwin-arm64", "--bundle-only"]
    proc = subprocess.run(cmd, cwd=CLIENT, env=env, capture_output=True, text=True, timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert re.search(
        r"darwin-arm64: Python 3\.99 is not bundled: no wheel of (msgspec|zstandard)", out
    ), out
    assert "darwin-arm64 is not offered: no Python version can be bundled: no wheel of" in out, out


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get("CONTEXT_LS_CHECK_VSIX_DIR")
    if given:
        return Path(given).resolve()
    require_tool("npm", "install Node.js 20+ with npm")
    out = tmp_path_factory.mktemp("vsix-all")
    log = out / "package.log"
    if not (CLIENT / "node_modules" / ".bin" / "vsce").exists():
        run_logged(["npm", "ci", "--no-audit", "--no-fund"], log, timeout=600, cwd=CLIENT)
    env = dict(os.environ, CONTEXT_LS_VSIX_DIR=str(out), CONTEXT_LS_BUNDLE_PYTHON=sys.executable)
    run_logged(["npm", "run", "package", "--", "--all"], log, timeout=1500, cwd=CLIENT, env=env)
    return out


@pytest.fixture(scope="session")
def summary(built: Path) -> dict[str, Any]:
    return json.loads((built / "TARGETS.json").read_text(encoding="utf-8"))


def test_every_target_is_built_or_says_why(summary: dict[str, Any], built: Path) -> None:
    version = json.loads((CLIENT / "package.json").read_text(encoding="utf-8"))["version"]
    assert summary["version"] == version
    offered, not_offered = summary["offered"], summary["notOffered"]
    assert set(offered) | set(not_offered) == set(TARGETS["targets"])
    assert not set(offered) & set(not_offered)
    for target, reason in not_offered.items():
        assert reason.strip(), f"{target} is not offered and the build does not say why"
    for target, entry in offered.items():
        assert (built / entry["file"]).is_file(), f"{target}: {entry['file']} is missing"
        assert entry["pythons"], f"{target} is offered with no Python bundled"
        assert set(entry["pythons"]) | set(entry["skipped"]) == set(TARGETS["pythons"])
        for python, reason in entry["skipped"].items():
            assert reason.strip(), f"{target}: Python {python} left out without a reason"
    # The platform most people run agents on is there, and the one this machine tests for real.
    assert {"linux-x64", "darwin-arm64", "win32-x64"} <= set(offered)


@pytest.mark.parametrize("target", sorted(TARGETS["targets"]))
def test_vsix_holds_what_its_target_needs(
    target: str, summary: dict[str, Any], built: Path
) -> None:
    if target in summary["notOffered"]:
        pytest.skip(f"{target} is not offered: {summary['notOffered'][target]}")
    vsix = built / summary["offered"][target]["file"]
    problems = check_vsix(str(vsix), target, TARGETS["targets"][target], machine_markers())
    assert problems == [], "\n".join(problems)


def test_universal_vsix_has_no_server(summary: dict[str, Any], built: Path) -> None:
    """The .vsix for the platforms without their own: no TargetPlatform, no bundled Python;
    the extension offers the installed context-ls or one from PyPI there."""
    vsix = built / summary["universal"]["file"]
    problems = check_vsix(str(vsix), "universal", None, machine_markers())
    assert problems == [], "\n".join(problems)


def _rewrite(src: Path, dest: Path, edit: dict[str, bytes | None]) -> None:
    """A copy of a zip with members replaced (bytes), removed (None) or added."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            if item.filename in edit:
                data = edit.pop(item.filename)
                if data is not None:
                    zout.writestr(item.filename, data)
            else:
                zout.writestr(item, zin.read(item.filename))
        for name, data in edit.items():
            if data is not None:
                zout.writestr(name, data)


def test_the_check_finds_a_broken_vsix(
    summary: dict[str, Any], built: Path, tmp_path: Path
) -> None:
    """The checks can fail: a win32-x64 .vsix with a wrong target, a Python 3.11 module in the
    3.12 folder, a Linux binary, bytecode, a stray file and this machine's path."""
    if "win32-x64" not in summary["offered"]:
        pytest.skip("win32-x64 is not offered")
    good = built / summary["offered"]["win32-x64"]["file"]
    with zipfile.ZipFile(good) as zf:
        names = zf.namelist()
        manifest = zf.read("extension.vsixmanifest").decode()
        py311 = next(n for n in names if re.search(r"py3\.11/msgspec/_core\..*\.pyd$", n))
        py312 = next(n for n in names if re.search(r"py3\.12/msgspec/_core\..*\.pyd$", n))
        zstd = next(n for n in names if re.search(r"py3\.12/zstandard/backend_c\..*\.pyd$", n))
        init = f"{LIBS}py3.12/context_ls/__init__.py"
        init_text = zf.read(init)
        py311_data = zf.read(py311)
    elf = b"\x7fELF\x02\x01\x01" + b"\0" * 9 + b"\x03\x00\x3e\x00" + b"\0" * 44
    broken = tmp_path / "broken.vsix"
    _rewrite(
        good,
        broken,
        {
            "extension.vsixmanifest": manifest.replace('"win32-x64"', '"linux-x64"').encode(),
            py312: py311_data,
            zstd: elf,
            f"{LIBS}py3.12/context_ls/__pycache__/cli.cpython-311.pyc": b"\x00",
            f"{LIBS}py3.12/notes.txt": b"left over",
            init: init_text + f"\n# built in {ROOT}\n".encode(),
        },
    )
    problems = "\n".join(
        check_vsix(str(broken), "win32-x64", TARGETS["targets"]["win32-x64"], machine_markers())
    )
    assert "TargetPlatform 'linux-x64', not 'win32-x64'" in problems
    assert re.search(
        r"py3\.12/msgspec/_core\.cp312-win_amd64\.pyd: differs from msgspec's RECORD", problems
    )
    assert re.search(
        r"py3\.12/zstandard/backend_c\..*: built for elf \['x86_64'\], not pe x86_64", problems
    )
    assert "__pycache__/cli.cpython-311.pyc: bytecode" in problems
    assert "py3.12/notes.txt: not installed by pip" in problems
    assert f"context_ls/__init__.py: holds '{ROOT}'" in problems
    # A 3.11 module under its own name in the 3.12 folder is caught by its name alone.
    renamed = tmp_path / "renamed.vsix"
    _rewrite(good, renamed, {py312: None, py312.replace("cp312", "cp311"): py311_data})
    problems = "\n".join(
        check_vsix(str(renamed), "win32-x64", TARGETS["targets"]["win32-x64"], machine_markers())
    )
    assert "_core.cp311-win_amd64.pyd: built for Python 3.11" in problems


@pytest.mark.skipif(sys.platform != "linux", reason="reads this machine's ELF binaries")
def test_check_reads_real_binaries_of_this_machine() -> None:
    """The header reader on a binary we know: this machine's Python."""
    native = describe(Path(sys.executable).resolve().read_bytes())
    assert native is not None and native.format == "elf"
    assert native.machines & {"x86_64", "aarch64"}
    assert native.libc in {"glibc", "musl"}
