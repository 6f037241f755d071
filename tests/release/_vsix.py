"""Checks of one platform .vsix (a zip), as a list of problems: empty means it holds what its
VS Code target needs and nothing of the machine that built it.

- extension.vsixmanifest's TargetPlatform and bundled/libs/MANIFEST.json name the target;
- every native file (found by its header, whatever its name) is built for the target's CPU,
  binary format and C library, and for the Python version of its pyX.Y folder;
- every installed distribution's RECORD matches the files byte for byte, and no file is outside
  a RECORD: nothing was added after pip installed the wheels (caches, __pycache__, scripts);
- the files made on this machine (the extension, our own package, pip's records) hold none of
  its paths.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import os
import re
import sys
import tempfile
import zipfile
from email.parser import Parser
from pathlib import Path, PurePosixPath
from typing import Any

from packaging.tags import mac_platforms
from packaging.utils import canonicalize_name

from e2e._support import ROOT

from ._binaries import describe, looks_native

LIBS = "extension/bundled/libs/"
# Compiled dependencies of the server: each must be in every bundle, natively built.
NATIVE_DISTS = {"msgspec", "watchfiles", "zstandard"}
FORBIDDEN = [
    (re.compile(r"(^|/)__pycache__/|\.py[co]$"), "bytecode"),
    (re.compile(r"(^|/)node_modules/"), "node_modules"),
    (re.compile(r"(^|/)\.cache/"), "a cache folder"),
    (re.compile(r"\.vsix$"), "a .vsix inside the .vsix"),
    (re.compile(r"\.map$"), "a source map"),
    (re.compile(r"^extension/(src|test|scripts)/"), "extension sources"),
    (re.compile(r"^extension/bundled/libs/py[^/]+/bin/"), "pip scripts (this machine's shebang)"),
    (re.compile(r"direct_url\.json$"), "pip's record of a local wheel path"),
]
EXT_SUFFIX = re.compile(r"\.(?:cpython-|cp)3(\d+)(t?)-[^/]*\.(?:so|pyd)$")


def machine_markers() -> list[str]:
    """Paths of this machine that must not be in a .vsix: the checkout (and its .venv and
    caches), the home folder and the build's temporary folders."""
    markers = {str(ROOT), sys.prefix, os.path.join(tempfile.gettempdir(), "context-ls-")}
    home = str(Path.home())
    if home not in ("", "/"):
        markers.add(home.rstrip("/") + "/")
    return sorted(markers)


def accepted_platforms(tags: list[str]) -> set[str]:
    """The wheel platform tags pip accepts for the tags it is given (a macOS tag also means
    older macOS versions and universal binaries)."""
    out = set(tags)
    for tag in tags:
        m = re.fullmatch(r"macosx_(\d+)_(\d+)_(\w+)", tag)
        if m:
            out.update(mac_platforms((int(m[1]), int(m[2])), m[3]))
    return out


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def _python_fits(interpreter: str, abi: str, version: str) -> bool:
    minor = int(version.split(".")[1])
    m = re.fullmatch(r"cp3(\d+)", interpreter)
    if not m:
        return interpreter.startswith("py3") and abi == "none"
    if abi == "abi3":
        return int(m[1]) <= minor
    return int(m[1]) == minor and abi == f"cp3{minor}"


class _Bundle:
    """One bundled/libs/pyX.Y folder of the zip."""

    def __init__(self, zf: zipfile.ZipFile, version: str) -> None:
        self.zf, self.version = zf, version
        self.prefix = f"{LIBS}py{version}/"
        self.files = {n[len(self.prefix) :] for n in zf.namelist() if n.startswith(self.prefix)}
        self.files.discard("")
        self.dists: dict[str, dict[str, Any]] = {}
        for info in {f.split("/")[0] for f in self.files if f.split("/")[0].endswith(".dist-info")}:
            meta = Parser().parsestr(self.read(f"{info}/METADATA").decode())
            wheel = Parser().parsestr(self.read(f"{info}/WHEEL").decode())
            rows = list(csv.reader(io.StringIO(self.read(f"{info}/RECORD").decode())))
            self.dists[canonicalize_name(meta["Name"])] = {
                "info": info,
                "purelib": wheel.get("Root-Is-Purelib", "").strip().lower() == "true",
                "tags": [t.strip() for t in wheel.get_all("Tag") or []],
                "rows": rows,
            }

    def read(self, rel: str) -> bytes:
        return self.zf.read(self.prefix + rel)


def check_vsix(
    path: str, target: str, spec: dict[str, Any] | None, markers: list[str]
) -> list[str]:
    """The problems of the .vsix of `target` (spec None: the universal one, with no server)."""
    problems: list[str] = []
    with zipfile.ZipFile(path) as zf:
        names = [n for n in zf.namelist() if not n.endswith("/")]
        manifest_xml = zf.read("extension.vsixmanifest").decode()
        m = re.search(r'TargetPlatform="([^"]*)"', manifest_xml)
        found = m[1] if m else "universal"
        if found != target:
            problems.append(f"extension.vsixmanifest: TargetPlatform {found!r}, not {target!r}")
        for name in names:
            for pattern, what in FORBIDDEN:
                if pattern.search(name):
                    problems.append(f"{name}: {what}")
        bundle_manifest = json.loads(zf.read(LIBS + "MANIFEST.json"))
        problems += _check_manifest(bundle_manifest, target, spec, names)
        own: list[str] = [n for n in names if not n.startswith(LIBS)] + [LIBS + "MANIFEST.json"]
        for version in bundle_manifest.get("pythons", []) if spec else []:
            bundle = _Bundle(zf, version)
            problems += _check_bundle(bundle, spec)
            own += [bundle.prefix + f for f in bundle.files if _made_here(f)]
        for name in own:
            text = zf.read(name)
            for marker in markers:
                if marker.encode() in text:
                    problems.append(f"{name}: holds {marker!r} of the build machine")
    return problems


def _made_here(rel: str) -> bool:
    """Our own package and pip's records are written on the build machine; the rest of the
    bundle is the wheels' content, checked against RECORD instead."""
    top = rel.split("/")[0]
    return top == "context_ls" or top.startswith("context_ls-") or top.endswith(".dist-info")


def _check_manifest(
    manifest: dict[str, Any], target: str, spec: dict[str, Any] | None, names: list[str]
) -> list[str]:
    problems = []
    if manifest.get("target") != target:
        problems.append(f"MANIFEST.json: target {manifest.get('target')!r}, not {target!r}")
    folders = {n[len(LIBS) :].split("/")[0] for n in names if n.startswith(LIBS + "py")}
    if spec is None:
        if folders or manifest.get("pythons"):
            problems.append(f"the universal .vsix bundles {sorted(folders)}")
        return problems
    for key, value in spec["runtime"].items():
        if manifest.get(key) != value:
            problems.append(f"MANIFEST.json: {key} {manifest.get(key)!r}, not {value!r}")
    if folders != {f"py{v}" for v in manifest.get("pythons", [])}:
        problems.append(
            f"MANIFEST.json: pythons {manifest.get('pythons')} but folders {sorted(folders)}"
        )
    if not manifest.get("pythons"):
        problems.append("MANIFEST.json: no Python version bundled")
    for version, reason in (manifest.get("skipped") or {}).items():
        if not reason:
            problems.append(f"MANIFEST.json: Python {version} skipped without a reason")
    return problems


def _check_bundle(bundle: _Bundle, spec: dict[str, Any]) -> list[str]:
    where = f"py{bundle.version}"
    problems: list[str] = []
    owner: dict[str, str] = {}
    for name, dist in bundle.dists.items():
        for row in dist["rows"]:
            rel = str(PurePosixPath(row[0]))
            owner[rel] = name
            if rel not in bundle.files:
                problems.append(f"{where}/{rel}: in {name}'s RECORD but missing")
            elif len(row) > 1 and row[1] and _record_hash(bundle.read(rel)) != row[1]:
                problems.append(f"{where}/{rel}: differs from {name}'s RECORD")
    for rel in sorted(bundle.files - owner.keys()):
        problems.append(f"{where}/{rel}: not installed by pip (in no RECORD)")
    platforms = accepted_platforms(spec["pip"])
    natives: dict[str, int] = {}
    for rel in sorted(bundle.files):
        with bundle.zf.open(bundle.prefix + rel) as fh:
            head = fh.read(4)
        by_name = re.search(r"\.(so|pyd|dylib|dll)$", rel) is not None
        if not (by_name or looks_native(head)):
            continue
        native = describe(bundle.read(rel))
        if native is None:
            problems.append(f"{where}/{rel}: a native file of no known format")
            continue
        dist = owner.get(rel, "?")
        natives[dist] = natives.get(dist, 0) + 1
        binary = spec["binary"]
        if native.format != binary["format"] or binary["machine"] not in native.machines:
            problems.append(
                f"{where}/{rel}: built for {native.format} {sorted(native.machines)}, "
                f"not {binary['format']} {binary['machine']}"
            )
        if binary.get("libc") and native.libc not in (None, binary["libc"]):
            problems.append(f"{where}/{rel}: linked to {native.libc}, not {binary['libc']}")
        problems += _check_python(where, rel, bundle, bundle.dists.get(dist))
    for name, dist in bundle.dists.items():
        if dist["purelib"] and name not in natives:
            continue
        fits = [
            t
            for t in dist["tags"]
            if t.split("-")[2] in platforms and _python_fits(*t.split("-")[:2], bundle.version)
        ]
        if not fits:
            problems.append(
                f"{where}/{dist['info']}: wheel tags {dist['tags']} do not fit the target"
            )
        if name not in natives:
            problems.append(f"{where}/{dist['info']}: a platform wheel without a native file")
    for name in sorted(NATIVE_DISTS - natives.keys()):
        problems.append(f"{where}: no native module of {name}")
    return problems


def _check_python(where: str, rel: str, bundle: _Bundle, dist: dict[str, Any] | None) -> list[str]:
    m = EXT_SUFFIX.search(rel)
    if m:
        if m[2]:
            return [f"{where}/{rel}: built for a free-threaded Python"]
        if f"3.{m[1]}" != bundle.version:
            return [f"{where}/{rel}: built for Python 3.{m[1]}"]
        return []
    # abi3 modules, Windows modules without a version in their name, vendored libraries:
    # the wheel's tags say which Pythons they are for.
    tags = dist["tags"] if dist else []
    if not any(_python_fits(*t.split("-")[:2], bundle.version) for t in tags):
        return [f"{where}/{rel}: its wheel {tags} is not for Python {bundle.version}"]
    return []
