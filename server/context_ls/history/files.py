"""Analysing a file: a big JSONL file is streamed rather than held, a zstd-compressed one
is read through its decompressed content, and a sub-agent file learns its parent
session's uuids."""

from __future__ import annotations

import os
import weakref
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from context_ls import compression
from context_ls.history.analysis import (
    Analysis,
    Options,
    _analyze,
    _options,
    apply_severity,
    refine_spans,
    secret_findings,
)
from context_ls.history.dialects import DIALECTS, settled_by_name
from context_ls.history.findings import Finding
from context_ls.history.model import DialectName, History
from context_ls.history.stream import (
    STREAM_THRESHOLD,
    file_fetcher,
    is_streamable,
    read_history_stream,
)
from context_ls.history.validate import validate

if TYPE_CHECKING:
    from context_ls.secrets import SecretMatch
    from context_ls.secrets_early import FileScan, Identity


def analyze_path(
    path: Path,
    dialect: DialectName | None = None,
    options: Options | None = None,
    *,
    findings_only: bool = False,
    scan_secrets_when_streaming: bool = False,
    scan_early: bool = False,
) -> Analysis:
    """Analyze a file; a big JSONL file is streamed (then `Analysis.data` is empty and
    `Analysis.fetch` reads the bytes findings need). `findings_only` lets a big Codex
    rollout keep just the records findings point at (what `check` needs). Secrets are
    scanned in a streamed file only when asked: it costs more than the rest of the check.
    `scan_early`: the secrets scan (of a source read whole, or a streamed file's when
    asked) is begun in a forked child while the records are read (`secrets_early`; a
    process with threads, such as the server, never asks)."""
    options = with_linked_session(_options(options), path)
    early = scan_early and options.detect_secrets
    if compression.is_compressed_file(path):
        return _analyze_compressed(
            path, dialect, options, findings_only, scan_secrets_when_streaming, early
        )
    return _analyze_file(path, dialect, options, findings_only, scan_secrets_when_streaming, early)


def _analyze_file(
    path: Path,
    dialect: DialectName | None,
    options: Options,
    findings_only: bool,
    scan_secrets_when_streaming: bool,
    early: bool = False,
) -> Analysis:
    if not is_streamable(path):
        if not early:
            return _analyze_whole(path.read_bytes(), path, dialect, options, findings_only, False)
        from context_ls.secrets_early import identity

        before = identity(path)
        data = path.read_bytes()
        read_as = before if identity(path) == before and len(data) == before[2] else None
        return _analyze_whole(data, path, dialect, options, findings_only, early, read_as)
    scan: FileScan | None = None
    if options.detect_secrets and scan_secrets_when_streaming:
        from context_ls.secrets_early import FileScan  # asked for: it costs the most

        scan = FileScan(path, fork=early)  # a child scans while the records are read
    with scan or nullcontext():
        history = read_history_stream(path, dialect, sparse=findings_only)
        findings = validate(
            history,
            options.enforce_invariants,
            options.trailing_calls_pending,
            linked_uuids=options.linked_uuids,
        )
        if scan is not None and history.is_history:
            findings.extend(_streamed_secret_findings(history, scan.collect()))
    fetch = file_fetcher(path)
    analysis = Analysis(b"", history, apply_severity(findings, options.severity))
    analysis.fetch = fetch
    refine_spans(analysis.findings, history, fetch)
    return analysis


def _analyze_compressed(
    path: Path,
    dialect: DialectName | None,
    options: Options,
    findings_only: bool,
    scan_secrets_when_streaming: bool,
    early: bool,
) -> Analysis:
    """A zstd-compressed file (Codex's `.jsonl.zst`): its content is analysed. Content
    that would be streamed were it plain is decompressed into a private temporary file
    and streamed from there (a rollout may decompress to gigabytes); the file goes when
    the analysis' `fetch` does. Positions are in the decompressed content."""
    parts = compression.chunks(path)
    head = bytearray()
    for chunk in parts:
        head += chunk
        if len(head) >= STREAM_THRESHOLD:
            break
    else:
        return _analyze_whole(bytes(head), path, dialect, options, findings_only, early)
    import tempfile  # only a compressed file that is streamed needs one

    fd, name = tempfile.mkstemp(prefix="context-ls-", suffix=compression.plain_name(path).suffix)
    spilled = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(head)
            del head
            for chunk in parts:
                out.write(chunk)
        analysis = _analyze_file(
            spilled, dialect, options, findings_only, scan_secrets_when_streaming, early
        )
    except BaseException:
        spilled.unlink(missing_ok=True)
        raise
    if analysis.fetch is None:
        spilled.unlink(missing_ok=True)  # read whole: nothing is fetched later
    else:
        # The file goes with the last holder of the function that reads it.
        weakref.finalize(analysis.fetch, spilled.unlink, missing_ok=True)
    return analysis


def _analyze_whole(
    data: bytes,
    path: Path,
    dialect: DialectName | None,
    options: Options,
    findings_only: bool,
    early: bool,
    read_as: Identity | None = None,
) -> Analysis:
    """A source held whole; `findings_only` lets a big JSON document be read sparsely.
    `read_as`: the identity of the file it was read from, unchanged while it was read (a
    scan `secrets_early.begin_file_scan` began of that file is then taken over)."""
    if early:
        from context_ls.secrets_early import start_scan  # the CLI's `check` only

        with start_scan(data, read_as):  # collected by the analysis' `find_secrets(data)`
            return _analyze_whole(data, path, dialect, options, findings_only, False)
    dialect = dialect or settled_by_name(path.name, data)
    return _analyze(data, dialect, options, findings_only=findings_only)


def with_linked_session(options: Options, path: Path) -> Options:
    """Options that know the parent session of a sub-agent file (Claude Code's), when it
    sits where its agent puts it."""
    if options.linked_uuids is not None:
        return options
    chains = (d.chain for d in DIALECTS.values() if d.chain is not None)
    found = next(((c, p) for c in chains if (p := c.parent_session(path)) is not None), None)
    if found is None:
        return options
    chain, parent = found
    cache: list[frozenset[str] | None] = []

    def linked() -> frozenset[str] | None:
        if not cache:
            try:
                cache.append(chain.uuids_in(parent))
            except OSError:
                cache.append(None)  # unreadable: the links are not judged
        return cache[0]

    return replace(options, linked_uuids=linked)


def _streamed_secret_findings(history: History, matches: list[SecretMatch]) -> list[Finding]:
    """H010 for secrets found at file offsets, each under the record it lies in."""
    items = history.items
    found = secret_findings(history, b"", matches)
    for finding in found:
        finding.item = max(items.row_at(finding.span.start), 0)
    return found
