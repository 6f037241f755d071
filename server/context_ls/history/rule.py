"""What one rule is (`Rule`): the registry of them is `rules.py`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from context_ls.history.findings import Severity

if TYPE_CHECKING:
    from context_ls.history.findings import Finding
    from context_ls.history.normalize import Plan


# How a message quotes the API's answer to a broken history (its templates end so).
API_ANSWER = '; the API will answer: "{api_error}"'


class ReaderEffect(str):
    """The `api_error` text of a dialect no provider's API reads (the native one): what goes
    wrong for the program that reads the file. A message says it as such, never quoted as
    an answer (see `Rule.message`)."""


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    name: str
    severity: Severity
    summary: str
    why: str
    example: str
    fix: str
    # What a finding says: "" the usual message, other keys its variants. Fields in
    # braces are filled in by the check (`message`).
    messages: Mapping[str, str] = field(default_factory=dict)
    # The title of its quick fix ({call_id}: the call it is about); None: "Fix CODE (name)".
    fix_title: str | None = None
    # What its fix asks of a repair plan; None: no automatic fix.
    fixer: Callable[[Plan, Finding], None] | None = field(default=None, repr=False)
    # A fix that moves an output: where to (move titles say it).
    moves_to: str | None = None

    def message(self, variant: str = "", **fields: Any) -> str:
        """A finding's message from its template (a `ReaderEffect` is not quoted as an API's
        answer)."""
        template = self.messages[variant]
        if isinstance(fields.get("api_error"), ReaderEffect):
            template = template.replace(API_ANSWER, "; {api_error}")
        return template.format(**fields)

    @property
    def anchor(self) -> str:
        """The README heading anchor of this rule's section (GitHub slug of `H001 missing-output`)."""
        return f"{self.code.lower()}-{self.name}"

    @property
    def url(self) -> str:
        """This rule's section of the rule page (`context_ls.docs`: shipped, or public)."""
        from context_ls.docs import rules_page_url

        return f"{rules_page_url()}#{self.anchor}"

    def explain(self) -> str:
        """The rule's documentation as `context-ls explain` prints it (Markdown)."""
        return (
            f"# {self.code} {self.name}\n\n"
            f"Default severity: {self.severity}\n\n"
            f"## What it does\n{self.summary}\n\n"
            f"## Why is this bad?\n{self.why}\n\n"
            f"## Example\n{self.example}\n\n"
            f"## Fix\n{self.fix}\n"
        )
