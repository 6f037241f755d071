"""JSON documents (and a big Claude Code JSONL) through the language server, with
vscode-json-language-server measured in the same run (issue 18). Used by bench_lsp.py.

Both servers are driven by the same pygls client, twice a run: pushing (the client waits
for `publishDiagnostics`, as Neovim or Emacs do) and pulling (`textDocument/diagnostic`
right after each notification, as VS Code does). vscode-json-language-server validates
500 ms after a change when it pushes; when pulled it answers at once. Runs alternate
between the servers; medians are printed."""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient

from common import ROOT, SHARED, chat_document, claude_jsonl, rss_mb
from context_ls.lsp.features.diagnostics import TRIM_DELAY

JSON_LS = ROOT / ".cache" / "json-ls" / "node_modules" / ".bin" / "vscode-json-language-server"
OURS = [sys.executable, "-m", "context_ls", "serve", "--stdio"]
CHECK = [sys.executable, "-m", "context_ls", "check", "--format", "json"]


def json_ls() -> list[str] | None:
    """The command of vscode-json-language-server, or None (printed why) when absent."""
    if shutil.which("node") is None:
        print("vscode-json-language-server: skipped (no node on PATH)")
        return None
    if not JSON_LS.exists():
        print(
            f"vscode-json-language-server: skipped ({JSON_LS} is not there: `make bench-json-ls`"
            " installs it)"
        )
        return None
    return [str(JSON_LS), "--stdio"]


def edit_point(text: str) -> tuple[int, int]:
    """(line, character) inside a message's text in the middle of the document: just after
    the opening quote of a `"content": "` (JSONL: the start of the middle line)."""
    lines = text.split("\n")
    middle = len(lines) // 2
    for n in range(middle, len(lines)):
        at = lines[n].find('"content": "')
        if at != -1:
            return n, at + len('"content": "')
    return middle, 0


class Session:
    """One server process through a pygls client: open, edits, memory."""

    def __init__(self, command: list[str], pull: bool) -> None:
        self.command, self.pull = command, pull
        self.client = LanguageClient("bench", "1")
        self.waiting: asyncio.Future[float] | None = None
        self.findings = 0
        self.refreshes = 0

        @self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(params: types.PublishDiagnosticsParams) -> None:
            if self.waiting is not None and not self.waiting.done():
                self.findings = len(params.diagnostics)
                self.waiting.set_result(time.perf_counter())

        @self.client.feature(types.WORKSPACE_DIAGNOSTIC_REFRESH)
        def refresh(params: None) -> None:
            self.refreshes += 1

        @self.client.feature(types.WORKSPACE_CONFIGURATION)
        def configuration(params: types.ConfigurationParams) -> list[Any]:
            return [None for _ in params.items]

    @property
    def pid(self) -> int:
        assert self.client._server is not None
        return self.client._server.pid

    async def start(self, folder: Path) -> None:
        await self.client.start_io(*self.command)
        pull = types.DiagnosticClientCapabilities() if self.pull else None
        # VS Code declares that it pulls again when asked to (vscode-languageclient 9,
        # as vscode_client.cjs does): a server may then answer a pull with a first look.
        refresh = types.DiagnosticWorkspaceClientCapabilities(refresh_support=True)
        await self.client.initialize_async(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(
                    text_document=types.TextDocumentClientCapabilities(diagnostic=pull),
                    workspace=types.WorkspaceClientCapabilities(
                        diagnostics=refresh if self.pull else None
                    ),
                ),
                root_uri=folder.as_uri(),
                initialization_options={"contextLs": {"pendingGraceSeconds": 0}},
            )
        )
        self.client.initialized(types.InitializedParams())

    async def _diagnostics(self, uri: str, begin: float) -> float:
        if not self.pull:
            assert self.waiting is not None
            if self.command is OURS:
                # A clean history publishes nothing: the code lens request is answered once
                # the newest text is analysed (the diagnostics, if any, are out by then).
                lens = asyncio.ensure_future(
                    self.client.text_document_code_lens_async(
                        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri))
                    )
                )
                await asyncio.wait({self.waiting, lens}, return_when=asyncio.FIRST_COMPLETED)
                if not self.waiting.done():
                    self.findings = 0
                    self.waiting.set_result(time.perf_counter())
            return await self.waiting - begin
        report = await self.client.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        self.findings = len(getattr(report, "items", []) or [])
        return time.perf_counter() - begin

    async def open(self, uri: str, language: str, text: str) -> float:
        self.waiting = asyncio.get_running_loop().create_future()
        begin = time.perf_counter()
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id=language, version=1, text=text
                )
            )
        )
        return await self._diagnostics(uri, begin)

    async def edit(self, uri: str, version: int, at: tuple[int, int]) -> float:
        """One character typed at `at`, taken back by the next edit (odd versions add)."""
        line, char = at
        start = types.Position(line=line, character=char)
        end = start if version % 2 == 0 else types.Position(line=line, character=char + 1)
        change = types.TextDocumentContentChangePartial(
            range=types.Range(start=start, end=end), text="x" if version % 2 == 0 else ""
        )
        self.waiting = asyncio.get_running_loop().create_future()
        begin = time.perf_counter()
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[change],
            )
        )
        return await self._diagnostics(uri, begin)

    async def stop(self) -> None:
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await self.client.stop()


@dataclass
class Case:
    name: str
    path: Path
    language: str


async def one_session(
    command: list[str], case: Case, text: str, pull: bool, edits: int, memory: bool
) -> dict[str, Any]:
    session = Session(command, pull)
    await session.start(case.path.parent)
    await asyncio.sleep(0.3)
    idle = rss_mb(session.pid)
    uri = case.path.as_uri()
    figures: dict[str, Any] = {"open": await session.open(uri, case.language, text)}
    figures["open_findings"] = session.findings
    await asyncio.sleep(1.0)  # the open's full read and follow-ups have finished
    at = edit_point(text)
    times = [await session.edit(uri, n + 2, at) for n in range(edits)]
    figures["edit"] = statistics.median(times) if times else float("nan")
    figures["edit_findings"] = session.findings
    figures["refreshes"] = session.refreshes  # asked to pull again: the first answer was partial
    if memory:
        await asyncio.sleep(TRIM_DELAY + 1.0)  # quiet: freed memory goes back
        figures["rss"] = rss_mb(session.pid)
        figures["peak"] = rss_mb(session.pid, "VmHWM")
        figures["idle_rss"] = idle
    await session.stop()
    return figures


def time_check(path: Path) -> float:
    begin = time.perf_counter()
    subprocess.run([*CHECK, str(path)], capture_output=True, check=False)
    return time.perf_counter() - begin


def cases() -> list[Case]:
    found: list[Case] = []
    big = chat_document(fifth=False)
    if big is None:
        print(f"JSON documents: skipped ({SHARED / 'gen_chat.py'} is not there)")
    else:
        small = chat_document(fifth=True)
        assert small is not None
        found += [Case("chat-28MB", big, "json"), Case("chat-5.8MB", small, "json")]
    claude, unique = claude_jsonl(), claude_jsonl(unique_ids=True)
    if claude is None or unique is None:
        print("Claude Code JSONL: skipped (../shared/realdata is not there)")
    else:
        found.append(Case("claude-code-39MB", claude, "jsonl"))
        found.append(Case("claude-code-39MB-own-ids", unique, "jsonl"))
    wanted = os.environ.get("BENCH_DOCUMENTS")  # a comma-separated choice of case names
    return [c for c in found if wanted is None or c.name in wanted.split(",")]


def bench_documents(runs: int, edits: int) -> dict[str, Any]:
    other = json_ls()
    summary: dict[str, Any] = {}
    for case in cases():
        text = case.path.read_text()
        size_mb = case.path.stat().st_size / 1e6
        rows: dict[str, list[dict[str, Any]]] = {}
        checks: list[float] = []
        for _ in range(runs):
            checks.append(time_check(case.path))
            for pull in (False, True):
                mode = "pull" if pull else "push"
                rows.setdefault(f"ours-{mode}", []).append(
                    asyncio.run(one_session(OURS, case, text, pull, edits, memory=not pull))
                )
                if other is not None and case.language == "json":
                    rows.setdefault(f"json-ls-{mode}", []).append(
                        asyncio.run(one_session(other, case, text, pull, 2, memory=False))
                    )
        summary[case.name] = report(case, size_mb, statistics.median(checks), rows)
    return summary


def report(
    case: Case, size_mb: float, check: float, rows: dict[str, list[dict[str, Any]]]
) -> dict[str, Any]:
    def med(key: str, name: str) -> float:
        return statistics.median(r[key] for r in rows[name])

    print(f"{case.name}: {case.path.name}, {size_mb:.1f} MB; context-ls check {check:.3f} s")
    figures: dict[str, Any] = {"check_s": check}
    for name in rows:
        opened, edited = med("open", name), med("edit", name)
        found = rows[name][-1]
        line = (
            f"  {name:13} open -> diagnostics {opened:.3f} s ({found['open_findings']} found);"
            f" one-character edit -> diagnostics {edited * 1000:.1f} ms = open / {opened / edited:.1f}"
        )
        if found["refreshes"]:
            line += f"; asked to pull again {found['refreshes']} times"
        if "rss" in rows[name][0]:
            rss, idle = med("rss", name), med("idle_rss", name)
            line += (
                f"; RSS open and quiet {rss:.0f} MB = {rss / size_mb:.2f}x the document"
                f" ({(rss - idle) / size_mb:.2f}x over the idle server), peak {med('peak', name):.0f} MB"
            )
        print(line)
        figures[name] = {"open_s": opened, "edit_s": edited}
    for mode in ("push", "pull"):
        ours, theirs = f"ours-{mode}", f"json-ls-{mode}"
        if ours in rows and theirs in rows:
            ratio = med("open", theirs) / med("open", ours)
            print(
                f"  {mode}: open -> diagnostics {ratio:.2f}x sooner than vscode-json-language-server"
            )
    if "ours-push" in rows:
        opened = med("open", "ours-push")
        print(f"  open (push) = {opened / check:.2f}x check")
    return figures
