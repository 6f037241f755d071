"""Recognising a dialect from content alone, never from the file name."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import islice
from typing import Any

from context_ls.history.dialects import DIALECTS
from context_ls.history.model import DialectName

SAMPLE_SIZE = 200
MARKED = 2  # a sniff score from 2 up: the record carries the dialect's own marks


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
    for name, dialect in DIALECTS.items():
        scores = [dialect.sniff(value) for value in sample]
        marked = sum(1 for s in scores if s >= MARKED)
        fitting = sum(1 for s in scores if s >= 1)
        total = sum(scores)
        if marked and fitting * 2 >= len(sample) and total > best_score:
            best, best_score = name, total
    return best


def document_dialect(key: str | None, sample: Sequence[Any]) -> DialectName | None:
    """The dialect of a JSON document whose array is under `key` ("messages", "input"),
    from its first records: detection, unless a dialect claims the document by its key."""
    detected = detect_dialect(sample)
    for name, dialect in DIALECTS.items():
        if dialect.claims_document is not None and dialect.claims_document(key, detected, sample):
            return name
    return detected


# --- why a source is not (or not the forced) dialect: what the CLI tells the user ------


def dialect_mismatch(values: Iterable[Any], dialect: DialectName) -> str | None:
    """Why a source forced to `dialect` cannot be read as one (no record carries its marks),
    or None when it can. Stops at the first record of the dialect."""
    sniff = DIALECTS[dialect].sniff
    head: list[Any] = []
    for value in values:
        if sniff(value) >= MARKED:
            return None
        if len(head) < SAMPLE_SIZE:
            head.append(value)
    detected = detect_dialect(head)
    looks = f"it looks like {detected}" if detected else "it does not look like a history"
    return f"no {dialect} records: {looks}"


def why_not_history(values: Iterable[Any]) -> str:
    """What detection saw in a source it did not take for a history, with the `--dialect`
    that would read it when some records do look like one dialect."""
    head = list(islice(values, SAMPLE_SIZE))
    best: DialectName | None = None
    best_count = 0
    for name, described in DIALECTS.items():
        count = sum(1 for value in head if described.sniff(value) >= MARKED)
        if count > best_count:
            best, best_count = name, count
    if best is None:
        return "no records of a known dialect"
    first = "the first " if len(head) == SAMPLE_SIZE else ""
    return (
        f"only {best_count} of {first}{len(head)} records "
        f"{'looks' if best_count == 1 else 'look'} like {best}; "
        f"--dialect {best} checks it as one"
    )
