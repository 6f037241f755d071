"""Recognising a dialect from content alone, never from the file name."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import islice
from typing import Any

from context_ls.history.dialects import DIALECTS
from context_ls.history.model import DialectName

SAMPLE_SIZE = 200
MARKED = 2  # a sniff score from 2 up: the record carries the dialect's own marks
TOP_SCORE = 3  # the most a sniff gives one record


def detect_dialect(values: Iterable[Any]) -> DialectName | None:
    """The dialect most records fit, or None for ordinary JSON (settings, logs, manifests).

    Each dialect scores a record 0 (does not fit), 1 (fits loosely), 2–3 (its own marks).
    A dialect qualifies when at least one record carries its marks and most records fit;
    the highest total wins, and on a tie the dialect listed first.
    """
    sample = list(islice(values, SAMPLE_SIZE))
    if not sample:
        return None
    first = sample[0]
    # The likeliest dialects first, so that the others can stop as soon as even top scores
    # on the records left would not beat the best (a listing detects thousands of files).
    ranked = sorted(enumerate(DIALECTS.values()), key=lambda pair: -pair[1].sniff(first))
    best: tuple[int, int] | None = None  # (total, -rank in the registry) of the leader
    winner: DialectName | None = None
    size = len(sample)
    for rank, dialect in ranked:
        sniff = dialect.sniff
        total = marked = fitting = 0
        for seen, value in enumerate(sample):
            if best is not None and (total + TOP_SCORE * (size - seen), -rank) < best:
                break  # cannot catch up
            score = sniff(value)
            total += score
            marked += score >= MARKED
            fitting += score >= 1
        else:
            if marked and fitting * 2 >= size and (best is None or (total, -rank) > best):
                best, winner = (total, -rank), dialect.name
    return winner


def document_dialect(key: str | None, sample: Sequence[Any]) -> DialectName | None:
    """The dialect of a JSON document whose array is under `key` ("messages", "input"),
    from its first records: detection, unless a dialect claims the document by its key."""
    detected = detect_dialect(sample)
    for name, dialect in DIALECTS.items():
        if dialect.claims_document is not None and dialect.claims_document(key, detected, sample):
            return name
    if key is None and detected is not None and _a_saved_reply(detected, sample):
        return None
    return detected


def _a_saved_reply(name: DialectName, sample: Sequence[Any]) -> bool:
    """A source of one record, from the model, in a dialect whose API wants the user first:
    a reply saved on its own (an API response, one message cut out), not a conversation.
    Read as one, its "repair" would append a line to a single JSON value."""
    dialect = DIALECTS[name]
    if len(sample) != 1 or dialect.first_role is None:
        return False
    role = dialect.facts(sample[0]).role
    return role is not None and role != dialect.first_role


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
