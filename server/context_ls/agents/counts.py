"""A session's records and findings per code, as `check` counts them, fast enough for a
first listing of thousands of files.

Most of a full read goes into records no finding is about. A Codex rollout is therefore
read with the lean scan `check` uses on big rollouts (`fastscan.rollout_in_memory`: only
the records whose calls are not paired once and in order are kept, and validating them
gives the full read's findings); other files are read whole, through `history.api`, as
`check` reads them. Files `check` streams (16 MB and up) are analysed as `check` does.
The files are spread over one process per core when there are many, handed to them a
folder at a time as the listing finds them (`Analyser`)."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from context_ls import compression
from context_ls.agents import Session

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from context_ls.history.findings import Finding

# (dialect, records, findings per code, why the file cannot be read)
Analysed = tuple[str | None, int | None, "dict[str, int] | None", str | None]

POOL_FROM = 24  # files to analyse before the work is spread over processes


def analyse(session: Session) -> Analysed:
    """(dialect, records, findings per code, why it cannot be read) of one file, as `check`
    sees it. No dialect: not a history."""
    try:
        dialect, records, codes = _counted(session)
    except OSError as error:
        return None, None, None, f"cannot read ({error.strerror or error})"
    if dialect is None:
        return None, None, None, None
    return dialect, records, dict(sorted(Counter(codes).items())), None


def _counted(session: Session) -> tuple[str | None, int, list[str]]:
    from context_ls.history import api
    from context_ls.history.dialects import settled_by_name
    from context_ls.history.fastscan import rollout_in_memory

    options = api.with_linked_session(api.Options(), session.path)
    data = _content(session.path)
    if data is None:  # big: streamed, as `check` streams it
        analysis = api.analyze_path(session.path, None, options, findings_only=True)
        return analysis.dialect, analysis.history.record_count, _codes(analysis.findings)
    # What the name settles where content cannot (a one-line data set), as `check` does.
    settled = settled_by_name(session.path.name, data)
    history = rollout_in_memory(data) if session.agent == "codex" and settled is None else None
    if history is not None:
        findings = api.find(data, history, options, None)
        return history.dialect, history.record_count, _codes(findings)
    analysis = api.analyze(data, settled, options, findings_only=True)
    return analysis.dialect, analysis.history.record_count, _codes(analysis.findings)


def _codes(findings: Iterable[Finding]) -> list[str]:
    return [finding.code for finding in findings]


def _content(path: Path) -> bytes | None:
    """The file's content (decompressed when it is zstd), or None when it is as big as
    the content `check` streams rather than reads whole."""
    from context_ls.history.stream import STREAM_THRESHOLD as WHOLE_BELOW

    with path.open("rb") as handle:
        magic = handle.read(4)
        if not compression.is_zstd(magic):
            if os.fstat(handle.fileno()).st_size >= WHOLE_BELOW:
                return None
            return magic + handle.read()
    content = bytearray()
    for chunk in compression.chunks(path):
        content += chunk
        if len(content) >= WHOLE_BELOW:
            return None
    return bytes(content)


def _cores() -> int:
    """The cores this process may run on (a container may allow fewer than the machine has)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on every system
        return os.cpu_count() or 1


class Steps(Protocol):
    """A progress display: `step` after each file, `done` at the end."""

    def step(self, label: str) -> None: ...

    def done(self) -> None: ...


def analyse_all(
    sessions: list[Session],
    progress: Callable[[int], Steps] | None = None,
    spread: bool = True,
    meanwhile: Callable[[], None] | None = None,
) -> list[Analysed]:
    """`analyse` for each session; over one process per core when there are many (a first
    listing of a big home), as the engine is bound by one core's speed. `spread=False`:
    in this thread only (the language server, whose threads a fork would copy).
    `meanwhile`: other work of this process, done while the others analyse."""
    with Analyser(spread) as analyser:
        analyser.add(sessions)
        return analyser.results(progress, meanwhile)


class Analyser:
    """`analyse_all` for sessions handed in a batch at a time as they are found (one
    agent's folders after another): once there are enough of them, the other processes
    analyse the first batches while this one still looks for the rest. `results` gives
    the analyses of all of them, in the order they were handed in."""

    def __init__(self, spread: bool = True) -> None:
        self.workers = min(_cores(), 8)
        self.spread = spread and self.workers >= 2
        self.sessions: list[Session] = []
        self.parts: list[Iterable[Analysed]] = []  # results of sessions[:handed], in order
        self.handed = 0
        self.pool: Executor | None = None

    def __enter__(self) -> Analyser:
        return self

    def __exit__(self, *_: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
            self.pool = None

    def add(self, sessions: list[Session]) -> None:
        self.sessions += sessions
        if self.pool is None and self.spread and len(self.sessions) >= POOL_FROM:
            self._start()
        if self.pool is not None and self.handed < len(self.sessions):
            self.parts.append(self.pool.map(analyse, self.sessions[self.handed :], chunksize=8))
            self.handed = len(self.sessions)

    def _start(self) -> None:
        from concurrent.futures import ProcessPoolExecutor

        # The first file is read here: the engine's modules are imported and its patterns
        # compiled once, before the fork, rather than once in each process.
        self.parts.append([analyse(self.sessions[0])])
        self.handed = 1
        self.spread = False  # one attempt
        try:
            self.pool = ProcessPoolExecutor(self.workers)
        except OSError:  # no processes to be had here: one at a time
            self.pool = None

    def results(
        self,
        progress: Callable[[int], Steps] | None = None,
        meanwhile: Callable[[], None] | None = None,
    ) -> list[Analysed]:
        if self.handed < len(self.sessions):  # analysed here, one at a time
            self.parts.append(map(analyse, self.sessions[self.handed :]))
            self.handed = len(self.sessions)
        steps = progress(len(self.sessions)) if progress is not None and self.sessions else None
        try:
            if meanwhile is not None:
                meanwhile()  # the pool has every file: its processes work while this one does
            done = []
            for session, result in zip(self.sessions, chain.from_iterable(self.parts), strict=True):
                if steps is not None:
                    steps.step(str(session.path))
                done.append(result)
            return done
        finally:
            if steps is not None:
                steps.done()
