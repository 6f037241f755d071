"""A finding: one broken invariant at one place, with what the API will say about it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from context_ls.history.model import Call, Output, Span

Severity = Literal["error", "warning", "info"]


class Related(NamedTuple):
    """Another place that explains a finding (the call of a misplaced output, the first of
    two duplicates). (A named tuple: a dataclass costs ~0.5 ms of start-up to define.)"""

    span: Span
    message: str


@dataclass(slots=True)
class Finding:
    code: str  # H001 …
    rule: str  # kebab-case rule name
    severity: Severity
    message: str
    span: Span  # the record (or the id inside it) the finding is about
    item: int  # index of the item in History.items (-1 when none)
    call_id: str | None = None
    related: list[Related] = field(default_factory=list)
    fixable: bool = False
    # A call at the end of a file that is still being written: not yet H001, only waiting.
    pending: bool = False
    # The call and the output the finding is about (when it is about them): what a repair
    # needs, without looking ids up again.
    call: Call | None = field(default=None, repr=False, compare=False)
    output: Output | None = field(default=None, repr=False, compare=False)
