"""`normalize`, `trim` and `snapshot`: every write is snapshotted first and atomic, and
none races a running agent: a file another process holds open for writing (or whose Codex
thread lock is held), or that changed since it was read, is refused (exit 2, untouched)
unless `--force`."""

from __future__ import annotations

import difflib
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

import msgspec

from context_ls import compression
from context_ls.cli.check import check_dialect, require_dialect_records
from context_ls.cli.files import UsageError, expand_named
from context_ls.fileio import Replaced
from context_ls.history.api import (
    Options,
    analyze,
    normalize_edits,
    trim_edits,
    with_linked_session,
)
from context_ls.history.dialects import settled_by_name
from context_ls.history.model import TextEdit, apply_edits
from context_ls.writers import Fingerprint, read_with_fingerprint


def _open_store(args: Any) -> Any:
    from context_ls.context.snapshots import SnapshotStore

    return SnapshotStore.open(getattr(args, "state_dir", None))


def unified_diff(path: Path, before: bytes, after: bytes) -> str:
    old = before.decode("utf-8", "surrogateescape").splitlines(keepends=True)
    new = after.decode("utf-8", "surrogateescape").splitlines(keepends=True)
    lines = difflib.unified_diff(old, new, f"a/{path}", f"b/{path}")  # `patch -p1` applies it
    text = "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


class Refused(UsageError):
    """A write that would race another writer of the file: nothing was written (exit 2)."""


FORCE_HINT = "or pass --force to write anyway"


def _refuse_writers(path: Path, data: bytes) -> None:
    """Refuse when another process holds `path` open for writing or holds Codex's writer
    lock for it: a replaced file would take none of the lines it writes next."""
    from context_ls.writers import describe_writers, live_writers, stop_advice

    found = live_writers(path, data[:65536])
    if found:
        advice = stop_advice(found)
        raise Refused(
            f"{path}: {describe_writers(found)}; replacing the file now would lose every line"
            f" written after the repair. {advice[:1].upper()}{advice[1:]} first,"
            f" {FORCE_HINT}. Nothing was written."
        )


def _changed(path: Path, reason: str) -> Refused:
    return Refused(
        f"{path}: changed on disk since it was read ({reason}); nothing was written."
        " Run the command again once the agent is done writing it"
        + (f", {FORCE_HINT}." if "grew" in reason else ".")
    )


def replace_checked(
    args: Any, path: Path, before: bytes, fingerprint: Fingerprint, after: bytes, reason: str
) -> tuple[Any, Replaced]:
    """Snapshot `before`, then replace `path` with `after`, unless another process writes
    the file or it is no longer `before` (see `context_ls.writers`).

    Returns the snapshot record and what the write saw after the rename (bytes other
    processes appended meanwhile, kept at the end of the new file). With `--force`, live writers are not asked
    about, and lines appended since the read are kept after the new content; a file
    changed in any other way is still refused (the new content was made from other bytes).
    """
    from context_ls.fileio import FileChangedError, atomic_write

    force = bool(getattr(args, "force", False))
    change = fingerprint.changed(path, content=False)
    if change is not None and not (force and fingerprint.appended(path) is not None):
        raise _changed(path, change)
    if not force:
        _refuse_writers(path, before)  # one scan of the processes per write
    store = _open_store(args)
    try:
        record = store.save(path, before, reason)
        try:
            replaced = atomic_write(path, after, expected=fingerprint, keep_appended=force)
        except FileChangedError as error:
            raise _changed(path, str(error)) from error
        return record, replaced
    finally:
        store.close()


def _write(
    args: Any,
    path: Path,
    before: bytes,
    fingerprint: Fingerprint,
    after: bytes,
    reason: str,
    err: TextIO,
) -> None:
    record, replaced = replace_checked(args, path, before, fingerprint, after, reason)
    err.write(
        f"{path}: written (snapshot {record.id} keeps the previous content){_aftermath(replaced)}\n"
    )


def _aftermath(replaced: Replaced) -> str:
    """What the message adds about other writers seen during the rename."""
    from context_ls.writers import describe_writers

    text = ""
    if replaced.carried:
        text += f"; {replaced.carried} bytes appended meanwhile are kept at the end"
    if replaced.still_writing:
        text += (
            f"; {describe_writers(replaced.still_writing, 'the replaced file')}:"
            " what it writes from now on is lost"
        )
    return text


class Read:
    """A file as a repair reads it: `raw` the bytes on disk (what the fingerprint, the
    snapshot and the change check are about), `data` its content (decompressed when it is
    a `.jsonl.zst` rollout)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.raw, self.fingerprint = read_with_fingerprint(path)
        self.data = compression.decompress_if_needed(path, self.raw)
        self.compressed = self.data is not self.raw

    def stored(self, after: bytes) -> bytes:
        """What goes on disk for the content `after`: compressed again like the original."""
        if not self.compressed:
            return after
        refusal = compression.write_refusal(self.path)
        if refusal is not None:
            raise Refused(refusal)
        return compression.compress_like(self.path, after)


def _apply(
    args: Any, read: Read, edits: list[TextEdit], reason: str, out: TextIO, err: TextIO
) -> bool:
    """Show or write the edits for one file; True when anything would change."""
    if not edits:
        return False
    path, data = read.path, read.data
    after = apply_edits(data, edits)
    if after == data:
        return False
    mode = args.mode
    if mode == "write":
        _write(args, path, read.raw, read.fingerprint, read.stored(after), reason, err)
    elif mode == "diff":
        out.write(unified_diff(path, data, after))
    else:
        err.write(f"{path}: would be changed\n")
    return True


def run_normalize(args: Any, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    dialect = check_dialect(args.dialect)
    changed = refused = skipped = 0
    for path, named in expand_named(args.paths):
        read = Read(path)
        if dialect is not None and named:
            require_dialect_records(path, read.data, dialect)
        options = with_linked_session(Options(), path)
        analysis = analyze(read.data, dialect or settled_by_name(path.name, read.data), options)
        if not analysis.history.is_history:
            skipped += 1
            if named:
                err.write(f"{path}: not a history; skipped\n")
            continue
        left = [f.code for f in analysis.findings if not f.fixable and not f.pending]
        edits = normalize_edits(analysis)
        try:
            if _apply(args, read, edits, "normalize", out, err):
                changed += 1
        except Refused as error:  # this file only: the others are still repaired
            err.write(f"context-ls: error: {error}\n")
            refused += 1
            continue
        if left and args.mode != "diff":
            err.write(
                f"{path}: {len(left)} finding(s) need a person: {', '.join(sorted(set(left)))}\n"
            )
    if args.mode == "check":
        return 1 if changed else 0
    if args.mode == "write":
        err.write(
            f"{changed} file(s) normalized"
            + (f", {refused} refused" if refused else "")
            + (f", {skipped} skipped (not histories)" if skipped else "")
            + "\n"
        )
    return 2 if refused else 0


def run_trim(args: Any, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    if args.keep < 0:
        raise UsageError("--keep must be zero or more")
    path = Path(args.path)
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    read = Read(path)
    dialect = check_dialect(args.dialect)
    require_dialect_records(path, read.data, dialect)
    analysis = analyze(read.data, dialect or settled_by_name(path.name, read.data))
    if not analysis.history.is_history:
        raise UsageError(f"{path}: not an agent history (no dialect recognised); use --dialect")
    edits = trim_edits(analysis, args.keep)
    if not _apply(args, read, edits, f"trim to {args.keep}", out, err):
        err.write(f"{path}: {args.keep} or fewer conversation records already; nothing to trim\n")
    return 0


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat(timespec="seconds")


def run_snapshot(args: Any, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    from context_ls.context.errors import ContextError

    path = Path(args.path)
    store = _open_store(args)
    try:
        if args.snapshot_command == "list":
            records = store.list(path)
            rows = [
                {"id": r.id, "timestamp": r.timestamp, "reason": r.reason, "bytes": r.size}
                for r in records
            ]
            if args.format == "json":
                out.write(msgspec.json.encode(rows).decode() + "\n")
            elif not rows:
                out.write(f"no snapshots of {path}\n")
            else:
                for row in rows:
                    out.write(
                        f"{row['id']}  {_iso(row['timestamp'])}  {row['bytes']:>10} bytes  {row['reason']}\n"
                    )
            return 0
        try:
            snapshot = store.get(path, args.id)
        except ContextError as error:
            raise UsageError(str(error)) from error
        if not path.exists():
            raise UsageError(f"{path}: no such file (a snapshot restores only to its own path)")
    finally:
        store.close()
    current, fingerprint = read_with_fingerprint(path)
    record, replaced = replace_checked(
        args, path, current, fingerprint, snapshot.data, f"before restore of {snapshot.id}"
    )
    err.write(
        f"{path}: restored snapshot {snapshot.id} from {_iso(snapshot.timestamp)}"
        f" (previous content kept as {record.id}){_aftermath(replaced)}\n"
    )
    return 0
