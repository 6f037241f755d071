"""`context-ls explain`: the same rule text the README and the server link to."""

from __future__ import annotations

import sys

from context_ls.cli.files import UsageError
from context_ls.history.rules import RULES, get_rule


def run_explain(code: str | None) -> int:
    if code is None:
        for rule in RULES.values():
            sys.stdout.write(f"{rule.code}  {rule.name:<22} {rule.severity:<8} {rule.summary}\n")
        return 0
    found = get_rule(code)
    if found is None:
        raise UsageError(f"unknown rule {code!r}; `context-ls explain` lists them")
    sys.stdout.write(found.explain())
    sys.stdout.write(f"\nDocs: {found.url}\n")
    return 0
