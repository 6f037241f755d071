"""The path guard: the server touches files only inside the roots it was given.

A path is judged by where it really leads: `..` segments and symlinks are resolved first,
so `root/../etc/passwd` and `root/link -> /etc` are both refused, while a symlink that
stays inside a root is fine.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from context_ls.context.errors import AccessDenied

__all__ = ["ensure_inside", "is_inside"]


def _real(path: Path | str) -> Path:
    return Path(os.path.realpath(os.path.expanduser(os.fspath(path))))


def is_inside(path: Path | str, allowed_roots: Iterable[Path | str]) -> bool:
    """`ensure_inside` as a question (the server asks it before watching a folder)."""
    try:
        ensure_inside(path, allowed_roots)
    except AccessDenied:
        return False
    return True


def ensure_inside(path: Path | str, allowed_roots: Iterable[Path | str]) -> Path:
    """The resolved path when it lies inside one of `allowed_roots`; AccessDenied if not."""
    roots = [_real(root) for root in allowed_roots]
    if not Path(path).is_absolute():
        raise AccessDenied(f"Refusing {path}: only absolute paths are accepted.")
    resolved = _real(path)
    for root in roots:
        if resolved == root or resolved.is_relative_to(root):
            return resolved
    if not roots:
        raise AccessDenied(f"Refusing {path}: no workspace or session folder is open.")
    shown = ", ".join(str(r) for r in roots[:5]) + (" …" if len(roots) > 5 else "")
    where = f" (it leads to {resolved})" if str(resolved) != os.path.normpath(path) else ""
    raise AccessDenied(f"Refusing {path}{where}: it is outside the allowed folders {shown}.")
