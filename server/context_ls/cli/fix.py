"""`context-ls fix`: the one command for a session that will not resume. Check, snapshot,
normalize, check again, then say what changed and how to resume. It refuses while the
agent still writes the file: the lines it writes after the repair would be lost."""

from __future__ import annotations

import shlex
import sys
from collections import Counter
from pathlib import Path
from typing import Any, TextIO

from context_ls.agents import Session, resume_command
from context_ls.agents import survey as surveying
from context_ls.agents.layouts import kept_by_agent, session_of
from context_ls.agents.survey import find_sessions
from context_ls.cli.files import UsageError
from context_ls.cli.repair import Read, replace_checked
from context_ls.cli.sessions import agents_of, counts_text
from context_ls.history.api import (
    Options,
    analyze,
    apply_edits,
    fix_title,
    normalize_edits,
    with_linked_session,
)
from context_ls.history.dialects import settled_by_name


def run_fix(args: Any, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    path = target(args)
    if not path.is_file():
        raise UsageError(f"{path}: not a regular file")
    read = Read(path)
    options = with_linked_session(Options(), path)
    analysis = analyze(read.data, settled_by_name(path.name, read.data), options)
    session = session_of(path, analysis.dialect) if analysis.is_history else None
    if not analysis.is_history:
        raise UsageError(
            f"{path}: not a session context-ls can read (no records of a known agent); "
            "nothing was changed"
        )
    findings = analysis.findings
    resume = None
    if session is not None and kept_by_agent(session):
        resume = resume_command(session, surveying.here())
    if not findings:
        out.write(f"{path}: no problems found; nothing to fix.\n")
        _print_resume(out, resume)
        return 0
    out.write(f"{path}: {_problems(Counter(f.code for f in findings))}\n")
    for finding in findings:
        line = analysis.lines.position(finding.span.start).line + 1
        out.write(f"  line {line}: {finding.code} {finding.message}\n")
    blocking = [f for f in findings if f.severity == "error"]
    edits = normalize_edits(analysis, options)
    after = apply_edits(read.data, edits) if edits else read.data
    if after == read.data:
        if not blocking:
            out.write("None of these stops a resume; nothing to repair.\n")
            _print_resume(out, resume)
            return 0
        out.write("None of these can be repaired automatically; nothing was written.\n")
        _print_left(out, blocking, path)
        return 1
    # Refused while another process writes the file (names what to quit), unless --force.
    record, replaced = replace_checked(
        args, path, read.raw, read.fingerprint, read.stored(after), "fix"
    )
    again = analyze(after, analysis.dialect, options)
    fixed = Counter(f.code for f in findings) - Counter(f.code for f in again.findings)
    out.write(f"Repaired {counts_text(dict(fixed)) or 'nothing'} with {_edits(len(edits))}:\n")
    for finding in findings:
        if finding.fixable:
            line = analysis.lines.position(finding.span.start).line + 1
            out.write(f"  line {line}: {fix_title(analysis, finding, options)}\n")
    out.write(
        f"The previous content is snapshot {record.id}; undo with"
        f" `context-ls snapshot restore {shlex.quote(str(path))}`.\n"
    )
    if replaced.carried:
        out.write(f"{replaced.carried} bytes appended meanwhile are kept at the end.\n")
    left = [f for f in again.findings if f.severity == "error"]
    if left:
        _print_left(out, left, path)
        _print_resume(out, resume, after_left=True)
        return 1
    warnings = [f for f in again.findings if f.severity != "error"]
    if warnings:
        codes = counts_text(dict(Counter(f.code for f in warnings)))
        out.write(f"Checked again: only warnings left ({codes}); they do not stop a resume.\n")
    else:
        out.write("Checked again: no problems left.\n")
    _print_resume(out, resume)
    return 0


def target(args: Any) -> Path:
    """The file to repair: PATH, a session id, or the newest session of this project."""
    given: str | None = args.path
    if given is not None and args.latest:
        raise UsageError("give a PATH (or session id) or --latest, not both")
    agents = agents_of(args.agent)
    if args.latest:
        found = find_sessions(agents, surveying.here())
        if not found.sessions:
            where = ", ".join(str(p) for p in found.searched)
            raise UsageError(
                f"no sessions of {surveying.here()} in {where}; give a PATH"
                " (`context-ls sessions --all` lists every project's)"
            )
        return found.sessions[0].path
    if given is None:
        raise UsageError("give a session file, a session id, or --latest")
    path = Path(given)
    if path.exists() or "/" in given or given.endswith((".json", ".jsonl", ".zst")):
        if not path.exists():
            raise UsageError(f"{given}: no such file")
        return path
    return _by_id(given, agents)


def _by_id(sid: str, agents: tuple[str, ...]) -> Path:
    matches = [
        s for s in find_sessions(agents, None).sessions if (s.session_id or "").startswith(sid)
    ]
    exact = [s for s in matches if s.session_id == sid]
    chosen: list[Session] = exact or matches
    if not chosen:
        raise UsageError(f"{sid}: no such file, and no session has that id")
    if len({s.session_id for s in chosen}) > 1:
        raise UsageError(f"{sid}: more than one session id starts so; give more characters")
    return chosen[0].path


def _problems(counts: Counter[str]) -> str:
    n = sum(counts.values())
    return f"{n} problem{'s' if n != 1 else ''} ({counts_text(dict(counts))})"


def _edits(n: int) -> str:
    return f"{n} edit{'s' if n != 1 else ''}"


def _print_left(out: TextIO, findings: list[Any], path: Path) -> None:
    codes = counts_text(dict(Counter(f.code for f in findings)))
    out.write(
        f"Left for a person: {codes}; `context-ls explain CODE` says what each means,"
        f" `context-ls check {shlex.quote(str(path))}` where.\n"
    )


def _print_resume(out: TextIO, resume: str | None, after_left: bool = False) -> None:
    if resume is None:
        return
    prefix = "Resume (it may still fail on what is left)" if after_left else "Resume with"
    out.write(f"{prefix}: {resume}\n")
