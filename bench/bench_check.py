"""`context-ls check` against the speed floor (../shared/bench), whole-process, medians of
alternating runs; plus normalize's in-memory scaling. Prints figures and ratios.

The floor comparison needs ../shared/bench/floor_skim.py beside the repository. Without it
(a plain clone) `check` is timed alone, on a rollout from the project's own generator, and
the output says so."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time

from common import DATA, SHARED, chat_document, compile_sources, rollout

CLI = [sys.executable, "-m", "context_ls"]


def _run(cmd: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    return time.perf_counter() - start, done.stdout


def _alternate(
    floor_cmd: list[str], check_cmd: list[str], runs: int
) -> tuple[float, float, str, str]:
    """Medians of the floor and `check`, run in turns; the output of each."""
    floor_times, check_times = [], []
    floor_out = check_out = ""
    for _ in range(runs):
        elapsed, floor_out = _run(floor_cmd)
        floor_times.append(elapsed)
        elapsed, check_out = _run(check_cmd)
        check_times.append(elapsed)
    return statistics.median(floor_times), statistics.median(check_times), floor_out, check_out


def _peak_rss_kb(cmd: list[str]) -> int:
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%M", *cmd], capture_output=True, text=True, check=False
    )
    return int(done.stderr.strip().splitlines()[-1])


def bench_check_alone(runs: int) -> None:
    """Without the floor: `check`'s own figures, nothing to compare them with."""
    print(f"no speed floor: {SHARED / 'floor_skim.py'} is not there (it ships in ../shared)")
    path = rollout(60000)
    check_cmd = [*CLI, "check", "--format", "json", str(path)]
    times, out = [], ""
    for _ in range(runs):
        elapsed, out = _run(check_cmd)
        times.append(elapsed)
    print(f"file: {path.name}, {path.stat().st_size / 1e6:.0f} MB")
    print(f"check --format json: median {statistics.median(times):.3f} s (no floor to compare)")
    print(f"findings: {json.loads(out)['summary']['by_code']}")
    rss = _peak_rss_kb(check_cmd)
    print(f"check peak RSS: {rss / 1024:.0f} MB")


def bench_check(runs: int) -> None:
    if not (SHARED / "floor_skim.py").exists():
        bench_check_alone(runs)
        return
    path = rollout(60000)
    floor_cmd = [sys.executable, str(SHARED / "floor_skim.py"), str(path)]
    check_cmd = [*CLI, "check", "--format", "json", str(path)]
    floor, check, floor_out, check_out = _alternate(floor_cmd, check_cmd, runs)
    dangling, orphans = (int(x) for x in floor_out.split())
    summary = json.loads(check_out)["summary"]["by_code"]
    size_mb = path.stat().st_size / 1e6
    print(f"file: {path.name}, {size_mb:.0f} MB")
    print(
        f"floor_skim: median {floor:.3f} s   check --format json: median {check:.3f} s   ratio {check / floor:.2f}x (goal <= 1.5x)"
    )
    same = summary.get("H001") == dangling and summary.get("H002") == orphans
    print(
        f"findings: H001 {summary.get('H001')} / floor {dangling}, H002 {summary.get('H002')} / floor {orphans}: {'same' if same else 'DIFFERENT'}"
    )
    rss = _peak_rss_kb(check_cmd)
    print(
        f"check peak RSS: {rss / 1024:.0f} MB ({rss * 1024 / path.stat().st_size:.2f}x the file size)"
    )


def bench_normalize() -> None:
    from context_ls.history.api import analyze, normalize_edits

    def history(turns: int) -> bytes:
        lines = []
        for i in range(turns):
            cid = f"call_{i:08d}"
            lines.append(
                {"type": "function_call", "name": "shell", "arguments": "{}", "call_id": cid}
            )
            if i % 7:
                lines.append({"type": "function_call_output", "call_id": cid, "output": "ok"})
            if i % 11 == 0:
                lines.append(
                    {"type": "function_call_output", "call_id": f"gone_{i}", "output": "late"}
                )
        return ("\n".join(json.dumps(x, separators=(",", ":")) for x in lines) + "\n").encode()

    results = {}
    for items in (1_000, 10_000):
        data = history(int(items / 2.1))
        analysis = analyze(data)
        count = len(analysis.history.items)
        timings = []
        for _ in range(15):
            start = time.perf_counter()
            normalize_edits(analysis)
            timings.append(time.perf_counter() - start)
        results[items] = statistics.median(timings)
        print(f"normalize (plan + edits) on {count} items: median {results[items] * 1000:.2f} ms")
    print(f"10x the items costs {results[10_000] / results[1_000]:.1f}x the time (goal <= 11x)")


def bench_documents(runs: int) -> None:
    """`check` on the pretty-printed Chat documents against ../shared/bench's floor for a
    JSON document (a typed msgspec decode that pairs ids), alternating, medians."""
    floor_script = SHARED / "floor_chat_doc.py"
    if not floor_script.exists() or chat_document(fifth=False) is None:
        print(f"JSON documents: skipped ({floor_script} or gen_chat.py is not there)")
        return
    for fifth in (False, True):
        path = chat_document(fifth)
        assert path is not None
        floor_cmd = [sys.executable, str(floor_script), str(path)]
        check_cmd = [*CLI, "check", "--format", "json", str(path)]
        floor, check, floor_out, check_out = _alternate(floor_cmd, check_cmd, runs)
        unanswered = json.loads(check_out)["summary"]["by_code"].get("H001", 0)
        same = "same" if unanswered == int(floor_out) else "DIFFERENT"
        print(
            f"document {path.name}, {path.stat().st_size / 1e6:.1f} MB: floor_chat_doc median"
            f" {floor:.3f} s   check --format json median {check:.3f} s   ratio"
            f" {check / floor:.2f}x (goal <= 2x); H001 {unanswered} / floor {floor_out.strip()}:"
            f" {same}"
        )
        rss = _peak_rss_kb(check_cmd)
        print(f"  check peak RSS: {rss / 1024:.0f} MB ({rss * 1024 / path.stat().st_size:.2f}x)")


if __name__ == "__main__":
    os.environ.setdefault("CONTEXT_LS_STATE_DIR", str(DATA / "state"))
    compile_sources()
    bench_check(int(os.environ.get("BENCH_RUNS", "5")))
    bench_documents(int(os.environ.get("BENCH_RUNS", "5")))
    bench_normalize()
