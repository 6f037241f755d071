"""Helpers of scripts/package.mjs for a `pip install --target DIR` folder built for another machine.

pip's --platform and --python-version pick wheels for the target, but pip evaluates environment
markers with the interpreter that runs it: `exceptiongroup; python_version < "3.11"` is left out
of a 3.10 bundle built by Python 3.11, and a dependency marked `sys_platform == "win32"` would be
missed for Windows. These commands walk the installed metadata from `context_ls` with the
markers of the target instead.

    bundle_tool.py missing DIR X.Y MARKERS_JSON   requirements still to install, one a line
    bundle_tool.py prune DIR X.Y MARKERS_JSON     remove what the bundle must not ship

MARKERS_JSON holds the target's sys_platform, platform_system, os_name and platform_machine.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import sys
from email.parser import Parser
from fnmatch import fnmatch
from pathlib import Path

from pip._vendor.packaging.markers import default_environment
from pip._vendor.packaging.requirements import Requirement
from pip._vendor.packaging.utils import canonicalize_name

# Files of a dependency that cannot run from the bundle: zstandard's CFFI backend needs the
# `cffi` package (not a dependency on CPython, which uses the C backend); 12 MB per Python.
UNUSABLE = ["zstandard/_cffi.*", "zstandard/backend_cffi.py"]
# pip writes where the wheel came from (a temporary path of the build machine).
BUILD_RECORDS = ["*.dist-info/direct_url.json"]


def dist_infos(target: Path) -> dict[str, Path]:
    out = {}
    for info in target.glob("*.dist-info"):
        meta = Parser().parsestr((info / "METADATA").read_text(encoding="utf-8"))
        out[canonicalize_name(meta["Name"])] = info
    return out


def walk(target: Path, version: str, markers: dict[str, str]) -> tuple[dict[str, str], set[str]]:
    """The requirements missing from `target`, and the names of the distributions needed."""
    env = dict(default_environment())
    env.update(markers, python_version=version, python_full_version=f"{version}.0")
    env.update(implementation_name="cpython", platform_python_implementation="CPython")
    dists = dist_infos(target)
    missing: dict[str, str] = {}
    needed: set[str] = set()
    todo: list[tuple[str, frozenset[str]]] = [("context-ls", frozenset())]
    seen: set[tuple[str, frozenset[str]]] = set()
    while todo:
        name, extras = todo.pop()
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        needed.add(name)
        meta = Parser().parsestr((dists[name] / "METADATA").read_text(encoding="utf-8"))
        for line in meta.get_all("Requires-Dist") or []:
            req = Requirement(line)
            if req.marker is not None and not any(
                req.marker.evaluate({**env, "extra": extra}) for extra in ({""} | set(extras))
            ):
                continue
            dep = canonicalize_name(req.name)
            if dep in dists:
                todo.append((dep, frozenset(req.extras)))
            else:
                missing[dep] = f"{req.name}{req.specifier}"
    return missing, needed


def read_record(info: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO((info / "RECORD").read_text(encoding="utf-8"))))


def write_record(info: Path, rows: list[list[str]]) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    (info / "RECORD").write_text(buf.getvalue(), encoding="utf-8")


def prune(target: Path, version: str, markers: dict[str, str]) -> list[str]:
    """Removes distributions the target's markers do not need, scripts (their shebang is this
    machine's interpreter), bytecode, build records and unusable files; RECORDs follow."""
    removed: list[str] = []
    _, needed = walk(target, version, markers)
    for name, info in dist_infos(target).items():
        rows = read_record(info)
        drop_dist = name not in needed
        kept = []
        for row in rows:
            rel = row[0]
            path = (target / rel).resolve()
            outside = not path.is_relative_to(target.resolve())
            if (
                drop_dist
                or outside
                or "__pycache__" in Path(rel).parts
                or any(fnmatch(rel, p) for p in UNUSABLE + BUILD_RECORDS)
            ):
                if not outside and path.is_file():
                    path.unlink()
                if not drop_dist:
                    removed.append(rel)
                continue
            kept.append(row)
        if drop_dist:
            shutil.rmtree(info, ignore_errors=True)
            removed.append(f"{name} (not needed on this platform)")
        else:
            write_record(info, kept)
    shutil.rmtree(target / "bin", ignore_errors=True)
    for cache in list(target.rglob("__pycache__")):
        shutil.rmtree(cache, ignore_errors=True)
    for directory in sorted(target.rglob("*"), reverse=True):
        if directory.is_dir() and not any(directory.iterdir()):
            directory.rmdir()
    return removed


def main(argv: list[str]) -> int:
    if len(argv) != 4 or argv[0] not in {"missing", "prune"}:
        print(__doc__, file=sys.stderr)
        return 2
    command, target, version, markers = argv[0], Path(argv[1]), argv[2], json.loads(argv[3])
    if command == "missing":
        missing, _ = walk(target, version, markers)
        for requirement in sorted(missing.values()):
            print(requirement)
    else:
        for rel in prune(target, version, markers):
            print(f"removed {rel}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
