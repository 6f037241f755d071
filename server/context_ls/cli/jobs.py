"""`check --jobs N`: files across processes, and a big fine-tuning data set cut into byte
ranges at line boundaries (its lines are conversations of their own, so each range is
judged alone; the parent puts the ranges' kept lines together and validates them once).

Only data sets are cut: in every other dialect a call and its output may sit far apart
in the file, and pairing needs the whole of it. Results come back in file order, and are
the same whatever N is: the cuts depend on the file's size only, never on N."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from context_ls.cli.checked import Checked, Settings, dataset_checked, is_dataset
from context_ls.cli.files import UsageError
from context_ls.cli.progress import Progress
from context_ls.history.detect import dialect_mismatch
from context_ls.history.dialects.finetune_scan import Part, cut, scan_range

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
    secrets: bool


_Task = _File | _Range


def _run(task: _Task) -> Checked | Part:
    """One task, in whichever process runs it."""
    if isinstance(task, _File):
        from context_ls.cli.check import check_file  # (check.py imports this module)

        return check_file(task.path, task.named, task.settings)
    return scan_range(str(task.path), task.start, task.end, task.secrets)


def check_all(
    paths: list[tuple[Path, bool]], settings: Settings, jobs: int, err: TextIO
) -> list[Checked]:
    """Every file checked, in the order given."""
    plan = [_plan(path, named, settings) for path, named in paths]
    tasks = [task for item in plan if not isinstance(item, Checked) for task in item]
    sizes = [_size(task) for task in tasks]
    progress = Progress(len(paths), err, sum(sizes))
    done = iter(_outcomes(tasks, jobs, sum(sizes)))
    results: list[Checked] = []
    for (path, named), item in zip(paths, plan, strict=True):
        if isinstance(item, Checked):
            results.append(item)
            progress.step(str(path))
            continue
        parts: list[Part] = []
        for task in item:
            outcome = next(done)
            progress.step(str(path), _size(task), file_done=isinstance(task, _File))
            if isinstance(outcome, Checked):
                results.append(outcome)
            else:
                parts.append(outcome)
        if parts:
            size = sum(_size(task) for task in item)
            results.append(dataset_checked(path, named, settings, size, parts))
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
    secrets = settings.secrets(size)
    return [_Range(path, start, end, secrets) for start, end in ranges]


def _size(task: _Task) -> int:
    return task.size if isinstance(task, _File) else task.end - task.start


def _outcomes(tasks: list[_Task], jobs: int, total: int) -> Iterator[Checked | Part]:
    """The tasks' results in order, from a pool of `jobs` processes when that pays."""
    small = total < MIN_PARALLEL_BYTES and len(tasks) < MIN_PARALLEL_FILES
    if jobs <= 1 or len(tasks) <= 1 or small:
        yield from map(_run, tasks)
        return
    # fork: the workers start with the modules already imported (no second start-up).
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    chunk = 1 if any(isinstance(t, _Range) for t in tasks) else max(1, len(tasks) // (jobs * 8))
    with context.Pool(min(jobs, len(tasks))) as pool:
        yield from pool.imap(_run, tasks, chunksize=chunk)
