"""`context-ls check` on a fine-tuning data set against its speed floor (../shared/bench):
whole-process times, medians of alternating runs, `--jobs 1` and the default (every core);
peak memory of the whole process tree (the parent and its workers, summed). Prints
figures and ratios.

Goals (issue 16): `--jobs 1` at most 2x the floor, the default at most 1.2x on a 2-core
machine, peak memory under 300 MB. The floor and the generator ship in ../shared/bench;
without them (a plain clone) there is nothing to measure against, and the output says so.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import DATA, SHARED, compile_sources

CONVERSATIONS = 100_000  # ~266 MB
CLI = [sys.executable, "-m", "context_ls", "check", "--format", "json"]


def dataset(conversations: int) -> Path:
    path = DATA / f"dataset-{conversations}.jsonl"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        print(f"generating {path.name} ({conversations} conversations) …", flush=True)
        generator = SHARED / "gen_dataset.py"
        subprocess.run([sys.executable, str(generator), str(conversations), str(path)], check=True)
    return path


def _env(jobs: int | None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("CONTEXT_LS_JOBS", None)
    if jobs is not None:
        env["CONTEXT_LS_JOBS"] = str(jobs)  # what `--jobs` sets, without depending on it
    return env


def _timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall time, CPU time of the process and its workers, and what it printed. The CPU
    time tells the work apart from the wait on a machine others are using too."""
    before = os.times()
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    elapsed = time.perf_counter() - start
    after = os.times()
    if done.returncode not in (0, 1):
        sys.exit(f"{cmd} failed ({done.returncode}): {done.stderr.strip()}")
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return elapsed, cpu, done.stdout


def _tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and all its descendants, summed (shared pages count
    once per process: an upper bound)."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        total += next((int(ln.split()[1]) for ln in status.splitlines() if ln[:6] == "VmRSS:"), 0)
        todo.extend(int(c) for c in children)
    return total


def peak_tree_rss_mb(cmd: list[str], env: dict[str, str]) -> float | None:
    """The highest sum seen, sampled every 5 ms (None where /proc cannot tell)."""
    if not Path("/proc/self/task").is_dir():
        return None
    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    peak = 0
    while process.poll() is None:
        peak = max(peak, _tree_rss_kb(process.pid))
        time.sleep(0.005)
    return peak / 1024


def bench(runs: int) -> None:
    if not (SHARED / "floor_dataset.py").exists():
        print(f"no speed floor: {SHARED / 'floor_dataset.py'} is not there (it ships in ../shared)")
        return
    path = dataset(CONVERSATIONS)
    floor_cmd = [sys.executable, str(SHARED / "floor_dataset.py"), str(path)]
    check_cmd = [*CLI, str(path)]
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    variants = {"--jobs 1": _env(1), f"default ({cores} cores)": _env(None)}
    times: dict[str, list[float]] = {"floor": [], **{name: [] for name in variants}}
    cpu: dict[str, list[float]] = {name: [] for name in times}
    outputs: dict[str, str] = {}
    for _ in range(runs):
        elapsed, used, floor_out = _timed(floor_cmd, _env(None))
        times["floor"].append(elapsed)
        cpu["floor"].append(used)
        for name, env in variants.items():
            elapsed, used, outputs[name] = _timed(check_cmd, env)
            times[name].append(elapsed)
            cpu[name].append(used)
    floor = statistics.median(times["floor"])
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"file: {path.name}, {path.stat().st_size / 1e6:.0f} MB, {runs} alternating runs")
    print(f"load average before the runs ended: {load:.1f} on {cores} cores")
    if load >= (cores or 1):
        print(
            "  (a busy machine: other work holds the cores, and with Linux's autogroup the"
            " processes of one session share one fair share, so more jobs cannot run faster"
            " here; compare the CPU figures, or run again on an idle machine)"
        )
    print(f"floor_dataset: median {floor:.3f} s (cpu {statistics.median(cpu['floor']):.3f} s)")
    goals = {"--jobs 1": 2.0}
    for name in variants:
        median = statistics.median(times[name])
        goal = goals.get(name, 1.2)
        print(
            f"check {name}: median {median:.3f} s   ratio {median / floor:.2f}x (goal <= {goal}x)"
            f"   cpu {statistics.median(cpu[name]):.3f} s"
        )
    reports = {name: json.loads(out) for name, out in outputs.items()}
    first = next(iter(reports.values()))
    same = all(r == first for r in reports.values())
    h001 = first["summary"]["by_code"].get("H001")
    print(
        f"findings: H001 {h001} / floor {floor_out.strip()}; "
        f"{'identical' if same else 'DIFFERENT'} across --jobs"
    )
    for name, env in variants.items():
        rss = peak_tree_rss_mb(check_cmd, env)
        shown = "not measurable here (no /proc)" if rss is None else f"{rss:.0f} MB"
        print(f"check {name}: peak RSS of the process tree {shown} (goal < 300 MB)")


if __name__ == "__main__":
    os.environ.setdefault("CONTEXT_LS_STATE_DIR", str(DATA / "state"))
    compile_sources()
    bench(int(os.environ.get("BENCH_RUNS", "5")))
