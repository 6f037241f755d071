"""The language server through real LSP clients over stdio, on a 25 MB Codex rollout:
open → diagnostics and one-line edit → diagnostics, against whole-process
`context-ls check` on the same file; plus the server's RSS. Prints figures and ratios.

Two clients: pygls's `LanguageClient` (diagnostics pushed, like Neovim 0.7 or Emacs), and
VS Code's own JSON-RPC library, vscode-jsonrpc, with VS Code's pull flow
(`vscode_client.cjs`, needs Node and `client-vscode/node_modules`). The event loop probe
runs in an open of its own: its requests would slow the open they measure.

    python bench/bench_lsp.py [--runs N] [--turns T] [--edits E]

BENCH_SERVER_PREFIX="-m cProfile -o /tmp/server.prof" profiles the server process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient

from common import DATA, ROOT, compile_sources, rollout, rss_mb
from context_ls.lsp.features.diagnostics import TRIM_DELAY
from lsp_documents import bench_documents

SERVER = [
    sys.executable,
    *os.environ.get("BENCH_SERVER_PREFIX", "").split(),
    *["-m", "context_ls", "serve", "--stdio"],  # what the editors run
]
CHECK = [sys.executable, "-m", "context_ls", "check", "--format", "json"]
PROBE_AFTER = 1.0  # seconds the loop probe goes on after the first diagnostics


def time_check(path: Path) -> float:
    start = time.perf_counter()
    subprocess.run([*CHECK, str(path)], capture_output=True, check=False)
    return time.perf_counter() - start


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
        on a document that is not open): how long its event loop was held. Probes run
        until `PROBE_AFTER` seconds past the first diagnostics, so the full read after
        the quick first look is covered too. The first probe is left out: it queues
        behind the 25 MB didOpen message itself."""
        worst = 0.0
        first = True
        params = types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri="untitled:probe"),
            position=types.Position(line=0, character=0),
        )
        while not until.done() or time.perf_counter() < until.result() + PROBE_AFTER:
            start = time.perf_counter()
            await self.client.text_document_hover_async(params)
            if not first:
                worst = max(worst, time.perf_counter() - start)
            first = False
            await asyncio.sleep(0.005)
        return worst

    async def run(self, path: Path, edits: int, probe: bool = False) -> dict[str, float]:
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
        probing = asyncio.ensure_future(self.probe_loop(done) if probe else asyncio.sleep(0, 0.0))
        open_s = await done - start
        loop_max = await probing
        figures = {
            "open": open_s,
            "open_findings": self.counts[1],
            "client_send": sent,
            "loop_max": loop_max,
            "idle_rss": idle_rss,
        }
        if probe:
            await self.client.shutdown_async(None)
            self.client.exit(None)
            await self.client.stop()
            return figures
        # Steady state before timing edits: the open's full read (navigation, secrets), which
        # follows the quick first diagnostics, and the context update have finished.
        await asyncio.sleep(1.5)
        edit_times = [await self.edit(uri, middle, n) for n in range(edits)]
        assert self.client._server is not None
        pid = self.client._server.pid
        await asyncio.sleep(0.5)
        figures["rss_typing"] = rss_mb(pid)
        # Quiet long enough for the server to give freed memory back (TRIM_DELAY).
        await asyncio.sleep(TRIM_DELAY + 1.0)
        figures["rss_mb"] = rss_mb(pid)
        figures["peak_mb"] = rss_mb(pid, "VmHWM")
        figures["edit_after_idle"] = await self.edit(uri, middle, edits)
        # That edit adds a character (`edits` is even): the records after it have moved.
        await asyncio.sleep(TRIM_DELAY + 1.0)
        figures["rss_moved"] = rss_mb(pid)
        figures["edits"] = edit_times
        figures["edit_findings"] = self.counts[edits + 2]
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await self.client.stop()
        return figures

    async def edit(self, uri: str, middle: int, n: int) -> float:
        """One character typed at the start of a line in the middle of the document, taken
        back the next time (the line is invalid JSON in between): seconds to diagnostics."""
        version = n + 2
        done = self.expect(version)
        at = types.Position(line=middle, character=0)
        change = (
            types.TextDocumentContentChangePartial(range=types.Range(start=at, end=at), text="x")
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
        return await done - start


ENGINE = """
import sys, time
from context_ls.history.analyzer import Analyzer
data = open(sys.argv[1], "rb").read()
start = time.perf_counter()
Analyzer().analyze(data)
print(time.perf_counter() - start)
"""


def time_engine(path: Path) -> float:
    """The engine alone: the first `Analyzer` pass the server runs (in a process of its
    own: the memory it leaves behind here slowed the sessions measured after it)."""
    done = subprocess.run(
        [sys.executable, "-c", ENGINE, str(path)], capture_output=True, text=True, check=True
    )
    return float(done.stdout)


VSCODE_CLIENT = ROOT / "bench" / "vscode_client.cjs"
JSONRPC = ROOT / "client-vscode" / "node_modules" / "vscode-jsonrpc"


def run_vscode_client(path: Path, edits: int) -> dict[str, Any] | None:
    """One session through vscode-jsonrpc (None when Node or the package is missing)."""
    node = shutil.which("node")
    if node is None or not JSONRPC.is_dir():
        return None
    done = subprocess.run(
        [node, str(VSCODE_CLIENT), str(path), str(edits), str(TRIM_DELAY), *SERVER],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def report(
    name: str, check: float, size_mb: float, runs: list[dict[str, Any]], figures: dict[str, Any]
) -> None:
    def median(key: str) -> float:
        return statistics.median(r[key] for r in runs)

    opened, edited, after_idle = median("open"), median("edit"), median("edit_after_idle")
    rss, typing, idle = median("rss"), median("rss_typing"), median("idle_rss")
    moved = median("rss_moved")
    opens = sorted(r["open"] for r in runs)
    print(f"{name}")
    print(
        f"  open -> diagnostics:           median {opened:.3f} s  = {opened / check:.2f}x check"
        f" (goal <= 1.5x); runs {opens[0]:.3f}-{opens[-1]:.3f} s"
    )
    print(
        f"  one-line edit -> diagnostics:  median {edited * 1000:.1f} ms = open / "
        f"{opened / edited:.1f} (goal >= 10x); after {TRIM_DELAY + 1:.0f} s quiet (memory given"
        f" back) {after_idle * 1000:.1f} ms = open / {opened / after_idle:.1f}"
    )
    print(
        f"  server RSS, document open and quiet: {rss:.0f} MB = {rss / size_mb:.2f}x the document"
        f" ({idle:.0f} MB before the open: {(rss - idle) / size_mb:.2f}x for the document);"
        f" while typing {typing:.0f} MB = {typing / size_mb:.2f}x; peak {median('peak'):.0f} MB"
    )
    print(
        f"  server RSS quiet after a net edit (one character added mid-document): {moved:.0f} MB"
        f" = {moved / size_mb:.2f}x"
    )
    figures[name.split()[0]] = {
        "open_s": opened,
        "edit_s": edited,
        "edit_after_idle_s": after_idle,
        "rss_mb": rss,
        "rss_typing_mb": typing,
        "rss_moved_mb": moved,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--turns", type=int, default=5800, help="5800 turns ≈ 25 MB")
    parser.add_argument(
        "--edits", type=int, default=10, help="even: the edit after the pause adds a character"
    )
    parser.add_argument("--doc-runs", type=int, default=5, help="runs per JSON document")
    parser.add_argument("--only", choices=("rollout", "documents"), help="one part (default: both)")
    args = parser.parse_args()
    if args.edits % 2:
        parser.error("--edits must be even (each pair of edits adds and removes a character)")
    os.environ.setdefault("CONTEXT_LS_STATE_DIR", str(DATA / "state"))  # not the user's
    compile_sources()
    summary: dict[str, Any] = {}
    if args.only != "documents":
        summary.update(bench_rollout(args))
    if args.only != "rollout":
        print("== JSON documents and a Claude Code JSONL (issue 18)")
        summary["documents"] = bench_documents(args.doc_runs, args.edits)
    print(json.dumps(summary))


def bench_rollout(args: argparse.Namespace) -> dict[str, Any]:
    path = rollout(args.turns)
    size_mb = path.stat().st_size / 1e6
    checks, engine, probes, sends = [], [], [], []
    pygls_runs: list[dict[str, Any]] = []
    vscode_runs: list[dict[str, Any]] = []
    findings = ""
    for _ in range(args.runs):
        time.sleep(1.0)  # the previous run's processes have exited
        checks.append(time_check(path))
        engine.append(time_engine(path))
        time.sleep(1.0)
        figures = asyncio.run(Bench().run(path, args.edits))
        sends.append(figures["client_send"])
        pygls_runs.append(
            {
                "open": figures["open"],
                "edit": statistics.median(figures["edits"]),
                "edit_after_idle": figures["edit_after_idle"],
                "rss": figures["rss_mb"],
                "rss_typing": figures["rss_typing"],
                "rss_moved": figures["rss_moved"],
                "idle_rss": figures["idle_rss"],
                "peak": figures["peak_mb"],
            }
        )
        findings = f"{figures['open_findings']:.0f} at open, {figures['edit_findings']:.0f} after the edits"
        time.sleep(1.0)
        probes.append(asyncio.run(Bench().run(path, 0, probe=True))["loop_max"])
        time.sleep(1.0)
        if (vscode := run_vscode_client(path, args.edits)) is not None:
            vscode_runs.append(
                {
                    "open": vscode["open"],
                    "edit": statistics.median(vscode["edits"]),
                    "edit_after_idle": vscode["edit_after_idle"],
                    "rss": vscode["rss"],
                    "rss_typing": vscode["rss_typing"],
                    "rss_moved": vscode["rss_moved"],
                    "idle_rss": vscode["idle_rss"],
                    "peak": vscode["peak"],
                }
            )
    check = statistics.median(checks)
    print(f"file: {path.name}, {size_mb:.1f} MB; diagnostics: {findings}")
    print(f"context-ls check (whole process): median {check:.3f} s")
    summary: dict[str, Any] = {"size_mb": size_mb, "check_s": check}
    report("pygls LanguageClient, diagnostics pushed", check, size_mb, pygls_runs, summary)
    print(
        f"  of which the client serialising and writing didOpen: {statistics.median(sends):.3f} s"
    )
    if vscode_runs:
        report(
            "vscode-jsonrpc (VS Code's client library), diagnostics pulled",
            check,
            size_mb,
            vscode_runs,
            summary,
        )
    else:
        print(
            "vscode-jsonrpc: skipped (needs node and client-vscode/node_modules: make client-test)"
        )
    print(f"the engine's first Analyzer pass alone (in-process): {statistics.median(engine):.3f} s")
    print(
        f"event loop while validating the open (own open): slowest trivial request"
        f" {max(probes) * 1000:.0f} ms (goal ~50 ms)"
    )
    summary["loop_max_s"] = max(probes)
    return summary


if __name__ == "__main__":
    main()
