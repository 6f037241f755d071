"""Fake homes laid out as Codex, Claude Code and Gemini CLI lay out their sessions: a small
self-made one (always there) and one of the real third-party files in ../shared/realdata
(when present). Used by the tests of `sessions`, `fix` and `hook`."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REALDATA = Path(__file__).resolve().parents[2].parent / "shared" / "realdata"
needs_proc = pytest.mark.skipif(
    not os.path.isdir("/proc/self/fd"), reason="needs /proc to see writers"
)
needs_realdata = pytest.mark.skipif(
    not REALDATA.is_dir(), reason="needs ../shared/realdata (the real third-party histories)"
)

CODEX_BROKEN = "0199a1b2-0000-7000-8000-000000000001"
CODEX_CLEAN = "0199a1b2-0000-7000-8000-000000000002"
CODEX_ZST = "0199a1b2-0000-7000-8000-000000000003"
CODEX_ELSEWHERE = "0199a1b2-0000-7000-8000-000000000004"
CLAUDE_BROKEN = "5f2b8c1e-0000-4000-8000-000000000001"
GEMINI_HASHED = "9b1e0c7a-0000-4000-8000-000000000001"
GEMINI_SHORT = "9b1e0c7a-0000-4000-8000-000000000002"


def claude_folder(cwd: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "-", cwd)


def _line(value: object) -> str:
    return json.dumps(value, separators=(",", ":")) + "\n"


def codex_rollout(sid: str, cwd: str, *, broken: bool) -> bytes:
    t = "2026-01-02T03:04:05.000Z"
    lines = [
        {
            "timestamp": t,
            "type": "session_meta",
            "payload": {
                "id": sid,
                "timestamp": t,
                "cwd": cwd,
                "originator": "codex_cli_rs",
                "cli_version": "0.60.0",
            },
        },
        {
            "timestamp": t,
            "type": "response_item",
            "payload": {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": "list the files"}],
            },
        },
        {
            "timestamp": t,
            "type": "response_item",
            "payload": {
                "type": "function_call",
                "name": "shell",
                "arguments": '{"command":["ls"]}',
                "call_id": "call_1",
            },
        },
    ]
    if not broken:
        lines.append(
            {
                "timestamp": t,
                "type": "response_item",
                "payload": {"type": "function_call_output", "call_id": "call_1", "output": "a.txt"},
            }
        )
    lines.append(
        {
            "timestamp": t,
            "type": "response_item",
            "payload": {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "done"}],
            },
        }
    )
    return "".join(_line(v) for v in lines).encode()


def claude_transcript(sid: str, cwd: str, *, broken: bool) -> bytes:
    base = {
        "isSidechain": False,
        "userType": "external",
        "cwd": cwd,
        "sessionId": sid,
        "version": "2.1.38",
    }
    t = "2026-01-02T03:04:05.000Z"
    lines = [
        {
            **base,
            "parentUuid": None,
            "type": "user",
            "uuid": "u1",
            "timestamp": t,
            "message": {"role": "user", "content": "read a.txt"},
        },
        {
            **base,
            "parentUuid": "u1",
            "type": "assistant",
            "uuid": "a1",
            "timestamp": t,
            "message": {
                "id": "msg_1",
                "role": "assistant",
                "content": [
                    {
                        "type": "tool_use",
                        "id": "toolu_1",
                        "name": "Read",
                        "input": {"file_path": "a.txt"},
                    }
                ],
            },
        },
    ]
    if not broken:
        lines.append(
            {
                **base,
                "parentUuid": "a1",
                "type": "user",
                "uuid": "u2",
                "timestamp": t,
                "message": {
                    "role": "user",
                    "content": [
                        {"type": "tool_result", "tool_use_id": "toolu_1", "content": "hello"}
                    ],
                },
            }
        )
    return "".join(_line(v) for v in lines).encode()


GEMINI_SUBAGENT = "9b1e0c7a-0000-4000-8000-0000000000a1"


def _gemini_messages(broken: bool) -> list[dict[str, object]]:
    """A prompt and an answer with one tool call, as Gemini CLI records them; the call has
    no `result` when `broken` (the CLI died while the tool ran)."""
    t = "2026-01-02T03:04:05.000Z"
    call: dict[str, object] = {
        "id": "read_file-1",
        "name": "read_file",
        "args": {"absolute_path": "/w/a.txt"},
        "status": "executing" if broken else "success",
        "timestamp": t,
    }
    if not broken:
        response = {"id": "read_file-1", "name": "read_file", "response": {"output": "hello"}}
        call["result"] = [{"functionResponse": response}]
    return [
        {"id": "m1", "timestamp": t, "type": "user", "content": "read a.txt"},
        {"id": "m2", "timestamp": t, "type": "gemini", "content": "", "toolCalls": [call]},
    ]


def _gemini_meta(sid: str, project: str) -> dict[str, object]:
    """The session's metadata: `projectHash` is the sha256 of the project root."""
    return {
        "sessionId": sid,
        "projectHash": hashlib.sha256(project.encode()).hexdigest(),
        "startTime": "2026-01-02T03:04:05.000Z",
        "lastUpdated": "2026-01-02T03:04:05.000Z",
    }


def gemini_chat(sid: str, project: str, *, broken: bool) -> bytes:
    """The whole-file JSON form (older Gemini CLI), pretty as the CLI writes it."""
    whole = {**_gemini_meta(sid, project), "messages": _gemini_messages(broken)}
    return json.dumps(whole, indent=2).encode()


def gemini_log(sid: str, project: str, *, broken: bool, kind: str = "main") -> bytes:
    """The JSONL upsert log (newer Gemini CLI): the metadata, then each message each time it
    changes (the answer first as it streamed in, then with its tool call), and `$set`
    lines that note the time."""
    user, answer = _gemini_messages(broken)
    streamed = {k: v for k, v in answer.items() if k != "toolCalls"}
    lines = [{**_gemini_meta(sid, project), "kind": kind}, user, streamed, answer]
    lines.append({"$set": {"lastUpdated": "2026-01-02T03:04:06.000Z"}})
    return "".join(_line(v) for v in lines).encode()


@contextmanager
def appending(path: Path) -> Iterator[int]:
    """Another process holding `path` open for appending, as Codex holds its rollout; its
    pid while the block runs."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import os,sys; os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND);"
            " print('ok', flush=True); sys.stdin.read()",
            str(path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "ok\n"
        yield holder.pid
    finally:
        holder.communicate("")


@dataclass
class Home:
    """A fake HOME: `project` the folder the user runs the command in."""

    root: Path
    project: Path
    files: dict[str, Path] = field(default_factory=dict)  # name -> path

    def write(self, name: str, relative: str, data: bytes) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.files[name] = path
        return path


def use_home(monkeypatch: pytest.MonkeyPatch, root: Path) -> None:
    """Point every agent's folder at `root` as its HOME."""
    monkeypatch.setenv("HOME", str(root))
    for name in ("CODEX_HOME", "CLAUDE_CONFIG_DIR", "GEMINI_CLI_HOME"):
        monkeypatch.delenv(name, raising=False)


def enter(home: Home, monkeypatch: pytest.MonkeyPatch) -> Home:
    """Use `home` as HOME and work in its project folder."""
    use_home(monkeypatch, home.root)
    monkeypatch.chdir(home.project)
    return home


def self_made_home(tmp_path: Path) -> Home:
    """Two projects' sessions of each agent, one of each broken, one compressed rollout."""
    home = Home(tmp_path / "home", tmp_path / "work" / "proj")
    home.project.mkdir(parents=True)
    proj = str(home.project)
    other = str(tmp_path / "work" / "other")
    day = ".codex/sessions/2026/01/02"
    home.write(
        "codex-broken",
        f"{day}/rollout-2026-01-02T03-04-05-{CODEX_BROKEN}.jsonl",
        codex_rollout(CODEX_BROKEN, proj, broken=True),
    )
    home.write(
        "codex-clean",
        f"{day}/rollout-2026-01-02T04-04-05-{CODEX_CLEAN}.jsonl",
        codex_rollout(CODEX_CLEAN, proj + "/sub", broken=False),
    )
    import zstandard

    packed = zstandard.ZstdCompressor(level=3).compress(codex_rollout(CODEX_ZST, proj, broken=True))
    home.write("codex-zst", f"{day}/rollout-2026-01-02T05-04-05-{CODEX_ZST}.jsonl.zst", packed)
    home.write(
        "codex-elsewhere",
        f".codex/sessions/2026/01/03/rollout-2026-01-03T03-04-05-{CODEX_ELSEWHERE}.jsonl",
        codex_rollout(CODEX_ELSEWHERE, other, broken=False),
    )
    folder = f".claude/projects/{claude_folder(proj)}"
    home.write(
        "claude-broken",
        f"{folder}/{CLAUDE_BROKEN}.jsonl",
        claude_transcript(CLAUDE_BROKEN, proj, broken=True),
    )
    home.write(
        "claude-subagent",
        f"{folder}/{CLAUDE_BROKEN}/subagents/agent-a1.jsonl",
        claude_transcript(CLAUDE_BROKEN, proj, broken=False),
    )
    other_sid = "5f2b8c1e-0000-4000-8000-000000000002"
    home.write(
        "claude-other",
        f".claude/projects/{claude_folder(other)}/{other_sid}.jsonl",
        claude_transcript(other_sid, other, broken=False),
    )
    hashed = hashlib.sha256(proj.encode()).hexdigest()
    home.write(
        "gemini-hashed",
        f".gemini/tmp/{hashed}/chats/session-2026-01-02T03-04-{GEMINI_HASHED[:8]}.json",
        gemini_chat(GEMINI_HASHED, proj, broken=True),
    )
    chats = ".gemini/tmp/proj/chats"
    home.write(
        "gemini-short",
        f"{chats}/session-2026-01-02T05-04-{GEMINI_SHORT[:8]}.jsonl",
        gemini_log(GEMINI_SHORT, proj, broken=False),
    )
    home.write(
        "gemini-subagent",
        f"{chats}/{GEMINI_SHORT}/{GEMINI_SUBAGENT}.jsonl",
        gemini_log(GEMINI_SUBAGENT, proj, broken=True, kind="subagent"),
    )
    (home.root / ".gemini/tmp/proj/.project_root").write_text(proj)
    (home.root / ".gemini/projects.json").write_text(json.dumps({"projects": {proj: "proj"}}))
    return home


def _first(path: Path, key: str) -> str | None:
    with path.open("rb") as handle:
        for raw in handle:
            try:
                value = json.loads(raw)
            except ValueError:
                continue
            if isinstance(value, dict) and isinstance(value.get(key), str):
                return value[key]
            payload = value.get("payload") if isinstance(value, dict) else None
            if isinstance(payload, dict) and isinstance(payload.get(key), str):
                return payload[key]
    return None


REAL_CODEX = [
    "madshn__localpush/rollout-2026-02-23T12-40-23-019c8a4c-ed82-79a1-aa28-7738fc5ab61a.jsonl",
    "madshn__localpush/rollout-2026-02-23T12-47-42-019c8a53-a0dd-7130-bcd7-95445d84846a.jsonl",
    "madshn__localpush/rollout-2026-02-23T12-54-34-019c8a59-e9dd-71f0-9ae3-4079fe9726a9.jsonl",
    "madshn__localpush/rollout-2026-02-23T13-19-38-019c8a70-dda7-7f33-98ea-f30553347322.jsonl",
    "codemie-ai__codemie-code/rollout-2026-05-11T13-28-45-019e1695-0522-7c83-8b39-0dd379793f80.jsonl",
    "jnarowski__agentcmd/rollout-2025-09-24T19-22-20-01997e76-d124-7592-9cac-2ec05abbca08.jsonl",
]
REAL_CLAUDE = [
    "marot__spotter/tool_heavy.jsonl",
    "jnarowski__agentcmd/full-session-three.jsonl",
    "d-kimuson__claude-code-viewer/5c0375b4-57a5-4f26-b12d-d022ee4e51b7.jsonl",
]
REAL_GEMINI = ["jnarowski__agentcmd/session-2025-10-27T19-55-981c87cb.json"]


def realdata_home(tmp_path: Path) -> Home:
    """The real files where their agents would have written them: rollouts in the date
    folders of their names, transcripts in their cwd's folder named by their session id,
    Gemini chats in their project hash's folder."""
    home = Home(tmp_path / "home", tmp_path / "work")
    home.project.mkdir(parents=True)
    for name in REAL_CODEX:
        source = REALDATA / name
        y, m, d = re.search(r"rollout-(\d{4})-(\d\d)-(\d\d)", source.name).groups()  # type: ignore[union-attr]
        home.write(name, f".codex/sessions/{y}/{m}/{d}/{source.name}", source.read_bytes())
    for name in REAL_CLAUDE:
        source = REALDATA / name
        cwd, sid = _first(source, "cwd"), _first(source, "sessionId")
        assert cwd and sid, name
        home.write(name, f".claude/projects/{claude_folder(cwd)}/{sid}.jsonl", source.read_bytes())
    for name in REAL_GEMINI:
        source = REALDATA / name
        project_hash = json.loads(source.read_bytes())["projectHash"]
        home.write(name, f".gemini/tmp/{project_hash}/chats/{source.name}", source.read_bytes())
    return home
