"""`normalize`, `trim` and `snapshot`: every write is snapshotted first and atomic."""

from __future__ import annotations

import difflib
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

import msgspec

from context_ls.cli.check import check_dialect
from context_ls.cli.files import UsageError, expand
from context_ls.history.api import analyze, normalize_edits, trim_edits
from context_ls.history.model import TextEdit, apply_edits


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


def _write(args: Any, path: Path, before: bytes, after: bytes, reason: str, err: TextIO) -> None:
    from context_ls.context.snapshots import snapshot_then_write

    store = _open_store(args)
    try:
        if path.read_bytes() != before:
            raise UsageError(
                f"{path}: changed on disk while it was being repaired; nothing written"
            )
        record = snapshot_then_write(store, path, after, reason)
    finally:
        store.close()
    err.write(f"{path}: written (snapshot {record.id} keeps the previous content)\n")


def _apply(
    args: Any, path: Path, data: bytes, edits: list[TextEdit], reason: str, out: TextIO, err: TextIO
) -> bool:
    """Show or write the edits for one file; True when anything would change."""
    if not edits:
        return False
    after = apply_edits(data, edits)
    if after == data:
        return False
    mode = args.mode
    if mode == "write":
        _write(args, path, data, after, reason, err)
    elif mode == "diff":
        out.write(unified_diff(path, data, after))
    else:
        err.write(f"{path}: would be changed\n")
    return True


def run_normalize(args: Any, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    dialect = check_dialect(args.dialect)
    changed = 0
    for path in expand(args.paths):
        data = path.read_bytes()
        analysis = analyze(data, dialect)
        if not analysis.history.is_history:
            continue
        left = [f.code for f in analysis.findings if not f.fixable and not f.pending]
        if _apply(args, path, data, normalize_edits(analysis), "normalize", out, err):
            changed += 1
        if left and args.mode != "diff":
            err.write(
                f"{path}: {len(left)} finding(s) need a person: {', '.join(sorted(set(left)))}\n"
            )
    if args.mode == "check":
        return 1 if changed else 0
    if args.mode == "write":
        err.write(f"{changed} file(s) normalized\n")
    return 0


def run_trim(args: Any, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    if args.keep < 0:
        raise UsageError("--keep must be zero or more")
    path = Path(args.path)
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    data = path.read_bytes()
    analysis = analyze(data, check_dialect(args.dialect))
    if not analysis.history.is_history:
        raise UsageError(f"{path}: not an agent history (no dialect recognised); use --dialect")
    if not _apply(
        args, path, data, trim_edits(analysis, args.keep), f"trim to {args.keep}", out, err
    ):
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
        from context_ls.context.snapshots import snapshot_then_write

        record = snapshot_then_write(store, path, snapshot.data, f"before restore of {snapshot.id}")
        err.write(
            f"{path}: restored snapshot {snapshot.id} from {_iso(snapshot.timestamp)} (previous content kept as {record.id})\n"
        )
        return 0
    finally:
        store.close()
