"""`context-ls check`: findings as text (like ruff), JSON, or GitHub annotations."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Generator, Iterable, Iterator
from itertools import chain
from pathlib import Path
from typing import Any, TextIO

import msgspec

from context_ls import compression
from context_ls.cli.checked import (
    NOT_HISTORIES,
    Checked,
    Settings,
    check_range,
    checked_analysis,
    dataset_checked,
    is_dataset,
)
from context_ls.cli.files import UsageError, expand_named
from context_ls.cli.jobs import check_all, resolve_jobs
from context_ls.history import source as src
from context_ls.history.analysis import Options
from context_ls.history.detect import dialect_mismatch, why_not_history
from context_ls.history.dialects import NAMES, dialect_of
from context_ls.history.facts import DECODE_ERRORS
from context_ls.history.files import analyze_path
from context_ls.history.model import DialectName
from context_ls.history.rules import RULES, get_rule

_decode = msgspec.json.decode


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
    if name in NAMES:
        return name
    raise UsageError(f"unknown dialect {name!r}; one of: {', '.join(NAMES)}")


def run_check(args: Any, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    select = parse_codes(args.select)
    ignore = parse_codes(args.ignore) or set()
    settings = Settings(
        check_dialect(args.dialect),
        frozenset(select) if select is not None else None,
        frozenset(ignore),
    )
    jobs = resolve_jobs(getattr(args, "jobs", None))
    results = check_all(list(expand_named(args.paths)), settings, jobs, err)
    fmt = args.format
    if fmt == "json":
        _print_json(results, out)
    else:
        verbose = bool(getattr(args, "verbose", False))
        for checked in results:
            path = checked.path
            if checked.error is not None:
                err.write(f"{path}: error: {checked.error}\n")
            elif checked.skipped is not None:
                if checked.named or verbose:
                    _print_skipped(fmt, checked, out, err)
            else:
                for finding in checked.findings:
                    out.write(_format_finding(fmt, path, finding) + "\n")
        if fmt == "text":
            _print_summary(results, out)
        elif fmt == "github":
            _print_github_notice(results, out)
    if any(c.error for c in results):
        return 2
    return 1 if any(c.findings for c in results) else 0


def check_file(path: Path, named: bool, settings: Settings) -> Checked:
    dialect = settings.dialect
    try:
        if dialect is not None:
            mismatch = forced_mismatch(path, dialect)
            if mismatch is not None:
                if named:  # the user said this file is a `dialect` history: it is not
                    return Checked(path, named, error=mismatch)
                return Checked(path, named, skipped=f"no {dialect} records")
        if is_dataset(path, dialect):
            size = path.stat().st_size
            whole = check_range(path, 0, size, 0, size, settings)
            return dataset_checked(path, named, [whole])
        analysis = analyze_path(
            path,
            dialect,
            Options(detect_secrets=settings.keeps("H010")),
            findings_only=True,
            scan_secrets_when_streaming=settings.select is not None and "H010" in settings.select,
            scan_early=_alone(),
        )
    except OSError as error:
        return Checked(path, named, error=f"cannot read: {error.strerror or error}")
    if not analysis.is_history:
        return Checked(path, named, records=analysis.history.record_count, skipped=NOT_HISTORIES)
    return checked_analysis(path, named, settings, analysis)


def _alone() -> bool:
    """This is the command's process, not a `--jobs` worker (whose siblings keep every core
    busy): a second core may scan a big file's secrets while it is read."""
    multiprocessing = sys.modules.get("multiprocessing")  # a worker has it loaded
    return multiprocessing is None or multiprocessing.parent_process() is None


# --- what a file holds, judged on its decoded records -----------------------------------------

HEAD = 1 << 20  # content read before JSONL and a JSON document are told apart (as stream.py)


def forced_mismatch(path: Path, dialect: DialectName) -> str | None:
    """Why a file forced to `dialect` holds none of its records (None: it does). A dialect
    whose records are lines (a data set) reads a single line as a record, not as a
    document's elements, as the engine does."""
    return dialect_mismatch(_record_values(path, dialect_of(dialect).lines_only), dialect)


def _record_values(path: Path, lines_only: bool = False) -> Iterator[Any]:
    """The decoded top-level records of a file's content (decompressed when it is zstd), in
    order. JSONL is read a line at a time (`--dialect` usually matches on the first line);
    only a JSON document is held whole, as the engine holds it."""
    content = _content(path)
    try:
        gathered = bytearray()
        for chunk in content:
            gathered += chunk
            if len(gathered) >= HEAD:
                break
        else:
            yield from record_values(bytes(gathered), lines_only)
            return
        head = bytes(gathered)
        del gathered
        start = src.content_start(head)
        if not lines_only and src.looks_like_document(head, start):
            yield from record_values(b"".join([head, *content]))
            return
        yield from _decoded(_lines(chain([head[start:]], content)))
    finally:
        content.close()


def _content(path: Path) -> Generator[bytes, None, None]:
    if compression.is_compressed_file(path):
        yield from compression.chunks(path)
        return
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            yield chunk


def _lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The non-blank lines of content given in chunks."""
    rest = b""
    for chunk in chunks:
        lines = (rest + chunk).split(b"\n")
        rest = lines.pop()
        yield from (line for line in lines if line.strip())
    if rest.strip():
        yield rest


def record_values(data: bytes, lines_only: bool = False) -> Iterator[Any]:
    """The decoded top-level records of a source: JSONL lines or a document's elements."""
    start = src.content_start(data)
    if not lines_only and src.looks_like_document(data, start):
        records, _error = src.document_records(data, start)
        yield from _decoded(record.data for record in records)
    else:
        yield from _decoded(chunk for _line, _pos, chunk in src.split_lines(data, start))


def _decoded(chunks: Iterable[bytes]) -> Iterator[Any]:
    for chunk in chunks:
        try:
            yield _decode(chunk)
        except DECODE_ERRORS:
            continue


def require_dialect_records(path: Path, data: bytes, dialect: DialectName | None) -> None:
    """For commands that read a file whole (`normalize`, `trim`): refuse with exit 2 when
    `--dialect` names a dialect the file holds no record of."""
    if dialect is not None:
        lines_only = dialect_of(dialect).lines_only
        mismatch = dialect_mismatch(record_values(data, lines_only), dialect)
        if mismatch is not None:
            raise UsageError(f"{path}: {mismatch}")


def _skip_reason(checked: Checked) -> str:
    if checked.skipped != NOT_HISTORIES:
        return checked.skipped or ""
    try:
        why = why_not_history(_record_values(checked.path))
    except OSError:
        why = "no records of a known dialect"
    return f"not a history ({why})"


def _print_skipped(fmt: str, checked: Checked, out: TextIO, err: TextIO) -> None:
    reason = _skip_reason(checked)
    if fmt == "github":
        out.write(f"::notice file={checked.path},title=not checked::{_escape(reason)}; skipped\n")
    else:
        err.write(f"{checked.path}: {reason}; skipped\n")


def _format_finding(fmt: str, path: Path, finding: dict[str, Any]) -> str:
    if fmt == "github":
        level = {"error": "error", "warning": "warning"}.get(finding["severity"], "notice")
        return (
            f"::{level} file={path},line={finding['line']},col={finding['column']},"
            f"endLine={finding['end_line']},endColumn={finding['end_column']},"
            f"title={finding['code']} {finding['rule']}::{_escape(finding['message'])}"
        )
    return (
        f"{path}:{finding['line']}:{finding['column']}: {finding['code']} [{finding['rule']}] "
        f"{finding['message']}"
    )


def _escape(message: str) -> str:
    return message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _tally(results: list[Checked]) -> tuple[int, list[str]]:
    """Histories checked, and the phrases that count what else happened to the files."""
    checked = sum(1 for c in results if c.is_history)
    skipped = Counter(c.skipped for c in results if c.skipped is not None)
    errors = sum(1 for c in results if c.error is not None)
    others = [f"{_plural(n, 'file', 'files')} skipped: {why}" for why, n in skipped.items()]
    if errors:
        others.append(f"{_plural(errors, 'file', 'files')} with errors")
    return checked, others


def _no_history_line(results: list[Checked], others: list[str]) -> str:
    """The summary when nothing was checked: never a success."""
    head = (
        "No history checked"
        if any(c.error is not None for c in results)
        else "No history found in the given paths"
    )
    if not results:
        others = ["no *.json, *.jsonl or *.jsonl.zst files"]
    return f"{head} ({', '.join(others)})." if others else f"{head}."


def _print_summary(results: list[Checked], out: TextIO) -> None:
    checked, others = _tally(results)
    if checked == 0:
        out.write(_no_history_line(results, others) + "\n")
        return
    tally = ", ".join([f"{_plural(checked, 'history', 'histories')} checked", *others])
    counts = Counter(f["code"] for c in results for f in c.findings)
    fixable = sum(1 for c in results for f in c.findings if f["fixable"])
    total = sum(counts.values())
    if total == 0:
        failed = any(c.error is not None for c in results)
        out.write(
            f"No problems found ({tally}).\n" if failed else f"All checks passed! ({tally})\n"
        )
        return
    by_code = ", ".join(f"{code} {counts[code]}" for code in sorted(counts))
    out.write(f"Found {total} problem{'s' if total != 1 else ''} ({by_code}).\n")
    out.write(f"{tally[:1].upper()}{tally[1:]}.\n")
    if fixable:
        out.write(f"{fixable} fixable with `context-ls normalize --write`.\n")


def _print_github_notice(results: list[Checked], out: TextIO) -> None:
    """One notice when files were skipped or nothing was checked: the annotations alone
    would look the same for a clean history and for a file never read."""
    checked, others = _tally(results)
    if checked == 0:
        line = _no_history_line(results, others)
    elif others:
        line = ", ".join([f"{_plural(checked, 'history', 'histories')} checked", *others])
    else:
        return
    out.write(f"::notice title=context-ls::{_escape(line)}\n")


def _print_json(results: list[Checked], out: TextIO) -> None:
    files: list[dict[str, Any]] = []
    counts: Counter[str] = Counter()
    for checked in results:
        entry: dict[str, Any] = {
            "path": str(checked.path),
            "dialect": checked.dialect,
            "records": checked.records,
            "findings": checked.findings,
        }
        if checked.error is not None:
            entry["error"] = checked.error
        counts.update(f["code"] for f in checked.findings)
        files.append(entry)
    summary = {
        "files": len(files),
        "histories": sum(1 for f in files if f["dialect"]),
        "findings": sum(counts.values()),
        "by_code": dict(sorted(counts.items())),
        "fixable": sum(1 for f in files for x in f["findings"] if x["fixable"]),
        "errors": sum(1 for f in files if f.get("error")),
    }
    out.write(msgspec.json.encode({"files": files, "summary": summary}).decode() + "\n")
