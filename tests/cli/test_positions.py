"""Exact 1-based line/column (code points) of findings in `check --format json`."""

from __future__ import annotations

import json
from pathlib import Path

from context_ls.history.api import analyze, normalize_bytes

from .conftest import EXAMPLES, Run

NATIVE_CALL = b'{"type":"tool_call","call_id":"c1","tool_name":"x","args":{}}'
NATIVE_OK_CALL = b'{"type":"tool_call","call_id":"c2","tool_name":"x","args":{}}'
NATIVE_OK_OUT = b'{"type":"tool_output","call_id":"c2","status":"success","content":"ok"}'
USER = b'{"type":"message","role":"user","content":"hi"}'


def findings(cli: Run, path: Path) -> list[dict]:
    result = cli("check", "--format", "json", path)
    assert result.code == 1, result
    [file] = json.loads(result.out)["files"]
    return file["findings"]


def expected_position(
    data: bytes, needle: bytes, at: int | None = None
) -> tuple[int, int, int, int]:
    """Line/column where `needle` starts and ends, 1-based, columns in code points (no BOM)."""
    at = data.index(needle) if at is None else at
    text_before = data[:at].decode("utf-8").lstrip("\ufeff")
    line = text_before.count("\n") + 1
    col = len(text_before) - (text_before.rfind("\n") + 1) + 1
    return line, col, line, col + len(needle.decode("utf-8"))


def position(f: dict) -> tuple[int, int, int, int]:
    return f["line"], f["column"], f["end_line"], f["end_column"]


def test_jsonl_position_points_at_the_id(tmp_path: Path, cli: Run) -> None:
    data = USER + b"\n" + NATIVE_OK_CALL + b"\n" + NATIVE_OK_OUT + b"\n" + NATIVE_CALL + b"\n"
    path = tmp_path / "h.jsonl"
    path.write_bytes(data)
    [f] = findings(cli, path)
    assert f["code"] == "H001" and f["call_id"] == "c1"
    assert position(f) == (4, 31, 4, 35)  # the token "c1", quotes included
    assert position(f) == expected_position(data, b'"c1"')


def test_example_positions_match_the_id_tokens(cli: Run) -> None:
    for name in ("native-tools.jsonl", "codex-rollout-crashed.jsonl", "claude-code-session.jsonl"):
        data = (EXAMPLES / name).read_bytes()
        for f in findings(cli, EXAMPLES / name):
            if f["call_id"] is None:
                continue
            analysis = analyze(data)
            [finding] = [
                x for x in analysis.findings if x.code == f["code"] and x.call_id == f["call_id"]
            ]
            item = analysis.history.items[finding.item]
            record = data[item.span.start : item.span.end]
            token = b'"' + f["call_id"].encode() + b'"'
            at = item.span.start + record.index(token)
            assert position(f) == expected_position(data, token, at), (name, f)


def test_pretty_printed_document_positions(cli: Run) -> None:
    path = EXAMPLES / "openai-chat-messages.json"
    data = path.read_bytes()
    got = {(f["code"], f["call_id"]): position(f) for f in findings(cli, path)}
    # H001 points at the call's id, H006/H002 at the tool message's tool_call_id
    h001 = "call_kAYTrqJmMkd0HMV9FBBsdjBm"
    assert got[("H001", h001)] == expected_position(data, b'"' + h001.encode() + b'"')
    for code, call_id in [
        ("H006", "call_zZTRWJGqi0xJ7RHhrV7XVxK7"),
        ("H002", "call_1eyx9bQEIliWwp6dOh3ppIfN"),
    ]:
        token = b'"tool_call_id": "' + call_id.encode() + b'"'
        line, col, _, _ = expected_position(data, token)
        col += len('"tool_call_id": ')
        assert got[(code, call_id)] == (line, col, line, col + len(call_id) + 2)
        assert line > 1 and col > 1


def test_pretty_printed_anthropic_positions(cli: Run) -> None:
    path = EXAMPLES / "anthropic-messages.json"
    data = path.read_bytes()
    for f in findings(cli, path):
        key = b'"tool_use_id": "' if f["code"] != "H001" else b'"id": "'
        token = key + f["call_id"].encode() + b'"'
        line, col, _, _ = expected_position(data, token)
        col += len(key) - 1
        assert position(f) == (line, col, line, col + len(f["call_id"]) + 2), f


def test_non_ascii_before_the_id_counts_code_points(tmp_path: Path, cli: Run) -> None:
    line = '{"type":"tool_call","note":"naïve café 🎉 日本語","call_id":"c1","tool_name":"x","args":{}}'.encode()
    data = USER + b"\n" + line + b"\n"
    path = tmp_path / "u.jsonl"
    path.write_bytes(data)
    [f] = findings(cli, path)
    prefix = '{"type":"tool_call","note":"naïve café 🎉 日本語","call_id":'
    assert position(f) == (2, len(prefix) + 1, 2, len(prefix) + 5)
    assert len(prefix) < len(prefix.encode())  # really measured in code points, not bytes


def test_crlf_file_positions_and_edits_keep_crlf(tmp_path: Path, cli: Run) -> None:
    lf = USER + b"\n" + NATIVE_CALL + b"\n" + USER + b"\n"
    crlf = lf.replace(b"\n", b"\r\n")
    (tmp_path / "lf.jsonl").write_bytes(lf)
    (tmp_path / "crlf.jsonl").write_bytes(crlf)
    [a] = findings(cli, tmp_path / "lf.jsonl")
    [b] = findings(cli, tmp_path / "crlf.jsonl")
    assert position(a) == position(b) == (2, 31, 2, 35)
    out = normalize_bytes(crlf)
    assert out != crlf
    assert out.count(b"\n") == out.count(b"\r\n") == 4  # the inserted line ends in CRLF too
    assert b'"status":"canceled"' in out
    assert normalize_bytes(out) == out


def test_crlf_document_edits_keep_crlf() -> None:
    data = (EXAMPLES / "openai-chat-messages.json").read_bytes().replace(b"\n", b"\r\n")
    out = normalize_bytes(data)
    assert out.count(b"\n") == out.count(b"\r\n")
    assert analyze(out).findings == []


def test_bom_first_line_position_ignores_the_bom(tmp_path: Path, cli: Run) -> None:
    plain = NATIVE_CALL + b"\n" + USER + b"\n"
    (tmp_path / "plain.jsonl").write_bytes(plain)
    (tmp_path / "bom.jsonl").write_bytes(b"\xef\xbb\xbf" + plain)
    [a] = findings(cli, tmp_path / "plain.jsonl")
    assert position(a) == (1, 31, 1, 35)
    [b] = findings(cli, tmp_path / "bom.jsonl")
    assert position(b) == position(a)


def test_bom_later_lines_unaffected_and_normalize_keeps_bom(tmp_path: Path, cli: Run) -> None:
    data = b"\xef\xbb\xbf" + USER + b"\n" + NATIVE_CALL + b"\n"
    path = tmp_path / "bom.jsonl"
    path.write_bytes(data)
    [f] = findings(cli, path)
    assert position(f) == (2, 31, 2, 35)
    out = normalize_bytes(data)
    assert out.startswith(b"\xef\xbb\xbf" + USER + b"\n" + NATIVE_CALL + b"\n")
    assert analyze(out).findings == []


def test_big_streamed_rollout_positions_match_in_memory(tmp_path: Path, cli: Run) -> None:
    """`check` streams a big rollout (and keeps only what findings need): same positions."""
    from context_ls.history.stream import STREAM_THRESHOLD
    from context_ls.history.where import where

    head = b'{"timestamp":"2025-10-01T10:00:00.000Z","type":"response_item","payload":'
    text = (
        '{"type":"message","role":"user","content":[{"type":"input_text","text":"é🎉 '
        + "x" * 400
        + '"}]}}'
    ).encode()
    lines = [
        b'{"timestamp":"2025-10-01T10:00:00.000Z","type":"session_meta","payload":{"id":"s","cwd":"/w"}}'
    ]
    size, n = 0, 0
    while size < STREAM_THRESHOLD + (1 << 20):
        n += 1
        batch = [
            head + text,
            head
            + b'{"type":"function_call","name":"shell","arguments":"{}","call_id":"call_%d"}}' % n,
        ]
        if n % 997:
            batch.append(
                head
                + b'{"type":"function_call_output","call_id":"call_%d","output":"%s"}}'
                % (n, b"ok " * 200)
            )
        if n % 1499 == 3:
            batch.append(
                head + b'{"type":"function_call_output","call_id":"call_%dgone","output":"?"}}' % n
            )
        size += sum(len(x) + 1 for x in batch)
        lines += batch
    data = b"\n".join(lines) + b"\n" + lines[5][:60]
    path = tmp_path / "rollout.jsonl"
    path.write_bytes(data)
    got = [(*position(f), f["code"], f["call_id"]) for f in findings(cli, path)]
    whole = analyze(data)
    want = []
    for f in whole.findings:
        at = where(whole, f.item, f.span)
        want.append((at.line, at.column, at.end_line, at.end_column, f.code, f.call_id))
    assert got == want
    assert {w[4] for w in want} == {"H001", "H002", "H007"}
