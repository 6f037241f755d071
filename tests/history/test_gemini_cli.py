"""Gemini CLI sessions: the whole-file JSON and the JSONL upsert log (a message rewritten
under its id, the last version wins; `$set` and `$rewindTo`), their findings, and their
repairs (a cancelled result, the way the CLI writes one)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from context_ls.history.analysis import Options
from context_ls.history.analyzer import Analyzer
from context_ls.history.api import (
    analyze,
    analyze_path,
    call_details,
    normalize_bytes,
    output_details,
    trim_edits,
)
from context_ls.history.detect import detect_dialect
from context_ls.history.dialects import gemini_cli, gemini_cli_trim
from context_ls.history.model import apply_edits
from context_ls.history.rules import RULES

from ._checks import codes, normalized
from ._gen import ALL_DIALECTS, REPO, call_prefix, clean_events, render
from ._gen_gemini_cli import (
    ERROR_TEXT,
    SESSION,
    Session,
    Turn,
    expected,
    render_json,
    render_jsonl,
    tool_call,
)

REALDATA = REPO.parent / "shared" / "realdata"
REAL_SESSIONS = [
    "jnarowski__agentcmd/session-2025-10-27T19-55-981c87cb.json",
    "codemie-ai__codemie-code/session-2026-01-16T11-01-file-ops-37b7abef.json",
]
BROKEN = Session([Turn(["ok", "no-result"]), Turn(["orphan", "twice", "null-result"])])
FORMS = {
    "json": render_json,
    "json-compact": lambda s: render_json(s, pretty=False),
    "jsonl": render_jsonl,
}


def _line(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode() + b"\n"


def _answer(message_id: str, *calls: dict[str, object]) -> dict[str, object]:
    return {"id": message_id, "timestamp": "2026-03-01T10:00:00Z", "type": "gemini",
            "content": "", "toolCalls": list(calls)}  # fmt: skip


USER = {"id": "u-0", "timestamp": "2026-03-01T10:00:00Z", "type": "user", "content": "hi"}
META = _line({**SESSION, "kind": "main"})


# --- real sessions -------------------------------------------------------------------------


@pytest.mark.parametrize("name", REAL_SESSIONS)
def test_real_sessions_are_healthy_gemini_cli(name: str) -> None:
    path = REALDATA / name
    if not path.is_file():
        pytest.skip("../shared/realdata is not beside the clone")
    analysis = analyze_path(path)
    assert analysis.history.dialect == "gemini-cli"
    assert analysis.findings == []
    assert len(analysis.history.calls) == len(analysis.history.outputs) > 10
    # Every call answered by its own record: a call and its output live together.
    outputs = {o.call_id: o.item for o in analysis.history.outputs}
    assert all(outputs[c.call_id] == c.item for c in analysis.history.calls)


# --- detection -----------------------------------------------------------------------------


@pytest.mark.parametrize("form", sorted(FORMS))
def test_both_forms_are_detected(form: str) -> None:
    analysis = analyze(FORMS[form](BROKEN))
    assert analysis.history.dialect == "gemini-cli"
    assert analysis.history.document == (form != "jsonl")


@pytest.mark.parametrize("dialect", ALL_DIALECTS)
def test_other_dialects_are_not_taken_for_gemini_cli(dialect: str) -> None:
    data = render(dialect, clean_events(call_prefix(dialect)))
    assert analyze(data).history.dialect == dialect


@pytest.mark.parametrize(
    "body",
    [
        {"contents": [{"role": "user", "parts": [{"text": "hi"}]},
                      {"role": "model", "parts": [{"functionCall": {"name": "f", "args": {}}}]}]},
        {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "ok"}]},
        {"messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]},
        {"input": [{"type": "message", "id": "msg_1", "role": "user", "content": "hi"}]},
        {"sessionId": "s", "messages": [{"type": "user", "uuid": "u", "message": {"role": "user"}}]},
    ],
)  # fmt: skip
def test_provider_bodies_are_not_gemini_cli(body: dict[str, object]) -> None:
    assert analyze(json.dumps(body).encode()).history.dialect != "gemini-cli"


def test_gemini_cli_records_score_for_no_other_dialect() -> None:
    data = render_jsonl(BROKEN)
    values = [json.loads(line) for line in data.splitlines()]
    assert detect_dialect(values) == "gemini-cli"
    from context_ls.history.dialects import DIALECTS

    for name, dialect in DIALECTS.items():
        if name != "gemini-cli":
            assert all(dialect.sniff(v) < 2 for v in values), name


# --- findings ------------------------------------------------------------------------------


@pytest.mark.parametrize("form", sorted(FORMS))
def test_findings_of_a_broken_session(form: str) -> None:
    analysis = analyze(FORMS[form](BROKEN))
    assert sorted(codes(analysis)) == sorted(expected(BROKEN.turns))
    missing = [f for f in analysis.findings if f.code == "H001"]
    assert all(ERROR_TEXT in f.message and f.fixable for f in missing)
    assert "(read_file)" in missing[0].message


def test_a_rewritten_message_is_judged_by_its_last_version_only() -> None:
    """The CLI writes an answer, then again with its calls, then with its results; the
    versions before the last are no findings, and the finding points at the live one."""
    waiting = tool_call("c1", "no-result", 1)
    done = tool_call("c1", "ok", 1)
    first, second = _answer("g-0", waiting), _answer("g-0", done)
    healed = META + _line(USER) + _line(first) + _line(second)
    assert analyze(healed).findings == []
    broken = META + _line(USER) + _line(second) + _line(first)
    analysis = analyze(broken)
    assert codes(analysis) == [("H001", "c1")]
    assert analysis.history.items[analysis.findings[0].item].line == 3
    assert [i.abandoned for i in analysis.history.items] == [False, False, True, False]


def test_a_rewound_message_is_no_finding() -> None:
    broken = _answer("g-0", tool_call("c1", "no-result", 1))
    data = META + _line(USER) + _line(broken) + _line({"$rewindTo": "u-0"}) + _line(USER)
    assert analyze(data).findings == []
    # A rewind to an id the log does not hold drops every message (as the CLI reads it).
    data = META + _line(USER) + _line(broken) + _line({"$rewindTo": "nowhere"})
    assert analyze(data).findings == []


def test_a_rewind_keeps_the_messages_before_it() -> None:
    broken = _answer("g-0", tool_call("c1", "no-result", 1))
    later = {**USER, "id": "u-1"}
    data = META + _line(USER) + _line(broken) + _line(later) + _line({"$rewindTo": "u-1"})
    assert codes(analyze(data)) == [("H001", "c1")]


def test_set_messages_replaces_the_list() -> None:
    broken = _answer("g-0", tool_call("c1", "no-result", 1))
    kept = _answer("g-1", tool_call("c2", "null-result", 2))
    replaced = _line({"$set": {"messages": [USER, kept], "lastUpdated": "x"}})
    data = META + _line(USER) + _line(broken) + replaced
    analysis = analyze(data)
    assert codes(analysis) == [("H001", "c2")]
    assert analysis.history.items[analysis.findings[0].item].line == 3
    # The repair appends the message it took out of the list, completed.
    out = normalize_bytes(data)
    assert out.startswith(data) and analyze(out).findings == []
    appended = json.loads(out[len(data) :])
    assert appended["id"] == "g-1" and appended["toolCalls"][0]["status"] == "cancelled"


def test_a_message_of_a_set_list_rewritten_later_is_judged_once() -> None:
    """A message of a `$set` list written again after it: the list's copy is left behind,
    the other messages of the list stay live."""
    waiting = _answer("g-0", tool_call("c1", "no-result", 1))
    done = _answer("g-0", tool_call("c1", "ok", 1))
    other = _answer("g-1", tool_call("c2", "empty-result", 2))
    data = META + _line({"$set": {"messages": [USER, waiting, other]}}) + _line(done)
    assert codes(analyze(data)) == [("H001", "c2")]


def test_a_whole_session_on_the_first_line_then_updates() -> None:
    """The CLI reads a first line that holds `messages` as a whole legacy session, and the
    lines after it as updates of it."""
    waiting = _answer("g-0", tool_call("c1", "no-result", 1))
    first = _line({**SESSION, "messages": [USER, waiting]})
    assert codes(analyze(first + _line({"$set": {"lastUpdated": "x"}}))) == [("H001", "c1")]
    assert analyze(first + _line(_answer("g-0", tool_call("c1", "ok", 1)))).findings == []
    log = first + _line({"$set": {"lastUpdated": "x"}})
    out = normalize_bytes(log)
    assert out.startswith(log)
    assert json.loads(out[len(log) :])["toolCalls"][0]["status"] == "cancelled"
    # Alone on its line, the session is a JSON document: repaired in place.
    alone = normalize_bytes(first)
    assert json.loads(alone)["messages"][1]["toolCalls"][0]["status"] == "cancelled"


def test_crlf_log_gets_crlf_lines() -> None:
    waiting = _answer("g-0", tool_call("c1", "no-result", 1))
    data = (META + _line(USER) + _line(waiting)).replace(b"\n", b"\r\n")
    out = normalize_bytes(data)
    assert out.startswith(data) and out.endswith(b"}\r\n") and b"\n{" not in out[len(data) :]
    assert analyze(out).findings == []


def test_duplicate_call_ids_across_live_messages() -> None:
    one = _answer("g-0", tool_call("c1", "ok", 1))
    two = _answer("g-1", tool_call("c1", "ok", 1))
    found = codes(analyze(META + _line(USER) + _line(one) + _line(two)))
    assert ("H003", "c1") in found


# --- pending ---------------------------------------------------------------------------------


def test_a_call_of_the_last_answer_is_pending_while_the_file_is_fresh() -> None:
    waiting = _answer("g-0", tool_call("c1", "no-result", 1))
    data = META + _line(USER) + _line(waiting)
    live = analyze(data, options=Options(trailing_calls_pending=True))
    assert [(f.code, f.pending, f.fixable) for f in live.findings] == [("H001", True, False)]
    assert "waiting for output" in live.findings[0].message
    assert normalize_bytes(data, options=Options(trailing_calls_pending=True)) == data
    # A prompt after it: the call is over, whatever the file's age.
    later = data + _line({**USER, "id": "u-1"})
    late = analyze(later, options=Options(trailing_calls_pending=True))
    assert [(f.code, f.pending) for f in late.findings] == [("H001", False)]


# --- repairs ------------------------------------------------------------------------------------


def test_json_repair_is_in_place_and_minimal() -> None:
    data = render_json(BROKEN)
    analysis, out = normalized(data)
    assert analyze(out).findings == []
    session = json.loads(out)
    calls = [c for m in session["messages"] for c in m.get("toolCalls", [])]
    cancelled = [c for c in calls if c["status"] == "cancelled"]
    assert [c["id"] for c in cancelled] == ["read_file-0-1", "read_file-1-2"]
    part = cancelled[0]["result"][0]["functionResponse"]
    assert part == {
        "id": "read_file-0-1",
        "name": "read_file",
        "response": {"error": gemini_cli.DEFAULT_SYNTHETIC_TEXT},
    }
    # Every message without a finding is byte for byte where it was.
    flagged = {f.item for f in analysis.findings}
    for item in analysis.history.items:
        if item.index not in flagged:
            assert data[item.span.start : item.span.end] in out
    # Pretty-printed like the file: the new member sits on its own line.
    assert b'\n          "result": [\n' in out
    # `explain H001` and the README say what this fix gives Gemini CLI.
    assert "`functionResponse` with an error text" in RULES["H001"].fix
    assert "status `cancelled`" in RULES["H001"].fix


def test_jsonl_repair_appends_the_completed_message() -> None:
    data = render_jsonl(BROKEN)
    out = normalize_bytes(data)
    assert out.startswith(data)
    new_lines = out[len(data) :].splitlines()
    assert [json.loads(line)["id"] for line in new_lines] == ["g-0", "g-1"]
    # All other fields of the record kept: only the repaired call changed.
    before = {m["id"]: m for m in map(json.loads, data.splitlines()) if "id" in m}
    after = json.loads(new_lines[0])
    assert {k: v for k, v in after.items() if k != "toolCalls"} == {
        k: v for k, v in before["g-0"].items() if k != "toolCalls"
    }
    assert after["toolCalls"][0] == before["g-0"]["toolCalls"][0]
    assert analyze(out).findings == []


def test_synthetic_text_is_configurable() -> None:
    options = Options(synthetic_output_text={"gemini-cli": "[Operation Cancelled] Reason: crash"})
    out = normalize_bytes(render_jsonl(BROKEN), options=options)
    assert b'"error":"[Operation Cancelled] Reason: crash"' in out


def test_jsonl_repair_after_a_half_written_last_line() -> None:
    waiting = _answer("g-0", tool_call("c1", "no-result", 1))
    data = META + _line(USER) + _line(waiting) + b'{"id":"g-1","timest'
    analysis = analyze(data)
    assert sorted(f.code for f in analysis.findings) == ["H001", "H007"]
    out = normalize_bytes(data)
    assert analyze(out).findings == []
    assert out.startswith(META + _line(USER) + _line(waiting)) and out.endswith(b"}\n")


@pytest.mark.parametrize(
    ("result", "found"), [("", ["H001"]), ("ok", []), ({"text": "x"}, ["H001"])]
)
def test_result_shapes(result: object, found: list[str]) -> None:
    """A string result is the call's response (an empty one is left out when the CLI
    resumes); a part that is no functionResponse answers nothing."""
    entry = {"id": "c1", "name": "read_file", "args": {}, "status": "success", "result": result}
    data = META + _line(USER) + _line(_answer("g-0", entry))
    assert [f.code for f in analyze(data).findings] == found
    out = normalize_bytes(data)
    assert out.startswith(data) and analyze(out).findings == []


def test_a_call_without_an_id_is_h007() -> None:
    nameless: dict[str, object] = {
        "name": "read_file",
        "args": {},
        "status": "success",
        "result": [],
    }
    found = codes(analyze(META + _line(USER) + _line(_answer("g-0", nameless))))
    assert found == [("H007", None)]


# --- hover, trim, incremental re-read ------------------------------------------------------------


def test_hover_details_of_a_call_and_its_output() -> None:
    analysis = analyze(render_jsonl(Session([Turn(["ok"])])))
    call, output = analysis.history.calls[-1], analysis.history.outputs[-1]
    shown = call_details(analysis, call)
    assert shown.tool == "read_file" and "/work/file-0.txt" in shown.arguments_summary
    result = output_details(analysis, output)
    assert result.first_line == "contents of file 0" and result.status == "success"


def test_trim_keeps_pairs_and_adds_no_finding() -> None:
    data = render_json(Session([Turn(["ok"]), Turn(["ok", "ok"]), Turn([])]))
    analysis = analyze(data)
    out = apply_edits(data, trim_edits(analysis, 3))
    trimmed = analyze(out)
    assert trimmed.history.dialect == "gemini-cli" and trimmed.findings == []
    assert json.loads(out)["messages"][0]["type"] == "user"


# The example's live messages: a prompt, an answer, a prompt, two answers.
@pytest.mark.parametrize(
    ("keep", "kept"), [(0, 0), (1, 3), (2, 3), (3, 3), (4, 3), (5, 5), (50, 5)]
)
def test_trim_of_the_log_appends_a_checkpoint(keep: int, kept: int) -> None:
    """The log keeps every line; one `$set.messages` line holds the last live messages
    from a prompt on, their bytes as they were (the engine's trim goes through
    `Dialect.trim`, so what `context-ls trim` and the server do is this)."""
    data = normalize_bytes((REPO / "examples" / "gemini-cli-session.jsonl").read_bytes())
    analysis = analyze(data)
    live = gemini_cli.live_messages(analysis.history)
    edits = trim_edits(analysis, keep)
    assert edits == gemini_cli_trim.trim_edits(analysis.history, data, keep)
    out = apply_edits(data, edits)
    assert out.startswith(data)
    trimmed = analyze(out)
    assert trimmed.history.dialect == "gemini-cli" and trimmed.findings == []
    after = list(gemini_cli.live_messages(trimmed.history))
    assert len(live) == 5 and after == list(live)[len(live) - kept :]
    if keep >= len(live):
        assert out == data
    else:
        checkpoint = json.loads(out[len(data) :])["$set"]["messages"]
        assert not checkpoint or checkpoint[0]["type"] == "user"


def test_trim_of_a_log_with_rewritten_versions_keeps_every_line() -> None:
    """A log whose last lines are versions of earlier messages: the cut of the record
    trim would land on them (and removed every line); the checkpoint keeps the last
    prompt and what follows, and a negative count is refused as for every dialect."""
    first = _line(_answer("g-0", tool_call("c1", "no-result", 1)))
    data = META + _line(USER) + first + _line(_answer("g-0", tool_call("c1", "ok", 1))) * 3
    analysis = analyze(data)
    out = apply_edits(data, trim_edits(analysis, 1))
    assert out.startswith(data) and out.count(b"\n") == data.count(b"\n") + 1
    assert list(gemini_cli.live_messages(analyze(out).history)) == ["u-0", "g-0"]
    with pytest.raises(ValueError, match="zero or more"):
        trim_edits(analysis, -1)


def test_incremental_reread_follows_versions() -> None:
    """The server re-reads only the lines an edit touched: a version appended, then taken
    away again, gives the findings of a full read each time."""
    waiting = META + _line(USER) + _line(_answer("g-0", tool_call("c1", "no-result", 1)))
    done = waiting + _line(_answer("g-0", tool_call("c1", "ok", 1)))
    analyzer = Analyzer()
    assert codes(analyzer.analyze(waiting)) == [("H001", "c1")]
    assert codes(analyzer.analyze(done)) == []
    assert codes(analyzer.analyze(waiting)) == [("H001", "c1")]
    rewound = done + _line({"$rewindTo": "u-0"})
    assert codes(analyzer.analyze(rewound)) == []
    assert codes(analyzer.analyze(waiting)) == codes(analyze(waiting))


def test_an_edit_inside_a_line_that_revives_an_older_version() -> None:
    """The live version edited in place into another message (same lines, another kind of
    record): the version before it is live again."""
    waiting = _line(_answer("g-0", tool_call("c1", "no-result", 1)))
    done = META + _line(USER) + waiting + _line(_answer("g-0", tool_call("c1", "ok", 1)))
    note = {"id": "i-1", "timestamp": "2026-03-01T10:00:00Z", "type": "info", "content": "x"}
    edited = META + _line(USER) + waiting + _line(note)
    analyzer = Analyzer()
    assert codes(analyzer.analyze(done)) == []
    assert codes(analyzer.analyze(edited)) == codes(analyze(edited)) == [("H001", "c1")]


def test_example_file_reads_as_documented() -> None:
    path = REPO / "examples" / "gemini-cli-session.jsonl"
    analysis = analyze_path(Path(path))
    assert analysis.history.dialect == "gemini-cli"
    assert sorted(f.code for f in analysis.findings) == ["H001", "H002"]
