"""Which files a command looks at: paths given, folders recursed over *.json, *.jsonl and
*.jsonl.zst (Codex's compressed rollouts)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

SUFFIXES = (".json", ".jsonl", ".jsonl.zst")
SKIPPED_DIRS = frozenset({".git", "node_modules", ".venv", "__pycache__", ".cache"})


class UsageError(Exception):
    """A problem with what the user asked for: exit 2 with a one-line reason."""


def expand(paths: list[str]) -> Iterator[Path]:
    for path, _named in expand_named(paths):
        yield path


def expand_named(paths: list[str]) -> Iterator[tuple[Path, bool]]:
    """Every file with True when it was named on the command line, False when a folder walk
    found it: a named file the user cares about is reported by name, a found one is counted."""
    for name in paths:
        path = Path(name)
        if path.is_dir():
            for found in sorted(_walk(path)):
                yield found, False
        elif path.is_file():
            yield path, True
        elif not path.exists():
            raise UsageError(f"{name}: no such file or folder")
        else:
            raise UsageError(f"{name}: not a regular file")


def _walk(folder: Path) -> Iterator[Path]:
    for child in folder.iterdir():
        if child.is_dir():
            if child.name not in SKIPPED_DIRS:
                yield from _walk(child)
        elif child.name.lower().endswith(SUFFIXES) and child.is_file():
            yield child
