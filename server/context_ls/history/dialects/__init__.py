"""The dialect registry. One module per dialect holds everything about it (how to recognise
and read its records, what its API requires, how to repair it) and ends with one
`DIALECT = Dialect(...)` (see `base.py`); this list names them, and the rest of the engine,
the CLI's `--dialect`, the README's table and the server's settings ask it.

A new dialect is a new module here and one line in `_ALL`.
"""

from __future__ import annotations

from pathlib import Path

from context_ls.history.dialects import (
    anthropic,
    bedrock,
    chat,
    claude_code,
    codex,
    finetune,
    finetune_outline,
    gemini_api,
    gemini_cli,
    native,
    responses,
)
from context_ls.history.dialects.base import Dialect
from context_ls.history.model import DialectName

# Order breaks detection ties: the more specific line formats first.
_ALL = (
    codex.DIALECT,
    claude_code.DIALECT,
    native.DIALECT,
    gemini_cli.DIALECT,
    responses.DIALECT,
    gemini_api.DIALECT,
    bedrock.DIALECT,
    anthropic.DIALECT,
    finetune.DIALECT,
    chat.DIALECT,
)

DIALECTS: dict[str, Dialect] = {dialect.name: dialect for dialect in _ALL}
NAMES: tuple[str, ...] = tuple(DIALECTS)


def dialect_of(name: str | None) -> Dialect:
    """The dialect called `name`. A history of no dialect is read with the first one's
    rules (callers ask only once a history is known; this keeps them total)."""
    return DIALECTS[name] if name is not None else _ALL[0]


def settled_by_name(name: str, data: bytes) -> DialectName | None:
    """The dialect a file's name settles where content alone cannot: one line holding a
    `messages` object reads as a Chat request body, but in a `.jsonl` file (and without the
    `model` every request names) it is a one-conversation fine-tuning data set."""
    return finetune.NAME if finetune_outline.one_line_data_set(name, data) else None


def synthetic_texts() -> dict[str, str]:
    """Each dialect's default synthetic output text: the keys and defaults of the
    `syntheticOutputText` setting."""
    return {dialect.name: dialect.default_text for dialect in _ALL}


def session_globs() -> list[str]:
    """Where the agents that write these dialects keep their sessions."""
    return [glob for dialect in _ALL for glob in dialect.session_globs]


def agent_of(path: str | Path) -> str | None:
    """The dialect of the agent whose home folder (`.codex`) holds `path`, if any."""
    parts = Path(path).parts
    return next((d.name for d in _ALL if d.home_folder and d.home_folder in parts), None)


def table_markdown() -> str:
    """The README's dialect table, from this registry (a test keeps them equal)."""
    head = "| name | what | shape | synthetic output text |"
    rows = [f"| `{d.name}` | {d.what} | {d.shape} | `{d.default_text}` |" for d in _ALL]
    return "\n".join([head, "|---|---|---|---|", *rows]) + "\n"


__all__ = [
    "DIALECTS",
    "NAMES",
    "Dialect",
    "agent_of",
    "dialect_of",
    "session_globs",
    "settled_by_name",
    "synthetic_texts",
    "table_markdown",
]
