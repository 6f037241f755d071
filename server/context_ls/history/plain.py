"""A finding as a plain dict: what `context-ls check --format json` prints for each one and
what `context_ls.datasets.check_row` returns (JSON-stable: str, int, bool and None only)."""

from __future__ import annotations

from typing import Any

from context_ls.history.analysis import Analysis
from context_ls.history.findings import Finding
from context_ls.history.where import where

# The keys of a finding, in the order they are printed.
FIELDS = (
    "code",
    "rule",
    "severity",
    "message",
    "call_id",
    "line",
    "column",
    "end_line",
    "end_column",
    "fixable",
)


def finding_dict(analysis: Analysis, finding: Finding) -> dict[str, Any]:
    """1-based line and column (code points) of the finding's start and end, with its rule."""
    at = where(analysis, finding.item, finding.span)
    return {
        "code": finding.code,
        "rule": finding.rule,
        "severity": finding.severity,
        "message": finding.message,
        "call_id": finding.call_id,
        "line": at.line,
        "column": at.column,
        "end_line": at.end_line,
        "end_column": at.end_column,
        "fixable": finding.fixable,
    }
