"""A big JSONL file is streamed by analyze_path: same findings and positions as in memory."""

from __future__ import annotations

from pathlib import Path

import pytest

from context_ls.history.api import analyze, analyze_path
from context_ls.history.stream import STREAM_THRESHOLD
from context_ls.history.where import where

from ._gen import render


def big_events(turns: int) -> list:
    events: list = []
    for n in range(turns):
        ids = [f"call_{n}a", f"call_{n}b"]
        outputs = ids if n % 700 else ids[:1]  # a dangling call now and then
        if n % 900 == 5:
            outputs = [*outputs, f"call_{n}gone"]  # and an orphan
        events += [
            ("user", "é🎉 " + "x" * 200),
            ("calls", ids),
            ("outputs", outputs),
            ("assistant", "y" * 1500),
        ]
    return events


@pytest.fixture(scope="module")
def big_native(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    data = render("native", big_events(9000), crlf=True, bom=True)
    data += data[3:150]  # and a half-written last line
    assert len(data) > STREAM_THRESHOLD
    path = tmp_path_factory.mktemp("big") / "big.jsonl"
    path.write_bytes(data)
    return path, data


def test_streamed_file_gives_the_same_findings_and_positions(
    big_native: tuple[Path, bytes],
) -> None:
    path, data = big_native
    streamed = analyze_path(path)
    assert streamed.data == b""  # it really was streamed
    whole = analyze(data)
    assert streamed.history.dialect == whole.history.dialect == "native"
    got = [(f.code, f.call_id, f.span, f.item, f.fixable) for f in streamed.findings]
    want = [(f.code, f.call_id, f.span, f.item, f.fixable) for f in whole.findings]
    assert got == want
    assert {f.code for f in whole.findings} == {"H001", "H002", "H007"}
    assert [where(streamed, f.item, f.span) for f in streamed.findings] == [
        where(whole, f.item, f.span) for f in whole.findings
    ]
    for f in streamed.findings:
        if f.call_id:
            assert streamed.read(f.span.start, f.span.end) == b'"' + f.call_id.encode() + b'"'


def test_streamed_non_history_is_none(tmp_path: Path) -> None:
    line = b'{"level":"info","msg":"' + b"z" * 1000 + b'","id":1}\n'
    path = tmp_path / "log.jsonl"
    path.write_bytes(line * (STREAM_THRESHOLD // len(line) + 10))
    analysis = analyze_path(path)
    assert analysis.history.dialect is None and analysis.findings == []


def test_streamed_secret_scan_matches_in_memory(tmp_path: Path) -> None:
    key = "sk-proj-" + "Ab3dE5gH7jK9mN1pQ3sT5vX7zB9dF1hJ3lN5pR7tV9xZ"
    events = big_events(9000)
    for n in (3, 4000, 8800):  # one in the first 8 MB chunk, others past chunk boundaries
        events.insert(n * 4, ("user", f"é🎉 my key {key} ok"))
    data = render("native", events, crlf=True)
    path = tmp_path / "big.jsonl"
    path.write_bytes(data)
    whole = analyze(data)
    streamed = analyze_path(path, scan_secrets_when_streaming=True)
    assert streamed.data == b""
    want = [(f.span, f.item) for f in whole.findings if f.code == "H010"]
    assert len(want) == 3
    assert [(f.span, f.item) for f in streamed.findings if f.code == "H010"] == want
    assert [where(streamed, f.item, f.span) for f in streamed.findings] == [
        where(whole, f.item, f.span) for f in whole.findings
    ]


def test_streamed_record_keeps_a_stray_carriage_return_as_the_whole_read_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A line ending `\\r\\r\\n` (an editor added a `\\r` to CRLF lines): only its one line
    break is cut, in both reads, so each record's span (and a repair's edit) is the same."""
    lines = render("native", big_events(3), crlf=True).split(b"\r\n")
    data = b"\r\r\n".join(lines[:3]) + b"\r\n" + b"\r\n".join(lines[3:])
    path = tmp_path / "cr.jsonl"
    path.write_bytes(data)
    monkeypatch.setattr("context_ls.history.stream.STREAM_THRESHOLD", 0)
    streamed = analyze_path(path)
    assert streamed.data == b""  # it really was streamed
    whole = analyze(data)
    spans = [(r.span.start, r.span.end) for r in whole.history.items]
    assert spans[0][1] - spans[0][0] == len(lines[0]) + 1  # the stray `\r` is in it
    assert [(r.span.start, r.span.end) for r in streamed.history.items] == spans
