"""`context-ls check`: findings as text (like ruff), JSON, or GitHub annotations."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import Any, TextIO

import msgspec

from context_ls.cli.files import UsageError, expand
from context_ls.cli.progress import Progress
from context_ls.history.api import Analysis, Options, analyze_path
from context_ls.history.findings import Finding
from context_ls.history.model import DIALECTS, DialectName
from context_ls.history.rules import RULES, get_rule
from context_ls.history.where import where


def parse_codes(text: str | None) -> set[str] | None:
    if not text:
        return None
    codes: set[str] = set()
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if part.upper() == "ALL":
            codes.update(RULES)
            continue
        matched = (
            {code for code in RULES if code.startswith(part.upper())} if part[:1] in "hH" else set()
        )
        rule = get_rule(part)
        if rule:
            matched.add(rule.code)
        if not matched:
            raise UsageError(f"unknown rule {part!r}; see `context-ls explain` for the list")
        codes |= matched
    return codes


def check_dialect(name: str | None) -> DialectName | None:
    if name is None:
        return None
    for dialect in DIALECTS:
        if dialect == name:
            return dialect
    raise UsageError(f"unknown dialect {name!r}; one of: {', '.join(DIALECTS)}")


def run_check(args: Any, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    select = parse_codes(args.select)
    ignore = parse_codes(args.ignore) or set()
    dialect = check_dialect(args.dialect)
    paths = list(expand(args.paths))
    results: list[tuple[Path, Analysis | None, str | None]] = []
    progress = Progress(len(paths), err)
    for path in paths:
        try:
            analysis = analyze_path(
                path,
                dialect,
                Options(),
                findings_only=True,
                scan_secrets_when_streaming=select is not None and "H010" in select,
            )
        except OSError as error:
            results.append((path, None, f"cannot read: {error.strerror or error}"))
        else:
            analysis.findings = [
                f
                for f in analysis.findings
                if (select is None or f.code in select) and f.code not in ignore
            ]
            results.append((path, analysis, None))
        progress.step(str(path))
    progress.done()
    fmt = args.format
    if fmt == "json":
        _print_json(results, out)
    else:
        for path, result, failure in results:
            if failure is not None:
                err.write(f"{path}: error: {failure}\n")
            elif result is not None:
                for finding in result.findings:
                    out.write(_format_finding(fmt, path, result, finding) + "\n")
        if fmt == "text":
            _print_summary(results, out)
    if any(error for _, _, error in results):
        return 2
    return 1 if any(a is not None and a.findings for _, a, _ in results) else 0


def _format_finding(fmt: str, path: Path, analysis: Analysis, finding: Finding) -> str:
    at = where(analysis, finding.item, finding.span)
    if fmt == "github":
        level = {"error": "error", "warning": "warning"}.get(finding.severity, "notice")
        message = finding.message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        return (
            f"::{level} file={path},line={at.line},col={at.column},endLine={at.end_line},"
            f"endColumn={at.end_column},title={finding.code} {finding.rule}::{message}"
        )
    return f"{path}:{at.line}:{at.column}: {finding.code} [{finding.rule}] {finding.message}"


def _print_summary(results: list[tuple[Path, Analysis | None, str | None]], out: TextIO) -> None:
    counts = Counter(f.code for _, a, _ in results if a for f in a.findings)
    fixable = sum(1 for _, a, _ in results if a for f in a.findings if f.fixable)
    total = sum(counts.values())
    if total == 0:
        out.write("All checks passed!\n")
        return
    by_code = ", ".join(f"{code} {counts[code]}" for code in sorted(counts))
    out.write(f"Found {total} problem{'s' if total != 1 else ''} ({by_code}).\n")
    if fixable:
        out.write(f"{fixable} fixable with `context-ls normalize --write`.\n")


def _print_json(results: list[tuple[Path, Analysis | None, str | None]], out: TextIO) -> None:
    files: list[dict[str, Any]] = []
    counts: Counter[str] = Counter()
    for path, analyzed, error in results:
        if analyzed is None:
            files.append(
                {"path": str(path), "dialect": None, "records": 0, "findings": [], "error": error}
            )
            continue
        findings = []
        for finding in analyzed.findings:
            at = where(analyzed, finding.item, finding.span)
            counts[finding.code] += 1
            findings.append(
                {
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
            )
        files.append(
            {
                "path": str(path),
                "dialect": analyzed.history.dialect,
                "records": analyzed.history.record_count,
                "findings": findings,
            }
        )
    summary = {
        "files": len(files),
        "histories": sum(1 for f in files if f["dialect"]),
        "findings": sum(counts.values()),
        "by_code": dict(sorted(counts.items())),
        "fixable": sum(1 for f in files for x in f["findings"] if x["fixable"]),
        "errors": sum(1 for f in files if f.get("error")),
    }
    out.write(msgspec.json.encode({"files": files, "summary": summary}).decode() + "\n")
