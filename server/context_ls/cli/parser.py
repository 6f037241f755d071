"""The command line's parser (argparse): imported once `main` has begun what may begin
before it (a big document's secrets scan), as it costs ~6 ms of start-up."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from context_ls import __version__
from context_ls.cli.main import FORMATS

EPILOG = "Exit codes: 0 clean, 1 findings (or changes with --check), 2 usage or I/O error."


class _Formatter(argparse.HelpFormatter):
    """argparse's own, but the terminal's width is asked for only when help is formatted:
    argparse makes a formatter at every `add_argument`, and its way of asking (importing
    shutil and the archive modules it brings) is ~2 ms of every start."""

    def __init__(
        self,
        prog: str,
        indent_increment: int = 2,
        max_help_position: int = 24,
        width: int | None = None,
    ) -> None:
        super().__init__(prog, indent_increment, max_help_position, 80 if width is None else width)
        if width is None:  # both are set on first use, as argparse sets them (`__getattr__`)
            self._lazy_max_help_position = max_help_position
            del self._width, self._max_help_position

    def __getattr__(self, name: str) -> Any:
        if name not in ("_width", "_max_help_position"):
            raise AttributeError(name)
        import shutil

        width = shutil.get_terminal_size().columns - 2
        self._width = width
        self._max_help_position = min(
            self._lazy_max_help_position, max(width - 20, self._indent_increment * 2)
        )
        return getattr(self, name)


class _Parser(argparse.ArgumentParser):
    """Usage errors in one line, like every other error of the tool (exit 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; given `command`, only that subcommand: once the command is
    known nothing shows the others (a usage error prints no usage), and each parser costs
    ~0.4 ms of start-up, besides what their options import (the agents' names)."""
    parser = _Parser(
        prog="context-ls",
        formatter_class=_Formatter,
        description="Find and repair broken AI-agent session histories.",
        epilog=EPILOG,
    )
    parser.add_argument("--version", action="version", version=f"context-ls {__version__}")
    parser.add_argument(
        "--state-dir",
        help="where snapshots are kept (default: $CONTEXT_LS_STATE_DIR or the user state folder)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name, (add_arguments, text, epilog) in _COMMANDS.items():
        if command is None or command == name:
            add_arguments(
                sub.add_parser(name, help=text, epilog=epilog, formatter_class=_Formatter)
            )
    return parser


def _check(check: argparse.ArgumentParser) -> None:
    check.add_argument("paths", nargs="+", metavar="PATH")
    check.add_argument("--format", choices=FORMATS, default="text")
    _dialect(check)
    check.add_argument(
        "--select", help="only these rules (codes, prefixes or names, comma-separated)"
    )
    check.add_argument("--ignore", help="skip these rules")
    check.add_argument(
        "-v", "--verbose", action="store_true", help="also list skipped files found in folders"
    )
    check.add_argument(
        "-j",
        "--jobs",
        type=int,
        metavar="N",
        help="processes to use (default: every core, or $CONTEXT_LS_JOBS); a big fine-tuning "
        "data set is cut into line-aligned ranges",
    )


def _normalize(normalize: argparse.ArgumentParser) -> None:
    normalize.add_argument("paths", nargs="+", metavar="PATH")
    _mode(normalize, check=True)
    _dialect(normalize)


def _trim(trim: argparse.ArgumentParser) -> None:
    trim.add_argument("path", metavar="PATH")
    trim.add_argument("--keep", type=int, required=True, metavar="N")
    _mode(trim, check=False)
    _dialect(trim)


def _snapshot(snapshot: argparse.ArgumentParser) -> None:
    snap_sub = snapshot.add_subparsers(
        dest="snapshot_command", metavar="ACTION", parser_class=_Parser
    )
    snap_sub.required = True
    snap_list = snap_sub.add_parser(
        "list", help="snapshots of a file, newest first", formatter_class=_Formatter
    )
    snap_list.add_argument("path", metavar="PATH")
    snap_list.add_argument("--format", choices=("text", "json"), default="text")
    snap_restore = snap_sub.add_parser(
        "restore",
        help="put a snapshot back (the current content is snapshotted first)",
        formatter_class=_Formatter,
    )
    snap_restore.add_argument("path", metavar="PATH")
    snap_restore.add_argument("--id", help="snapshot id (default: the newest)")
    _force(snap_restore)


def _sessions(sessions: argparse.ArgumentParser) -> None:
    _agent(sessions)
    sessions.add_argument("--all", action="store_true", help="every project's sessions")
    sessions.add_argument("--format", choices=("text", "json"), default="text")


def _fix(fix: argparse.ArgumentParser) -> None:
    fix.add_argument("path", nargs="?", metavar="PATH", help="a session file or session id")
    fix.add_argument("--latest", action="store_true", help="the newest session of this project")
    _agent(fix)
    _force(fix)


def _hook(_parser: argparse.ArgumentParser) -> None:
    """It takes no arguments: it reads the hook's JSON on stdin."""


def _explain(explain: argparse.ArgumentParser) -> None:
    explain.add_argument("code", nargs="?", help="H001 … or a rule name; all rules when omitted")


def _context(context: argparse.ArgumentParser) -> None:
    context_sub = context.add_subparsers(
        dest="context_command", metavar="ACTION", parser_class=_Parser
    )
    context_sub.required = True
    context_sub.add_parser(
        "show", help="print the three contexts as JSON", formatter_class=_Formatter
    )


def _report(report: argparse.ArgumentParser) -> None:
    report.add_argument("path", metavar="PATH")
    report.add_argument("--output", "-o", help="HTML file to write (default: PATH.html)")
    report.add_argument("--open", action="store_true", help="open it in the browser")
    _dialect(report)


def _serve(serve: argparse.ArgumentParser) -> None:
    serve.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (the default)")
    serve.add_argument("--tcp", action="store_true", help="listen on a TCP port instead")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=2087)


_Adder = Callable[[argparse.ArgumentParser], None]
_FIX_EPILOG = (
    "Exit codes: 0 repaired or clean, 1 problems left that need a person,"
    " 2 refused (the agent still writes it) or error."
)

# Every subcommand, in the order `--help` lists them: what adds its arguments, its help
# and its epilog.
_COMMANDS: dict[str, tuple[_Adder, str, str | None]] = {
    "check": (_check, "report findings", EPILOG),
    "normalize": (_normalize, "repair histories (diff by default)", EPILOG),
    "trim": (_trim, "keep the last N conversation records, never splitting a pair", None),
    "snapshot": (_snapshot, "list or restore the snapshots taken before writes", None),
    "sessions": (
        _sessions,
        "the agents' sessions of this project: problems, writers, resume",
        None,
    ),
    "fix": (
        _fix,
        "check, snapshot, repair and check again one session; print how to resume it",
        _FIX_EPILOG,
    ),
    "hook": (
        _hook,
        "for Claude Code (and Codex) hooks: reads the hook's JSON on stdin;"
        " never blocks or fails the agent",
        None,
    ),
    "explain": (_explain, "a rule's documentation", None),
    "context": (_context, "the workspace, user and tool contexts kept in the store", None),
    "report": (_report, "a self-contained HTML timeline of a history", None),
    "serve": (_serve, "run the language server", None),
}


def command_in(argv: Sequence[str]) -> str | None:
    """The subcommand `argv` names, when that is plain (only `--state-dir` may come before
    it); None when unsure, and then every subcommand is built."""
    words = iter(argv)
    for word in words:
        if word.startswith("--") and len(word) > 2 and "--state-dir".startswith(word):
            next(words, None)  # its value (argparse takes any unambiguous prefix)
        elif not word.startswith("--state-dir="):
            return word if word in _COMMANDS else None
    return None


def _dialect(parser: argparse.ArgumentParser) -> None:
    from context_ls.history.dialects import NAMES

    parser.add_argument("--dialect", choices=NAMES, help="skip detection and read as this dialect")


def _agent(parser: argparse.ArgumentParser) -> None:
    from context_ls.agents import AGENTS

    parser.add_argument("--agent", choices=AGENTS, help="only this agent's sessions")


def _force(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--force",
        action="store_true",
        help="write even while another process (a running agent) has the file open for"
        " writing; lines it appends later go to the replaced file and are lost",
    )


def _mode(parser: argparse.ArgumentParser, check: bool) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--diff",
        dest="mode",
        action="store_const",
        const="diff",
        help="print a unified diff (default)",
    )
    group.add_argument(
        "--write",
        dest="mode",
        action="store_const",
        const="write",
        help="snapshot, then write atomically",
    )
    if check:
        group.add_argument(
            "--check",
            dest="mode",
            action="store_const",
            const="check",
            help="exit 1 if anything would change",
        )
    parser.set_defaults(mode="diff")
    _force(parser)
