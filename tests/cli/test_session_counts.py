"""`sessions` counts records and findings as `check` does, file by file, although it reads
Codex rollouts with the lean scan (`agents.counts`): generated rollouts with every fault,
odd layouts (CRLF, a BOM, blank and broken lines, compaction, secrets) and every real file."""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from context_ls import compression
from context_ls.agents import AGENTS, Session, counts
from context_ls.history.api import Options, analyze_path
from context_ls.history.fastscan import line_views, scan_codex
from context_ls.history.model import History
from context_ls.history.reader import read_history
from history._gen import broken_events, render

from .homes import REALDATA, needs_realdata

SECRET = "sk-proj-" + "abcDEF123_ghiJKL456-mnoPQR789stuVWX"


def as_check(path: Path) -> tuple[str | None, int | None, dict[str, int] | None]:
    """What `check` says of the file: its dialect, records and findings per code."""
    analysis = analyze_path(path, None, Options(), findings_only=True)
    if analysis.dialect is None:
        return None, None, None
    found = Counter(f.code for f in analysis.findings)
    return analysis.dialect, analysis.history.record_count, dict(sorted(found.items()))


def as_sessions(path: Path, agent: str) -> tuple[str | None, int | None, dict[str, int] | None]:
    st_ = path.stat()
    session = Session(agent, path, None, None, st_.st_mtime_ns, st_.st_size, st_.st_ino)
    dialect, records, findings, unreadable = counts.analyse(session)
    assert unreadable is None
    return dialect, records, findings


def _compacted(call_id: str) -> bytes:
    call = {"type": "function_call", "name": "shell", "arguments": "{}", "call_id": call_id}
    payload = {"message": "summary", "replacement_history": [call]}
    record = {"timestamp": "2026-05-11T10:00:00.000Z", "type": "compacted", "payload": payload}
    return json.dumps(record).encode()


@st.composite
def rollouts(draw: st.DrawFn) -> bytes:
    """A Codex rollout with dangling, orphan, duplicate, early and late outputs of calls of
    every kind, and now and then a blank line, a broken line, a compacted line or a secret."""
    events = draw(broken_events(allow_duplicate_calls=True))
    ids = sorted({call_id for kind, body in events if kind == "calls" for call_id in body})
    call_kinds = st.sampled_from(["function_call", "custom_tool_call", "local_shell_call"])
    kinds = {call_id: draw(call_kinds) for call_id in ids}
    data = render("codex", events, kinds)
    lines = data.split(b"\n")
    for _ in range(draw(st.integers(0, 3))):
        where = draw(st.integers(1, len(lines)))
        extra = draw(
            st.sampled_from(
                [b"", b"   ", b'{"type": "response_item", "payl', _compacted("call_000x")]
            )
        )
        lines.insert(where, extra)
    if draw(st.booleans()):
        lines.insert(1, json.dumps({"type": "event_msg", "payload": {"text": SECRET}}).encode())
    data = b"\n".join(lines)
    if draw(st.booleans()):
        data = data.replace(b"\n", b"\r\n")
    if draw(st.integers(0, 9)) == 0:
        data = b"\xef\xbb\xbf" + data
    return data


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=rollouts())
def test_a_rollout_is_counted_as_check_counts_it(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rollout-2026-05-11T10-00-00-x.jsonl"
        path.write_bytes(data)
        assert as_sessions(path, "codex") == as_check(path)
        packed = path.with_name(path.name + compression.SUFFIX)
        packed.write_bytes(compression.compress_like(packed, data))
        path.unlink()
        assert as_sessions(packed, "codex") == as_check(packed)


def test_a_file_in_codex_folder_that_is_not_a_rollout_is_read_whole(tmp_path: Path) -> None:
    """The lean scan applies only where the full read would see a Codex rollout."""
    path = tmp_path / "rollout-x.jsonl"
    path.write_bytes(render("claude-code", [("user", "hi"), ("calls", ["toolu_1"])]))
    assert as_sessions(path, "codex") == as_check(path) == ("claude-code", 4, {"H001": 1})
    path.write_bytes(b'{"messages": []}\n')
    assert as_sessions(path, "codex") == as_check(path)


def test_blank_lines_are_no_records_in_the_lean_scan_either() -> None:
    """`check` on a big rollout (the lean scan) counts the records the full read counts."""
    data = render("codex", [("user", "hi"), ("calls", ["call_a"]), ("outputs", ["call_a"])])
    data = data.replace(b"\n", b"\n\n  \n", 2)
    full = read_history(data)
    sparse = scan_codex(line_views(data), History(dialect="codex"), lambda a, b: data[a:b])
    assert sparse.record_count == full.record_count == data.count(b'{"timestamp"')


def _real_files() -> list[Path]:
    if not REALDATA.is_dir():
        return []
    return sorted(p for p in REALDATA.rglob("*") if p.is_file() and p.suffix != ".md")


@needs_realdata
@pytest.mark.parametrize("path", _real_files(), ids=lambda p: p.name)
def test_every_real_file_is_counted_as_check_counts_it(path: Path) -> None:
    expected = as_check(path)
    for agent in AGENTS:
        assert as_sessions(path, agent) == expected, agent


def _rollouts(folder: Path, count: int) -> list[Session]:
    """`count` small rollouts, every other one with a call left without its output."""
    sessions = []
    for n in range(count):
        path = folder / f"rollout-{n}.jsonl"
        events: list[Any] = [("user", "hi"), ("calls", [f"call_{n}"])]
        path.write_bytes(
            render("codex", events if n % 2 else [*events, ("outputs", [f"call_{n}"])])
        )
        st_ = path.stat()
        sessions.append(Session("codex", path, None, None, st_.st_mtime_ns, st_.st_size, 0))
    return sessions


def test_a_real_listing_agrees_with_check_in_every_process(tmp_path: Path) -> None:
    """Counts made in the processes of the pool are the ones made here."""
    sessions = _rollouts(tmp_path, counts.POOL_FROM + 2)
    spread = counts.analyse_all(sessions, spread=True)
    assert spread == counts.analyse_all(sessions, spread=False)
    assert [row[:3] for row in spread] == [as_check(s.path) for s in sessions]


@pytest.mark.parametrize(
    "cut", [0, 1, counts.POOL_FROM - 1, counts.POOL_FROM, counts.POOL_FROM + 3]
)
def test_sessions_handed_in_as_found_are_counted_as_all_at_once(tmp_path: Path, cut: int) -> None:
    """A listing hands each agent's files to the pool as soon as they are found: the
    processes start once there are enough, and the counts come back in the order given."""
    sessions = _rollouts(tmp_path, counts.POOL_FROM + 3)
    whole = counts.analyse_all(sessions, spread=False)
    with counts.Analyser() as analyser:
        analyser.add(sessions[:cut])
        started = analyser.pool is not None
        analyser.add([])
        analyser.add(sessions[cut:])
        if counts._cores() >= 2:
            assert started == (cut >= counts.POOL_FROM)
            assert analyser.pool is not None  # before the results are asked for
        assert analyser.results() == whole
    assert analyser.pool is None  # shut down on the way out


def test_a_file_check_streams_is_counted_as_check_streams_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From the size `check` streams a file (16 MB; 1 kB here), `sessions` reads it as `check`."""
    from context_ls.history import stream

    monkeypatch.setattr(stream, "STREAM_THRESHOLD", 1024)
    events: list[Any] = [("user", "hi")]
    for n in range(20):
        events += [("calls", [f"call_{n}a", f"call_{n}b"]), ("outputs", [f"call_{n}a"])]
    path = tmp_path / "rollout-big.jsonl"
    path.write_bytes(render("codex", events))
    assert analyze_path(path, findings_only=True).history.sparse  # streamed, lean
    assert as_sessions(path, "codex") == as_check(path) == ("codex", 64, {"H001": 20})
