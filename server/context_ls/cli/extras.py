"""Commands that lean on other parts of the package: the context store and the report."""

from __future__ import annotations

import sys
import webbrowser
from pathlib import Path
from typing import Any

import msgspec

from context_ls.cli.files import UsageError


def run_context_show(args: Any) -> int:
    from context_ls.context.cli import show_context

    state_dir = Path(args.state_dir) if args.state_dir else None
    sys.stdout.write(
        msgspec.json.format(msgspec.json.encode(show_context(state_dir)), indent=2).decode() + "\n"
    )
    return 0


def run_report(args: Any) -> int:
    from context_ls.cli.check import check_dialect
    from context_ls.fileio import atomic_write
    from context_ls.history.api import analyze_path
    from context_ls.report.html import render_report

    path = Path(args.path)
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    analysis = analyze_path(path, check_dialect(args.dialect))
    html = render_report(analysis, path.name)
    target = Path(args.output) if args.output else path.with_name(path.name + ".html")
    atomic_write(target, html.encode("utf-8"))
    sys.stderr.write(f"report written to {target}\n")
    if args.open:
        webbrowser.open(target.resolve().as_uri())
    return 0
