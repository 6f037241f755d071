"""Print the requirements missing from a `pip install --target DIR --python-version X` folder.

pip's --python-version picks wheels for that version but evaluates environment markers with the
running interpreter, so `exceptiongroup; python_version < "3.11"` (a cattrs dependency) is left
out of a 3.10 bundle built by Python 3.11. This walks the installed metadata from `context_ls`
with the markers of the target version and prints what is missing, one requirement a line.

Usage: python missing_requirements.py DIR X.Y
"""

from __future__ import annotations

import sys
from email.parser import Parser
from pathlib import Path

from pip._vendor.packaging.markers import default_environment
from pip._vendor.packaging.requirements import Requirement
from pip._vendor.packaging.utils import canonicalize_name


def installed(target: Path) -> dict[str, Path]:
    out = {}
    for info in target.glob("*.dist-info"):
        meta = Parser().parsestr((info / "METADATA").read_text(encoding="utf-8"))
        out[canonicalize_name(meta["Name"])] = info / "METADATA"
    return out


def main(target: Path, version: str) -> int:
    env = dict(default_environment())
    env.update(python_version=version, python_full_version=f"{version}.0")
    dists = installed(target)
    missing: dict[str, str] = {}
    seen: set[tuple[str, frozenset[str]]] = set()
    todo: list[tuple[str, frozenset[str]]] = [("context-ls", frozenset())]
    while todo:
        name, extras = todo.pop()
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        meta = Parser().parsestr(dists[name].read_text(encoding="utf-8"))
        for line in meta.get_all("Requires-Dist") or []:
            req = Requirement(line)
            wanted = any(
                req.marker is None or req.marker.evaluate({**env, "extra": extra})
                for extra in ({""} | set(extras))
            )
            if not wanted:
                continue
            dep = canonicalize_name(req.name)
            if dep in dists:
                todo.append((dep, frozenset(req.extras)))
            else:
                missing[dep] = str(req.specifier and f"{req.name}{req.specifier}" or req.name)
    for requirement in sorted(missing.values()):
        print(requirement)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1]), sys.argv[2]))
