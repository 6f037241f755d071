"""The language server through a real LSP client over stdio (pygls), on a 25 MB Codex
rollout: open → diagnostics and one-line edit → diagnostics, against whole-process
`context-ls check` on the same file; plus the server's RSS. Prints figures and ratios.

    python bench/bench_lsp.py [--runs N] [--turns T] [--edits E]

BENCH_SERVER_PREFIX="-m cProfile -o /tmp/server.prof" profiles the server process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "bench"
DATA = ROOT / "bench" / "data"
SERVER = [
    sys.executable,
    *os.environ.get("BENCH_SERVER_PREFIX", "").split(),
    *["-m", "context_ls", "serve", "--stdio"],  # what the editors run
]
CHECK = [sys.executable, "-m", "context_ls", "check", "--format", "json"]


def rollout(turns: int) -> Path:
    path = DATA / f"rollout-{turns}.jsonl"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        print(f"generating {path.name} ({turns} turns) …", flush=True)
        subprocess.run(
            [sys.executable, str(SHARED / "gen_rollout.py"), str(turns), str(path)], check=True
        )
    return path


def time_check(path: Path) -> float:
    start = time.perf_counter()
    subprocess.run([*CHECK, str(path)], capture_output=True, check=False)
    return time.perf_counter() - start


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Bench:
    def __init__(self) -> None:
        self.client = LanguageClient("bench", "1")
        self.waiting: tuple[int, asyncio.Future[float]] | None = None
        self.counts: dict[int, int] = {}

        @self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(params: types.PublishDiagnosticsParams) -> None:
            self.counts[params.version or 0] = len(params.diagnostics)
            if self.waiting and params.version == self.waiting[0] and not self.waiting[1].done():
                self.waiting[1].set_result(time.perf_counter())

    def expect(self, version: int) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiting = (version, future)
        return future

    async def probe_loop(self, until: asyncio.Future[float]) -> float:
        """While the server validates, the slowest answer to a trivial request (a hover
        on a document that is not open): how long its event loop was held. The first
        probe is left out: it queues behind the 25 MB didOpen message itself."""
        worst = 0.0
        first = True
        params = types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri="untitled:probe"),
            position=types.Position(line=0, character=0),
        )
        while not until.done():
            start = time.perf_counter()
            await self.client.text_document_hover_async(params)
            if not first:
                worst = max(worst, time.perf_counter() - start)
            first = False
            await asyncio.sleep(0.005)
        return worst

    async def run(self, path: Path, edits: int) -> dict[str, float]:
        await self.client.start_io(*SERVER)
        await self.client.initialize_async(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(),
                root_uri=path.parent.as_uri(),
                initialization_options={"contextLs": {"pendingGraceSeconds": 0}},
            )
        )
        self.client.initialized(types.InitializedParams())
        assert self.client._server is not None
        idle_rss = rss_mb(self.client._server.pid)
        text = path.read_text()
        uri = path.as_uri()
        middle = text.count("\n") // 2
        done = self.expect(1)
        start = time.perf_counter()
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id="jsonl", version=1, text=text
                )
            )
        )
        sent = time.perf_counter() - start
        probe = asyncio.ensure_future(self.probe_loop(done) if not os.environ.get("NOPROBE") else asyncio.sleep(0, 0.0))
        open_s = await done - start
        figures_probe = await probe
        figures = {
            "open": open_s,
            "open_findings": self.counts[1],
            "client_send": sent,
            "loop_max": figures_probe,
            "idle_rss": idle_rss,
        }
        # Steady state before timing edits: the open's full read (navigation, secrets), which
        # follows the quick first diagnostics, and the context update have finished.
        await asyncio.sleep(1.5)
        edit_times = []
        for n in range(edits):
            version = n + 2
            done = self.expect(version)
            # One character typed at the start of a line in the middle of the document,
            # then taken back on the next round: the line is invalid JSON in between.
            at = types.Position(line=middle, character=0)
            change = (
                types.TextDocumentContentChangePartial(
                    range=types.Range(start=at, end=at), text="x"
                )
                if n % 2 == 0
                else types.TextDocumentContentChangePartial(
                    range=types.Range(start=at, end=types.Position(line=middle, character=1)),
                    text="",
                )
            )
            start = time.perf_counter()
            self.client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                    content_changes=[change],
                )
            )
            edit_times.append(await done - start)
        figures["edit"] = statistics.median(edit_times)
        figures["edit_findings"] = self.counts[edits + 1]
        assert self.client._server is not None
        await asyncio.sleep(2.0)  # settled: background work (context, GC, memory trim) is done
        figures["rss_mb"] = rss_mb(self.client._server.pid)
        figures["peak_mb"] = rss_mb(self.client._server.pid, "VmHWM")
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await self.client.stop()
        return figures


def time_engine(path: Path) -> float:
    """The engine alone, in this process: the first `Analyzer` pass the server runs."""
    from context_ls.history.analyzer import Analyzer
    from context_ls.history.api import Options

    data = path.read_bytes()
    start = time.perf_counter()
    Analyzer(Options()).analyze(data)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--turns", type=int, default=5800, help="5800 turns ≈ 25 MB")
    parser.add_argument("--edits", type=int, default=10)
    args = parser.parse_args()
    path = rollout(args.turns)
    size_mb = path.stat().st_size / 1e6
    checks, opens, edits, rss, sends, engine, probes, idle, peaks = ([] for _ in range(9))
    findings = ""
    for _ in range(args.runs):
        checks.append(time_check(path))
        engine.append(time_engine(path))
        figures = asyncio.run(Bench().run(path, args.edits))
        sends.append(figures["client_send"])
        probes.append(figures["loop_max"])
        idle.append(figures["idle_rss"])
        peaks.append(figures["peak_mb"])
        opens.append(figures["open"])
        edits.append(figures["edit"])
        rss.append(figures["rss_mb"])
        findings = f"{figures['open_findings']:.0f} at open, {figures['edit_findings']:.0f} after the edits"
    check, opened, edited = (statistics.median(x) for x in (checks, opens, edits))
    print(f"file: {path.name}, {size_mb:.1f} MB; diagnostics: {findings}")
    print(f"context-ls check (whole process): median {check:.3f} s")
    print(
        f"LSP open -> diagnostics:          median {opened:.3f} s   = {opened / check:.2f}x check (goal <= 1.5x)"
    )
    print(
        f"LSP one-line edit -> diagnostics: median {edited * 1000:.1f} ms  = open / {opened / edited:.1f} (goal >= 10x)"
    )
    print(
        f"  of which: the client serialising and writing didOpen {statistics.median(sends):.3f} s;"
        f" the engine's first Analyzer pass alone (in-process) {statistics.median(engine):.3f} s"
    )
    print(
        f"event loop while validating the open: slowest trivial request {max(probes) * 1000:.0f} ms"
    )
    print(
        f"server RSS with the document open: {max(rss):.0f} MB = {max(rss) / size_mb:.2f}x the document"
        f" ({min(idle):.0f} MB before the open: {(max(rss) - min(idle)) / size_mb:.2f}x for the"
        f" document); peak {max(peaks):.0f} MB"
    )
    print(
        json.dumps(
            {
                "size_mb": size_mb,
                "check_s": check,
                "open_s": opened,
                "edit_s": edited,
                "rss_mb": max(rss),
                "client_send_s": statistics.median(sends),
                "engine_first_pass_s": statistics.median(engine),
                "loop_max_s": max(probes),
                "idle_rss_mb": min(idle),
            }
        )
    )


if __name__ == "__main__":
    main()
