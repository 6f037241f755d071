"""Which files a command looks at: paths given, folders recursed over *.json and *.jsonl."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

SUFFIXES = (".json", ".jsonl")
SKIPPED_DIRS = frozenset({".git", "node_modules", ".venv", "__pycache__", ".cache"})


class UsageError(Exception):
    """A problem with what the user asked for: exit 2 with a one-line reason."""


def expand(paths: list[str]) -> Iterator[Path]:
    for name in paths:
        path = Path(name)
        if path.is_dir():
            yield from sorted(_walk(path))
        elif path.is_file():
            yield path
        elif not path.exists():
            raise UsageError(f"{name}: no such file or folder")
        else:
            raise UsageError(f"{name}: not a regular file")


def _walk(folder: Path) -> Iterator[Path]:
    for child in folder.iterdir():
        if child.is_dir():
            if child.name not in SKIPPED_DIRS:
                yield from _walk(child)
        elif child.suffix.lower() in SUFFIXES and child.is_file():
            yield child
