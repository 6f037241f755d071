"""Codex rollouts as Codex writes them in 2026: namespaced MCP tools, compacted lines whose
replacement history Codex resumes from, tool searches, agent messages, paginated ordinals,
unknown item types, and rollouts stored compressed (`.jsonl.zst`)."""

from __future__ import annotations

import gc
import json
import tempfile
from pathlib import Path
from typing import Any

import msgspec
import pytest
import zstandard
from hypothesis import given
from hypothesis import strategies as st

from context_ls import compression
from context_ls.cli.main import main
from context_ls.history import api, files, stream
from context_ls.history.analyzer import Analyzer
from context_ls.history.api import analyze, analyze_path, normalize_bytes
from context_ls.history.dialects import codex
from context_ls.history.model import ItemKind
from context_ls.history.reader import read_history

from ._gen import REPO

STAMP = "2026-05-11T10:00:00.000Z"


def line(kind: str, payload: dict[str, Any], **top: Any) -> bytes:
    record = {"timestamp": STAMP, **top, "type": kind, "payload": payload}
    return json.dumps(record, separators=(",", ":")).encode()


def rollout(*lines: bytes) -> bytes:
    return b"\n".join(lines) + b"\n"


META = line("session_meta", {"id": "s1", "cwd": "/p", "cli_version": "0.130.0"})
USER = line(
    "response_item",
    {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]},
)


def call(call_id: str, name: str = "exec_command", **extra: Any) -> dict[str, Any]:
    return {"type": "function_call", "name": name, "arguments": "{}", "call_id": call_id, **extra}


def output(call_id: str) -> dict[str, Any]:
    return {"type": "function_call_output", "call_id": call_id, "output": "ok"}


def item(payload: dict[str, Any]) -> bytes:
    return line("response_item", payload)


def codes(data: bytes) -> list[tuple[str, str | None]]:
    return [(f.code, f.call_id) for f in analyze(data).findings]


# --- namespace -------------------------------------------------------------------------


def test_a_namespaced_call_is_named_with_its_namespace_and_pairs() -> None:
    data = rollout(
        META,
        USER,
        item(call("c1", "js", namespace="mcp__node_repl__")),
        item(output("c1")),
    )
    analysis = analyze(data)
    assert analysis.dialect == "codex"
    assert analysis.findings == []
    assert [c.tool for c in analysis.history.calls] == ["mcp__node_repl__js"]


def test_a_namespaced_call_without_output_is_repaired_and_keeps_its_namespace() -> None:
    call_line = item(call("c1", "js", namespace="mcp__node_repl__"))
    data = rollout(META, USER, call_line)
    findings = analyze(data).findings
    assert [(f.code, f.call_id) for f in findings] == [("H001", "c1")]
    assert "mcp__node_repl__js" in findings[0].message
    repaired = normalize_bytes(data)
    assert call_line + b"\n" in repaired  # the call's bytes, namespace and all, unchanged
    assert codes(repaired) == []


# --- compacted lines and their replacement history ----------------------------------------


def compacted(replacement: list[dict[str, Any]] | None, message: str = "summary") -> bytes:
    payload: dict[str, Any] = {"message": message}
    if replacement is not None:
        payload["replacement_history"] = replacement
    return line("compacted", payload)


SUMMARY = {"type": "compaction", "encrypted_content": "gAAAA"}
KEPT_USER = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "x"}]}


def test_pairs_copied_into_the_replacement_history_are_not_duplicates() -> None:
    """Codex may copy a call and its output into the replacement history: the copies are
    the resumed conversation, not a second call with the same id."""
    data = rollout(
        META,
        USER,
        item(call("a")),
        item(output("a")),
        compacted([KEPT_USER, call("a"), output("a"), SUMMARY]),
        USER,
    )
    assert codes(data) == []


def test_a_call_in_the_replacement_history_is_answered_after_the_compacted_line() -> None:
    """Compaction in the middle of a turn: the call is kept, its output comes later."""
    data = rollout(META, USER, compacted([KEPT_USER, call("b"), SUMMARY]), item(output("b")))
    assert codes(data) == []


def test_a_call_in_the_replacement_history_with_no_output_gets_one_after_the_line() -> None:
    replaced = compacted([KEPT_USER, call("c"), SUMMARY])
    data = rollout(META, USER, replaced, USER)
    assert codes(data) == [("H001", "c")]
    repaired = normalize_bytes(data)
    assert codes(repaired) == []
    lines = repaired.splitlines()
    at = lines.index(replaced)  # the compacted line itself is untouched
    added = json.loads(lines[at + 1])
    assert added["type"] == "response_item"
    assert added["payload"] == {"type": "function_call_output", "call_id": "c", "output": "aborted"}


def test_a_compacted_line_is_where_codex_resumes() -> None:
    data = rollout(META, USER, compacted([KEPT_USER, SUMMARY]), USER, compacted(None), USER)
    history = read_history(data)
    start = codex.resume_start(history)
    assert start == 4
    record = history.items[start]
    assert (record.kind, record.role) == (ItemKind.MESSAGE, codex.COMPACTION_ROLE)
    assert codex.resume_start(read_history(rollout(META, USER))) == 0


def test_calls_before_the_last_compaction_are_never_sent_again() -> None:
    """Codex replaces everything before a compacted line: a call cut off before it is gone
    from the conversation it resumes, so it is not a missing output."""
    data = rollout(META, USER, item(call("old")), compacted([KEPT_USER, SUMMARY]), USER)
    assert codes(data) == []


def test_an_id_missing_inside_the_replacement_history_is_reported_not_repaired() -> None:
    no_id = {"type": "function_call", "name": "x", "arguments": "{}"}
    data = rollout(META, USER, compacted([KEPT_USER, no_id, SUMMARY]))
    findings = analyze(data).findings
    assert [(f.code, f.fixable) for f in findings] == [("H007", False)]
    assert "replacement_history[1]" in findings[0].message
    assert normalize_bytes(data) == data


ITEMS = st.sampled_from(
    [
        call("p"),
        call("q", "js", namespace="mcp__x__"),
        output("p"),
        output("q"),
        {"type": "custom_tool_call", "call_id": "r", "name": "apply_patch", "input": "."},
        {"type": "custom_tool_call_output", "call_id": "r", "output": "ok"},
        {"type": "tool_search_call", "call_id": "s", "execution": "client", "arguments": {}},
        {"type": "tool_search_output", "call_id": "s", "execution": "server", "tools": []},
        {"type": "function_call", "name": "x", "arguments": "{}"},
        {"type": "function_call", "name": "x", "arguments": "{}", "call_id": 7},
        {"type": "ghost_snapshot", "ghost_commit": {}},
        {"type": "not_invented_yet", "call_id": "p"},
        KEPT_USER,
        SUMMARY,
        "not an item",
    ]
)


@given(st.lists(ITEMS, max_size=8) | st.none() | st.just("not a list"))
def test_the_fast_reader_of_a_compacted_line_agrees_with_the_generic_one(
    replacement: Any,
) -> None:
    payload: dict[str, Any] = {"message": "m"}
    if replacement is not None:
        payload["replacement_history"] = replacement
    raw = line("compacted", payload)
    assert codex.facts_from_line(raw) == codex.facts(json.loads(raw))


# --- tool search --------------------------------------------------------------------------


def search_call(call_id: str | None, execution: str) -> dict[str, Any]:
    value: dict[str, Any] = {"type": "tool_search_call", "execution": execution}
    if call_id is not None:
        value["call_id"] = call_id
    return {**value, "status": "completed", "arguments": {"query": "weather"}}


def search_output(call_id: str | None, execution: str) -> dict[str, Any]:
    value: dict[str, Any] = {"type": "tool_search_output", "execution": execution}
    if call_id is not None:
        value["call_id"] = call_id
    return {**value, "status": "completed", "tools": []}


def test_a_client_tool_search_pairs_like_any_call() -> None:
    data = rollout(
        META, USER, item(search_call("t1", "client")), item(search_output("t1", "client"))
    )
    assert codes(data) == []


def test_a_client_tool_search_without_output_gets_the_output_codex_would_add() -> None:
    data = rollout(META, USER, item(search_call("t1", "client")))
    assert codes(data) == [("H001", "t1")]
    repaired = normalize_bytes(data)
    assert codes(repaired) == []
    added = json.loads(repaired.splitlines()[-1])["payload"]
    assert (added["type"], added["call_id"], added["tools"]) == ("tool_search_output", "t1", [])


@pytest.mark.parametrize(
    "records",
    [
        [search_call(None, "server"), search_output(None, "server")],
        [search_output("gone", "server")],  # the server ran it: never an orphan
        [search_output(None, "client")],  # no call_id: never an orphan
        [search_call("t2", "server")],  # the server answers it itself
    ],
)
def test_server_side_tool_searches_are_never_judged(records: list[dict[str, Any]]) -> None:
    assert codes(rollout(META, USER, *[item(r) for r in records])) == []


def test_a_client_tool_search_output_without_its_call_is_an_orphan() -> None:
    assert codes(rollout(META, USER, item(search_output("lost", "client")))) == [("H002", "lost")]


# --- agent messages -----------------------------------------------------------------------


def test_an_agent_message_is_input_never_paired() -> None:
    message = {
        "type": "agent_message",
        "author": "/root/explorer",
        "recipient": "/root",
        "content": [{"type": "input_text", "text": "done"}],
        "call_id": "looks-like-a-call",
    }
    data = rollout(META, USER, item(call("c1")), item(message), item(output("c1")))
    history = analyze(data).history
    record = history.items[3]
    assert (record.kind, record.role) == (ItemKind.MESSAGE, "user")
    assert codes(data) == []
    assert [c.call_id for c in history.calls] == ["c1"]


# --- unknown shapes -----------------------------------------------------------------------


def test_unknown_item_and_line_types_never_pair_and_never_break_a_read() -> None:
    data = rollout(
        META,
        USER,
        item({"type": "hologram_call", "call_id": "h1", "name": "x"}),
        item({"type": "hologram_call_output", "call_id": "h2", "output": "?"}),
        item({"type": "compaction_trigger"}),
        line("world_state", {"anything": [1, 2]}),
        line("rollout_reference", {"path": "other.jsonl"}),
        line("brand_new_line_type", {"call_id": "h3", "type": "function_call_output"}),
        item(call("c1")),
        item(output("c1")),
    )
    analysis = analyze(data)
    assert analysis.dialect == "codex"
    assert analysis.findings == []
    assert [c.call_id for c in analysis.history.calls] == ["c1"]
    assert [o.call_id for o in analysis.history.outputs] == ["c1"]
    assert normalize_bytes(data) == data


# --- paginated rollouts -------------------------------------------------------------------


def paginated(*ordinals: Any) -> list[bytes]:
    meta = json.loads(META)
    meta["payload"]["history_mode"] = "paginated"
    lines = []
    for number, ordinal in enumerate(ordinals):
        record = meta if number == 0 else json.loads(USER)
        if ordinal is not None:
            record = {"timestamp": STAMP, "ordinal": ordinal, **record}
        lines.append(json.dumps(record).encode())
    return lines


def test_a_numbered_rollout_has_no_ordinal_faults() -> None:
    found = codex.read_ordinals(paginated(0, 1, 2, 3))
    assert found == codex.Ordinals(paginated=True, last=3, faults=())


def test_missing_and_reused_ordinals_are_faults_and_the_last_line_matters_most() -> None:
    found = codex.read_ordinals(paginated(0, 1, None, 2, 2, None))
    assert found.paginated and found.last is None
    assert [number for number, _ in found.faults] == [2, 4, 5]
    assert "reused" in found.faults[1][1]
    assert "refuses to resume" in found.faults[2][1]


def test_a_legacy_rollout_has_no_ordinal_faults() -> None:
    found = codex.read_ordinals([META, USER, b"", b"{not json"])
    assert found == codex.Ordinals(paginated=False, last=None, faults=())


def test_ordinals_do_not_change_what_a_rollout_says() -> None:
    lines = paginated(0, 1, 2)
    lines.append(line("response_item", call("c1"), ordinal=3))
    assert codes(b"\n".join(lines) + b"\n") == [("H001", "c1")]


def test_a_synthetic_line_carries_its_ordinal_where_codex_writes_it() -> None:
    value = codex.synthetic_line("c1", "function_call", "aborted", STAMP, ordinal=9)
    assert list(value) == ["timestamp", "ordinal", "type", "payload"]
    assert value["ordinal"] == 9
    assert "ordinal" not in codex.synthetic_line("c1", "function_call", "aborted", STAMP)


# --- .jsonl.zst ---------------------------------------------------------------------------

BROKEN = rollout(META, USER, item(call("c1")), item(output("c2")), USER)


def zst(data: bytes) -> bytes:
    return zstandard.ZstdCompressor(level=3).compress(data)


def finding_rows(analysis: api.Analysis) -> list[tuple[str, str | None, int, int]]:
    return [(f.code, f.call_id, f.span.start, f.span.end) for f in analysis.findings]


def test_a_compressed_rollout_reads_as_its_content(tmp_path: Path) -> None:
    plain, packed = tmp_path / "r.jsonl", tmp_path / "r.jsonl.zst"
    plain.write_bytes(BROKEN)
    packed.write_bytes(zst(BROKEN))
    expected = finding_rows(analyze_path(plain))
    assert [row[:2] for row in expected] == [("H001", "c1"), ("H002", "c2")]
    assert finding_rows(analyze_path(packed)) == expected
    assert analyze_path(packed).data == BROKEN


def test_check_and_report_read_a_compressed_rollout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain, packed = tmp_path / "r.jsonl", tmp_path / "r.jsonl.zst"
    plain.write_bytes(BROKEN)
    packed.write_bytes(zst(BROKEN))
    assert main(["check", str(plain)]) == 1
    from_plain = capsys.readouterr().out.replace("r.jsonl:", "FILE:")
    assert main(["check", str(packed)]) == 1
    from_packed = capsys.readouterr().out.replace("r.jsonl.zst:", "FILE:")
    assert "H001" in from_packed and from_packed == from_plain
    html = tmp_path / "report.html"
    assert main(["report", str(packed), "-o", str(html)]) == 0
    assert "c1" in html.read_text()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (zst(BROKEN)[:-6], "cut short"),
        (compression.ZSTD_MAGIC + b"\x00garbage", "not a readable zstd file"),
    ],
)
def test_a_damaged_compressed_file_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, reason: str
) -> None:
    packed = tmp_path / "r.jsonl.zst"
    packed.write_bytes(content)
    with pytest.raises(compression.CompressionError, match=reason):
        analyze_path(packed)
    assert main(["check", str(packed)]) == 2
    err = capsys.readouterr().err
    assert reason in err and "Traceback" not in err


def test_a_zst_name_over_plain_content_is_read_and_written_plain(tmp_path: Path) -> None:
    named = tmp_path / "r.jsonl.zst"
    named.write_bytes(BROKEN)
    assert [row[:2] for row in finding_rows(analyze_path(named))] == [
        ("H001", "c1"),
        ("H002", "c2"),
    ]
    assert compression.compress_like(named, b"new\n") == b"new\n"


def test_a_repaired_compressed_rollout_is_compressed_again(tmp_path: Path) -> None:
    packed = tmp_path / "r.jsonl.zst"
    packed.write_bytes(zst(BROKEN))
    content = compression.read_content(packed)
    assert content == BROKEN
    repaired = normalize_bytes(content)
    written = compression.compress_like(packed, repaired)
    assert compression.is_zstd(written)
    assert compression.decompress_if_needed(packed, written) == repaired
    packed.write_bytes(written)
    assert analyze_path(packed).findings == []
    # A file still to be made takes its form from its name.
    assert compression.is_zstd(compression.compress_like(tmp_path / "new.jsonl.zst", b"x\n"))
    assert compression.compress_like(tmp_path / "new.jsonl", b"x\n") == b"x\n"


def test_a_compressed_rollout_with_a_plain_twin_is_not_written_back(tmp_path: Path) -> None:
    packed = tmp_path / "r.jsonl.zst"
    packed.write_bytes(zst(BROKEN))
    assert compression.write_refusal(packed) is None
    (tmp_path / "r.jsonl").write_bytes(BROKEN)
    reason = compression.write_refusal(packed)
    assert reason is not None and "r.jsonl" in reason
    assert compression.write_refusal(tmp_path / "r.jsonl") is None


def test_a_big_compressed_rollout_is_streamed_from_a_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    filler = [item({"type": "reasoning", "summary": [], "encrypted_content": "e" * 200})] * 40
    data = rollout(META, USER, *filler, item(call("c1")), *filler, item(output("c2")))
    packed = tmp_path / "big.jsonl.zst"
    packed.write_bytes(zst(data))
    plain = tmp_path / "big.jsonl"
    plain.write_bytes(data)
    small = 4096  # "big" for this test: both the spill and the streamed read start here
    monkeypatch.setattr(files, "STREAM_THRESHOLD", small)
    monkeypatch.setattr(stream, "STREAM_THRESHOLD", small)
    made: list[Path] = []
    mkstemp = tempfile.mkstemp

    def watched(*args: Any, **kwargs: Any) -> tuple[int, str]:
        fd, name = mkstemp(*args, **kwargs)
        made.append(Path(name))
        return fd, name

    monkeypatch.setattr(tempfile, "mkstemp", watched)
    analysis = analyze_path(packed, findings_only=True)
    assert analysis.fetch is not None and analysis.data == b""
    assert finding_rows(analysis) == finding_rows(analyze_path(plain, findings_only=True))
    call_item = analysis.history.items[analysis.findings[0].item]
    assert b'"c1"' in analysis.read(*call_item.span)
    assert len(made) == 1 and made[0].exists()
    del analysis, call_item
    gc.collect()
    assert not made[0].exists()


def test_the_editor_gets_compressed_bytes_without_harm() -> None:
    """Files ending in .zst are binary to an editor; if one is opened anyway the server
    analyses what it was sent: no history, no finding, no crash."""
    as_text = zst(BROKEN).decode("utf-8", "replace").encode()
    for data in (zst(BROKEN), as_text):
        analysis = Analyzer().analyze(data)
        assert not analysis.is_history and analysis.findings == []


# --- real 2026 rollouts (../shared/realdata) ----------------------------------------------

REALDATA = REPO.parent / "shared" / "realdata"
needs_realdata = pytest.mark.skipif(
    not REALDATA.is_dir(), reason="../shared/realdata is not beside the clone"
)


@needs_realdata
def test_the_real_mid_turn_compaction_is_where_codex_resumes() -> None:
    path = (
        REALDATA
        / "madshn__localpush/rollout-2026-02-23T12-54-34-019c8a59-e9dd-71f0-9ae3-4079fe9726a9.jsonl"
    )
    analysis = analyze_path(path)
    start = codex.resume_start(analysis.history)
    assert analysis.history.items[start].line == 1787
    assert msgspec.json.decode(analysis.read(*analysis.history.items[start].span))["type"] == (
        "compacted"
    )
    assert analysis.findings == []


@needs_realdata
def test_real_namespaced_mcp_calls_pair() -> None:
    path = (
        REALDATA
        / "codemie-ai__codemie-code/rollout-2026-05-11T13-28-45-019e1695-0522-7c83-8b39-0dd379793f80.jsonl"
    )
    analysis = analyze_path(path)
    assert analysis.findings == []
    assert "mcp__node_repl__js" in {c.tool for c in analysis.history.calls}


@needs_realdata
@pytest.mark.parametrize(
    ("name", "call_ids", "after"),
    [
        # Cut while the command ran: nothing but a token count follows the call.
        (
            "madshn__localpush/rollout-2026-02-23T13-19-38-019c8a70-dda7-7f33-98ea-f30553347322.jsonl",
            ["call_UtYwHmwWekzvq83m8Rb9K8jJ"],
            {"token_count"},
        ),
        # Interrupted while the command ran, then resumed 15 minutes later: Codex answers
        # the call with "aborted" in memory only; the file keeps the fault.
        (
            "madshn__localpush/rollout-2026-02-23T12-47-42-019c8a53-a0dd-7130-bcd7-95445d84846a.jsonl",
            ["call_BpTazJ89W9PntRqGPwDNfwEY"],
            {"token_count", "message", "task_started", "user_message"},
        ),
        # A parser's fixture: sub-agent calls whose results are only events (collab_*), not
        # the function_call_output lines a resumed Codex would read.
        (
            "codemie-ai__codemie-code/turn-spawn-skill.jsonl",
            ["call_spawn1", "call_wait1"],
            {"collab_agent_spawn_end", "token_count", "collab_waiting_end", "task_complete"},
        ),
    ],
)
def test_real_calls_cut_off_are_true_missing_outputs(
    name: str, call_ids: list[str], after: set[str]
) -> None:
    path = REALDATA / name
    analysis = analyze_path(path)
    assert [(f.code, f.call_id) for f in analysis.findings] == [("H001", c) for c in call_ids]
    records = [json.loads(raw) for raw in path.read_bytes().splitlines() if raw.strip()]
    answers = [
        r
        for r in records
        if r["type"] in ("response_item", "compacted")
        and r["payload"].get("type") != "function_call"
        and any(c in json.dumps(r) for c in call_ids)
    ]
    assert answers == []  # no output, and no compacted line holding one
    first = analysis.history.items[analysis.findings[0].item].line
    assert {r["payload"].get("type") for r in records[first + 1 :]} - {"function_call"} <= after


def test_the_sparse_scan_of_a_big_rollout_judges_compaction_as_the_full_read_does() -> None:
    """`check` on a big rollout keeps only the records findings need; a compacted line
    resets what it must keep, so the same findings come out as from the full read."""
    from context_ls.history.fastscan import line_views, scan_codex
    from context_ls.history.model import History
    from context_ls.history.validate import validate

    data = rollout(
        META,
        USER,
        item(call("before")),  # cut off before the compaction: never sent again
        item(call("across")),
        compacted([KEPT_USER, call("kept"), SUMMARY]),
        item(output("across")),  # its call is not in the replacement history: an orphan
        item(output("kept")),
        item(call("after")),  # dangling after the compaction
    )
    full = [(f.code, f.call_id) for f in analyze(data).findings]
    sparse_history = scan_codex(line_views(data), History(dialect="codex"), lambda a, b: data[a:b])
    sparse = [(f.code, f.call_id) for f in validate(sparse_history)]
    assert full == sparse == [("H002", "across"), ("H001", "after")]


def test_a_hover_on_a_call_inside_the_replacement_history_shows_its_arguments() -> None:
    from context_ls.history.api import call_details

    kept = call("kept", arguments='{"cmd": "ls -la"}')
    analysis = analyze(rollout(META, USER, compacted([KEPT_USER, kept, SUMMARY])))
    (found,) = analysis.history.calls
    details = call_details(analysis, found)
    assert details.tool == "exec_command"
    assert "ls -la" in details.arguments_summary


def numbered(*lines: bytes) -> bytes:
    """Number the lines as a paginated rollout does (`ordinal` on each line)."""
    out = []
    for number, raw in enumerate(lines):
        value = json.loads(raw)
        out.append(json.dumps({"ordinal": number, **value}).encode() + b"\n")
    return b"".join(out)


PAGINATED_META = line(
    "session_meta", {"id": "s2", "cwd": "/p", "cli_version": "0.140.0", "history_mode": "paginated"}
)


def test_a_paginated_rollout_gets_its_synthetic_output_at_the_end_with_the_next_ordinal() -> None:
    """No ordinal is free between two numbered lines: the output Codex would add goes at
    the end, numbered next; every line before it stays byte for byte."""
    data = numbered(PAGINATED_META, USER, item(call("c1")), item(call("c2")), USER)
    repaired = normalize_bytes(data)
    assert repaired.startswith(data)
    added = [json.loads(raw) for raw in repaired[len(data) :].splitlines()]
    assert [(a["ordinal"], a["payload"]["call_id"]) for a in added] == [(5, "c1"), (6, "c2")]
    assert codes(repaired) == []
    ordinals = codex.read_ordinals(repaired.splitlines())
    assert ordinals.paginated and not ordinals.faults and ordinals.last == 6


def test_a_rollout_that_is_not_paginated_gets_its_output_right_after_the_call() -> None:
    data = rollout(META, USER, item(call("c1")), USER)
    repaired = normalize_bytes(data)
    lines_after = repaired.splitlines()
    assert json.loads(lines_after[3])["payload"]["call_id"] == "c1"
    assert "ordinal" not in json.loads(lines_after[3])
