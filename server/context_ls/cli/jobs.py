"""`check --jobs N`: files across processes, and a big fine-tuning data set cut into byte
ranges at line boundaries. A data set's lines are conversations of their own, so each
range is judged alone, once it knows the line it starts at (its findings name lines):
with one job the ranges run in order and count their lines as they go; with more, the
newlines of every range are counted first (a fast pass), then the ranges run at once.

Only data sets are cut: in every other dialect a call and its output may sit far apart
in the file, and pairing needs the whole of it (such files go to the workers whole).
Results come back in file order and are the same whatever N is: the cuts depend on the
file's size only, never on N."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

from context_ls.cli.checked import (
    Checked,
    RangeChecked,
    Settings,
    check_range,
    dataset_checked,
    is_dataset,
)
from context_ls.cli.files import UsageError
from context_ls.cli.progress import Progress
from context_ls.history.detect import dialect_mismatch
from context_ls.history.dialects.finetune_scan import count_lines, cut

PIECE = 16 << 20  # bytes of a data set per range (the progress bar moves a range at a time)
# Less work than this is checked in this process: starting workers would cost more.
MIN_PARALLEL_BYTES = 8 << 20
MIN_PARALLEL_FILES = 16


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


@dataclass(frozen=True, slots=True)
class _File:
    path: Path
    named: bool
    settings: Settings
    size: int


@dataclass(frozen=True, slots=True)
class _Range:
    path: Path
    start: int
    end: int
    size: int  # of the file
    settings: Settings
    line: int = -1  # the file's line it starts at (0-based), once known


_Task = _File | _Range


def _run(task: _Task) -> Checked | RangeChecked:
    """One task, in whichever process runs it."""
    if isinstance(task, _File):
        from context_ls.cli.check import check_file  # (check.py imports this module)

        return check_file(task.path, task.named, task.settings)
    try:
        return check_range(task.path, task.start, task.end, task.line, task.size, task.settings)
    except OSError as error:
        return Checked(task.path, False, error=f"cannot read: {error.strerror or error}")


def _count(task: _Range) -> int:
    return count_lines(str(task.path), task.start, task.end)


def check_all(
    paths: list[tuple[Path, bool]], settings: Settings, jobs: int, err: TextIO
) -> list[Checked]:
    """Every file checked, in the order given."""
    plan = [_plan(path, named, settings) for path, named in paths]
    tasks = [task for item in plan if not isinstance(item, Checked) for task in item]
    total = sum(_size(task) for task in tasks)
    progress = Progress(len(paths), err, total)
    done = _outcomes(tasks, jobs, total)
    results: list[Checked] = []
    for (path, named), item in zip(paths, plan, strict=True):
        if isinstance(item, Checked):
            results.append(item)
            progress.step(str(path))
            continue
        ranges: list[RangeChecked] = []
        failed: Checked | None = None
        for task in item:
            outcome = next(done)
            progress.step(str(path), _size(task), file_done=isinstance(task, _File))
            if isinstance(task, _File):
                assert isinstance(outcome, Checked)
                results.append(outcome)
            elif isinstance(outcome, Checked):
                failed = failed or replace(outcome, named=named)
            else:
                ranges.append(outcome)
        if isinstance(item[0], _Range):
            results.append(failed or dataset_checked(path, named, ranges))
            progress.step(str(path))
    progress.done()
    return results


def _plan(path: Path, named: bool, settings: Settings) -> Checked | list[_Task]:
    """A file's tasks: a big data set's ranges, else the whole file."""
    try:
        size = path.stat().st_size
        if size < 2 * PIECE or not is_dataset(path, settings.dialect):
            return [_File(path, named, settings, size)]
        if settings.dialect is not None:
            from context_ls.cli.check import _record_values

            if dialect_mismatch(_record_values(path), settings.dialect) is not None:
                return [_File(path, named, settings, size)]  # `check_file` says why
        ranges = cut(str(path), size, -(-size // PIECE))
    except OSError as error:
        return Checked(path, named, error=f"cannot read: {error.strerror or error}")
    return [_Range(path, start, end, size, settings) for start, end in ranges]


def _size(task: _Task) -> int:
    return task.size if isinstance(task, _File) else task.end - task.start


def _outcomes(tasks: list[_Task], jobs: int, total: int) -> Iterator[Checked | RangeChecked]:
    """The tasks' results in order, from a pool of `jobs` processes when that pays."""
    small = total < MIN_PARALLEL_BYTES and len(tasks) < MIN_PARALLEL_FILES
    if jobs <= 1 or len(tasks) <= 1 or small:
        yield from _in_order(tasks)
        return
    # fork: the workers start with the modules already imported (no second start-up).
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    with context.Pool(min(jobs, len(tasks))) as pool:
        cuts = [task for task in tasks if isinstance(task, _Range)]
        starts = iter(_first_lines(cuts, pool.map(_count, cuts, chunksize=1)))
        ready = [replace(t, line=next(starts)) if isinstance(t, _Range) else t for t in tasks]
        chunk = 1 if cuts else max(1, len(tasks) // (jobs * 8))
        yield from pool.imap(_run, ready, chunksize=chunk)


def _first_lines(cuts: list[_Range], counts: list[int]) -> Iterator[int]:
    """The line each range starts at: the lines of the ranges before it in its file (a
    file's ranges come together, the first at byte 0)."""
    line = 0
    for task, count in zip(cuts, counts, strict=True):
        line = line if task.start else 0
        yield line
        line += count


def _in_order(tasks: list[_Task]) -> Iterator[Checked | RangeChecked]:
    """One after the other, each range told the line the ranges before it ended at."""
    line = 0
    for task in tasks:
        if isinstance(task, _Range):
            line = line if task.start else 0
            task = replace(task, line=line)
        outcome = _run(task)
        if isinstance(outcome, RangeChecked):
            line += outcome.lines
        yield outcome
