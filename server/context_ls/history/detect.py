"""Recognising a dialect from content alone, never from the file name."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import islice
from types import ModuleType
from typing import Any

from context_ls.history.dialects import anthropic, chat, claude_code, codex, native, responses
from context_ls.history.model import DialectName

# Order breaks ties: the more specific line formats first.
DIALECT_MODULES: dict[DialectName, ModuleType] = {
    "codex": codex,
    "claude-code": claude_code,
    "native": native,
    "openai-responses": responses,
    "anthropic": anthropic,
    "openai-chat": chat,
}
SAMPLE_SIZE = 200


def detect_dialect(values: Iterable[Any]) -> DialectName | None:
    """The dialect most records fit, or None for ordinary JSON (settings, logs, manifests).

    Each dialect scores a record 0 (does not fit), 1 (fits loosely), 2–3 (its own marks).
    A dialect qualifies when at least one record carries its marks and most records fit.
    """
    sample = list(islice(values, SAMPLE_SIZE))
    if not sample:
        return None
    best: DialectName | None = None
    best_score = 0
    for name, module in DIALECT_MODULES.items():
        scores = [module.sniff(value) for value in sample]
        marked = sum(1 for s in scores if s >= 2)
        fitting = sum(1 for s in scores if s >= 1)
        total = sum(scores)
        if marked and fitting * 2 >= len(sample) and total > best_score:
            best, best_score = name, total
    return best
