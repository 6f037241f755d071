"""The process entry and dispatch. Heavy imports (pygls) happen only for `serve`. A plain
`check [--format F] PATH…` is read without the parser (`cli.parser`, imported for any
other command line), so a big document's secrets scan begins before it would load."""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Sequence
from types import SimpleNamespace
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    import argparse

    Args = argparse.Namespace | SimpleNamespace

FORMATS = ("text", "json", "github")  # what `check` writes
# Commands that write nothing but their output: the process may end without tearing the
# interpreter down (see `run`).
_QUICK_EXIT = frozenset({"check", "explain"})


def run() -> NoReturn:
    """The process entry (the `context-ls` script, `python -m context_ls`): `main`, then,
    after a command that writes nothing but its output, an exit that skips freeing every
    module and object one by one (~12 ms of a `check`). Exit handlers still run."""
    code = main(entry=True)
    quick = sys.argv[1:2] == ["check"]  # (as the parser says, without importing it)
    if not quick:
        from context_ls.cli.parser import command_in

        quick = command_in(sys.argv[1:]) in _QUICK_EXIT
    if quick:
        import atexit

        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except BrokenPipeError:
            code = code or 1  # the reader went away, as `main` answers it
        atexit._run_exitfuncs()
        os._exit(code)
    sys.exit(code)


def main(argv: Sequence[str] | None = None, *, entry: bool = False) -> int:
    """The command `argv` names; `entry`: this process was started for it (`run`)."""
    words = sys.argv[1:] if argv is None else argv
    plain = _plain_check(words)
    begun = plain is not None and _begin_secrets_scan(plain)
    if begun and entry:
        # A process that reads one big document and ends (without tearing down, see `run`):
        # what it makes lives until then, with few cycles (~800 objects for 28 MB), so the
        # collector's passes over every module and record it keeps are wasted (~8 ms), and
        # so is freeing what the lean read decoded (~6 ms).
        gc.disable()
        from context_ls.history import docscan

        docscan.KEPT = []
    from context_ls.cli.files import UsageError

    if plain is None:
        from context_ls.cli.parser import build_parser, command_in

        args: Args = build_parser(command_in(words)).parse_args(words)
    else:
        args = plain
    if args.state_dir:
        os.environ["CONTEXT_LS_STATE_DIR"] = args.state_dir
    try:
        return _dispatch(args, begun)
    except UsageError as error:
        sys.stderr.write(f"context-ls: error: {error}\n")
        return 2
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, as other command-line tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except OSError as error:
        sys.stderr.write(f"context-ls: error: {error.filename or ''}: {error.strerror or error}\n")
        return 2
    except KeyboardInterrupt:
        return 130


def _plain_check(words: Sequence[str]) -> SimpleNamespace | None:
    """The arguments of `check [--format F] PATH…`, nothing else on the line, as the parser
    gives them, read without it: the secrets scan of one big JSON document is begun before
    the modules that read it (every dialect) are imported, and argparse never is (~4 ms).
    None for any other command line (the parser reads it, and says what is wrong)."""
    if not words or words[0] != "check":
        return None
    paths: list[str] = []
    rest = iter(words[1:])
    found = "text"
    for word in rest:
        if word == "--format" or word.startswith("--format="):
            value = next(rest, None) if word == "--format" else word.partition("=")[2]
            if value not in FORMATS:
                return None
            found = value
        elif word.startswith("-"):
            return None  # any other option, or a prefix of one
        else:
            paths.append(word)
    if not paths:
        return None
    return SimpleNamespace(
        state_dir=None,
        command="check",
        paths=paths,
        format=found,
        dialect=None,
        select=None,
        ignore=None,
        verbose=False,
        jobs=None,
    )


def _begin_secrets_scan(args: Args) -> bool:
    """`check` of one named JSON document, every rule on: its secrets scan (as long as the
    reading itself) is begun in a forked child now, before the modules that read the file
    are even imported, so that it is done about when the reading is (`secrets_early`; the
    scan is taken over only if the file is still the version the child read). Whether it
    is such a check (`_begin_file_scan`)."""
    if len(args.paths) != 1 or args.select or args.ignore or args.dialect:
        return False
    return _begin_file_scan(args.paths[0])


def _begin_file_scan(path: str) -> bool:
    """Whether the file at `path` is a big JSON document, whose secrets scan is then begun
    (in a child when `secrets_early` finds it pays and may fork; else later, here)."""
    try:
        big = path.endswith(".json") and os.stat(path).st_size >= _EARLY_SCAN_BYTES
    except (OSError, ValueError):
        return False
    if big:
        from context_ls.secrets_early import begin_file_scan

        begin_file_scan(path)
    return big


_EARLY_SCAN_BYTES = 1 << 20  # smaller: not worth importing the scan (it decides itself)


def _dispatch(args: Args, begun: bool = False) -> int:
    command = args.command
    if command == "check":
        if not begun:
            _begin_secrets_scan(args)
        from context_ls.cli.check import run_check

        return run_check(args)
    if command == "normalize":
        from context_ls.cli.repair import run_normalize

        return run_normalize(args)
    if command == "trim":
        from context_ls.cli.repair import run_trim

        return run_trim(args)
    if command == "snapshot":
        from context_ls.cli.repair import run_snapshot

        return run_snapshot(args)
    if command == "sessions":
        from context_ls.cli.sessions import run_sessions

        return run_sessions(args)
    if command == "fix":
        from context_ls.cli.fix import run_fix

        return run_fix(args)
    if command == "hook":
        from context_ls.cli.hook import run_hook

        return run_hook()
    if command == "explain":
        from context_ls.cli.explain import run_explain

        return run_explain(args.code)
    if command == "context":
        from context_ls.cli.extras import run_context_show

        return run_context_show(args)
    if command == "report":
        from context_ls.cli.extras import run_report

        return run_report(args)
    from context_ls.lsp.main import serve

    return serve(tcp=args.tcp, host=args.host, port=args.port)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """`cli.parser.build_parser`, for callers that know this module."""
    from context_ls.cli import parser

    return parser.build_parser(command)
