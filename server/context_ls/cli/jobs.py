"""`check --jobs N`: files across processes, and a big fine-tuning data set cut into byte
ranges at line boundaries. A data set's lines are conversations of their own, so each
range is scanned alone (in a worker), keeping only the lines that may hold a finding;
its findings are placed (their messages and positions name lines) once the ranges
before it have told how many lines they hold: in this process when they are few, in a
worker when they are many.

Only data sets are cut: in every other dialect a call and its output may sit far apart
in the file, and pairing needs the whole of it (such files go to the workers whole).
Results come back in file order and are the same whatever N is: the cuts depend on the
file's size only, never on N, and a range's findings are placed by the same code
wherever they are placed."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, TextIO

from context_ls.cli.checked import (
    Checked,
    RangeChecked,
    Settings,
    dataset_checked,
    is_dataset,
    place_range,
)
from context_ls.cli.files import UsageError
from context_ls.cli.progress import Progress

if TYPE_CHECKING:
    from multiprocessing.pool import Pool

    from context_ls.history.dialects.finetune_scan import Part

PIECE = 16 << 20  # bytes of a data set per range (the progress bar moves a range at a time)
# Less work than this is checked in this process: starting workers would cost more.
MIN_PARALLEL_BYTES = 8 << 20
MIN_PARALLEL_FILES = 16
PLACE_HERE = 1000  # a range with fewer kept lines has its findings placed in this process


def resolve_jobs(jobs: int | None) -> int:
    """`--jobs`, else $CONTEXT_LS_JOBS, else every core this process may run on."""
    if jobs is None:
        env = os.environ.get("CONTEXT_LS_JOBS", "").strip()
        if env:
            try:
                jobs = int(env)
            except ValueError:
                raise UsageError(f"CONTEXT_LS_JOBS={env!r} is not a number") from None
    if jobs is None:
        affinity = getattr(os, "sched_getaffinity", None)
        return len(affinity(0)) if affinity is not None else os.cpu_count() or 1
    if jobs < 1:
        raise UsageError(f"--jobs {jobs}: give 1 or more")
    return jobs


# Tasks are named tuples: a frozen dataclass costs ~0.5 ms of start-up to define.
class _File(NamedTuple):
    path: Path
    named: bool
    settings: Settings
    size: int


class _Range(NamedTuple):
    path: Path
    start: int
    end: int
    size: int  # of the file
    settings: Settings


_Task = _File | _Range


def _run(task: _Task) -> Checked | Part:
    """One task, in whichever process runs it."""
    if isinstance(task, _File):
        from context_ls.cli.check import check_file  # (check.py imports this module)

        return check_file(task.path, task.named, task.settings)
    from context_ls.history.dialects.finetune_scan import scan_range  # a big data set only

    try:
        return scan_range(str(task.path), task.start, task.end, task.settings.secrets(task.size))
    except OSError as error:
        return Checked(task.path, False, error=f"cannot read: {error.strerror or error}")


def _place(task: _Range, part: Part, line: int) -> RangeChecked | Checked:
    try:
        return place_range(task.path, part, task.end, line, task.size, task.settings)
    except OSError as error:
        return Checked(task.path, False, error=f"cannot read: {error.strerror or error}")


def check_all(
    paths: list[tuple[Path, bool]], settings: Settings, jobs: int, err: TextIO
) -> list[Checked]:
    """Every file checked, in the order given."""
    plan = [_plan(path, named, settings) for path, named in paths]
    tasks = [task for item in plan if not isinstance(item, Checked) for task in item]
    total = sum(_size(task) for task in tasks)
    progress = Progress(len(paths), err, total)
    results: list[Checked] = []
    with _Workers(jobs, tasks, total) as workers:
        done = workers.outcomes()
        for (path, named), item in zip(paths, plan, strict=True):
            if isinstance(item, Checked):
                results.append(item)
                progress.step(str(path))
                continue
            placed: list[Callable[[], RangeChecked | Checked]] = []
            line = 0
            for task in item:
                outcome = next(done)
                progress.step(str(path), _size(task), file_done=isinstance(task, _File))
                if isinstance(task, _File):
                    assert isinstance(outcome, Checked)
                    results.append(outcome)
                elif isinstance(outcome, Checked):
                    placed.append(_ready(outcome))
                else:
                    placed.append(workers.place(task, outcome, line))
                    line += outcome.lines
            if isinstance(item[0], _Range):
                results.append(_dataset(path, named, [get() for get in placed]))
                progress.step(str(path))
    progress.done()
    return results


def _ready(value: RangeChecked | Checked) -> Callable[[], RangeChecked | Checked]:
    return lambda: value


def _dataset(path: Path, named: bool, ranges: list[RangeChecked | Checked]) -> Checked:
    failed = next((r for r in ranges if isinstance(r, Checked)), None)
    if failed is not None:
        return failed._replace(named=named)
    return dataset_checked(path, named, [r for r in ranges if isinstance(r, RangeChecked)])


def _plan(path: Path, named: bool, settings: Settings) -> Checked | list[_Task]:
    """A file's tasks: a big data set's ranges, else the whole file."""
    try:
        size = path.stat().st_size
        if size < 2 * PIECE or not is_dataset(path, settings.dialect):
            return [_File(path, named, settings, size)]
        if settings.dialect is not None:
            from context_ls.cli.check import forced_mismatch

            if forced_mismatch(path, settings.dialect) is not None:
                return [_File(path, named, settings, size)]  # `check_file` says why
        from context_ls.history.dialects.finetune_scan import cut  # a big data set only

        ranges = cut(str(path), size, -(-size // PIECE))
    except OSError as error:
        return Checked(path, named, error=f"cannot read: {error.strerror or error}")
    return [_Range(path, start, end, size, settings) for start, end in ranges]


def _size(task: _Task) -> int:
    return task.size if isinstance(task, _File) else task.end - task.start


class _Workers:
    """A pool of `jobs` processes when that pays, else this process: the tasks' results in
    order, and ranges' findings placed where there are many."""

    def __init__(self, jobs: int, tasks: list[_Task], total: int) -> None:
        self.tasks = tasks
        self.jobs = jobs
        small = total < MIN_PARALLEL_BYTES and len(tasks) < MIN_PARALLEL_FILES
        self.pool: Pool | None = None
        if jobs > 1 and len(tasks) > 1 and not small:
            # Imported here: a pool is rare, and multiprocessing costs ~10 ms of start-up.
            import multiprocessing

            # fork: the workers start with the modules already imported (no second start-up).
            methods = multiprocessing.get_all_start_methods()
            context = multiprocessing.get_context("fork" if "fork" in methods else None)
            self.pool = context.Pool(min(jobs, len(tasks)))

    def __enter__(self) -> _Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()

    def outcomes(self) -> Iterator[Checked | Part]:
        if self.pool is None:
            return map(_run, self.tasks)
        ranges = any(isinstance(t, _Range) for t in self.tasks)
        chunk = 1 if ranges else max(1, len(self.tasks) // (self.jobs * 8))
        return self.pool.imap(_run, self.tasks, chunksize=chunk)

    def place(self, task: _Range, part: Part, line: int) -> Callable[[], RangeChecked | Checked]:
        """The range's findings placed: later, by a worker, when there are many."""
        if self.pool is None or len(part.kept) + len(part.secrets) < PLACE_HERE:
            return _ready(_place(task, part, line))
        return self.pool.apply_async(_place, (task, part, line)).get
