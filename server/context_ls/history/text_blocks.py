"""Blank text blocks (H012), found while a record's facts are read: the validator never sees
a record's content, so the reader notes each blank block as a `Problem` of its record,
placed on the block's bytes when those are at hand.

What the Anthropic API refuses (the dialects that set `Dialect.nonempty_text`): a text
block that is empty, anywhere; a text block of white space only, unless another text block
of the same message holds real text. A dialect gives its blocks as (block, text) pairs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import msgspec

from context_ls.history.blocks import find_content
from context_ls.history.facts import DECODE_ERRORS, Problem, RecordFacts, malformed

EMPTY_ERROR = "messages: text content blocks must be non-empty"
BLANK_ERROR = "messages: text content blocks must contain non-whitespace text"
THINKING_TYPES = frozenset({"thinking", "redacted_thinking"})


def blank_text_problems(
    texts: Sequence[tuple[int, str]],
    count: int,
    thinking: bool,
    raw: bytes | None,
    path: tuple[str, ...],
    errors: tuple[str, str] = (EMPTY_ERROR, BLANK_ERROR),
) -> tuple[Problem, ...]:
    """H012 problems of one message: `texts` are its text blocks as (block, text), `count`
    its number of blocks, `thinking` whether it holds thinking blocks (the validator keeps
    the latest assistant message's as they were), `raw` the record's bytes (None: the
    problems cover the whole record), `path` where its content array is, `errors` the
    API's answers to an empty and to a white-space block."""
    blank = [(block, text) for block, text in texts if not text.strip()]
    if not blank:
        return ()
    real_text = len(blank) < len(texts)
    # A block whose removal would leave the message empty is reported, never removed.
    only = len(blank) >= count
    elements = _element_spans(raw, path) if raw is not None else None
    found: list[Problem] = []
    for block, text in blank:
        if text and real_text:
            continue  # white space beside real text: the API takes it
        start, end = (0, -1)
        if elements is not None and block < len(elements):
            start, end = elements[block]
        fields = (
            ("block", str(block)),
            ("what", "is empty" if not text else "holds only white space"),
            ("api_error", errors[0] if not text else errors[1]),
            ("thinking", "1" if thinking else ""),
        )
        found.append(Problem("H012", -1, "only" if only else "", fields, start, end, not only))
    return tuple(found)


def string_content_problem(text: str, raw: bytes | None, path: tuple[str, ...]) -> Problem:
    """H012 for a message whose content is one string of white space (its only content;
    an empty string is another error)."""
    start, end = (0, -1)
    if raw is not None:
        content = find_content(raw, path)
        if content is not None:
            start, end = content.start, content.end
    fields = (
        ("block", "0"),
        ("what", "holds only white space"),
        ("api_error", BLANK_ERROR),
        ("thinking", ""),
    )
    return Problem("H012", -1, "only", fields, start, end, False)


def _element_spans(raw: bytes, path: tuple[str, ...]) -> list[tuple[int, int]] | None:
    content = find_content(raw, path)
    return content.elements if content is not None and content.is_array else None


def placing_reader(
    facts: Callable[[Any, bytes | None], RecordFacts],
) -> Callable[[bytes], RecordFacts]:
    """A `Dialect.read_line` that hands `facts` the record's bytes too, so the problems it
    notes are placed on the bytes they are about."""
    decode = msgspec.json.decode

    def read_line(raw: bytes) -> RecordFacts:
        try:
            value = decode(raw)
        except DECODE_ERRORS as error:
            return malformed(str(error))
        return facts(value, raw)

    _FACTS_OF[read_line] = facts
    return read_line


# Each placing reader's facts of an already decoded record: the reader hands the values it
# decoded to detect the dialect to them rather than decode those records again.
_FACTS_OF: dict[Callable[[bytes], RecordFacts], Callable[[Any, bytes | None], RecordFacts]] = {}


def facts_of_decoded(
    read_line: Callable[[bytes], RecordFacts],
) -> Callable[[Any, bytes | None], RecordFacts] | None:
    """The facts of a decoded record that `read_line` (a placing reader) would give."""
    return _FACTS_OF.get(read_line)
