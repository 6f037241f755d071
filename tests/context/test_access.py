"""The path guard: a path is judged by where it really leads (`..` and symlinks)."""

from __future__ import annotations

from pathlib import Path

import pytest

from context_ls.context.access import ensure_inside, is_inside
from context_ls.context.errors import AccessDenied


def test_path_guard(tmp_path: Path) -> None:
    root = tmp_path / "work"
    (root / "sub").mkdir(parents=True)
    outside = tmp_path / "secret"
    outside.mkdir()
    (root / "out-link").symlink_to(outside)
    (root / "in-link").symlink_to(root / "sub")
    assert ensure_inside(root / "sub" / "a.jsonl", [root]) == root / "sub" / "a.jsonl"
    assert ensure_inside(root / "in-link" / "a.jsonl", [root]) == root / "sub" / "a.jsonl"
    with pytest.raises(AccessDenied, match="outside the allowed folders"):
        ensure_inside(str(root) + "/../secret/x", [root])
    with pytest.raises(AccessDenied, match="it leads to"):
        ensure_inside(root / "out-link" / "x", [root])
    with pytest.raises(AccessDenied, match="only absolute paths"):
        ensure_inside("relative/x", [root])
    with pytest.raises(AccessDenied, match="no workspace or session folder"):
        ensure_inside(root / "x", [])
    assert not is_inside(tmp_path / "workshop" / "x", [root])  # a prefix is not a parent
