"""Each rule's positive and negative cases, in every dialect it applies to."""

from __future__ import annotations

import json

import pytest

from context_ls.history.api import Options, analyze
from context_ls.history.rules import RULES, get_rule

from ._gen import (
    ALL_DIALECTS,
    CC_BASE,
    DOCUMENT_DIALECTS,
    JSONL_DIALECTS,
    call_prefix,
    clean_events,
    codes,
    dumps,
    records_of,
    render,
    render_records,
)

ADJACENT = ("anthropic", "claude-code", "openai-chat")
FAKE_KEY = "sk-proj-" + "Ab3dE5gH7jK9mN1pQ3sT5vX7zB9dF1hJ3lN5pR7tV9xZ"


def ids(dialect: str, *names: str) -> list[str]:
    return [call_prefix(dialect) + n for n in names]


def found(dialect: str, events: list, **kw) -> list[tuple[str, str | None]]:
    analysis = analyze(render(dialect, events, **kw))
    assert analysis.history.dialect == dialect
    return codes(analysis)


@pytest.mark.parametrize("dialect", ALL_DIALECTS)
def test_clean_history_has_no_findings(dialect: str) -> None:
    assert found(dialect, clean_events(call_prefix(dialect), (1, 3, 2))) == []


@pytest.mark.parametrize("dialect", ALL_DIALECTS)
def test_h001_missing_output(dialect: str) -> None:
    a, b = ids(dialect, "A", "B")
    events = [("user", "go"), ("calls", [a, b]), ("outputs", [a]), ("assistant", "x")]
    assert found(dialect, events) == [("H001", b)]
    analysis = analyze(render(dialect, events))
    [finding] = analysis.findings
    assert finding.rule == "missing-output" and finding.severity == "error" and finding.fixable
    assert b in finding.message


@pytest.mark.parametrize("dialect", ALL_DIALECTS)
def test_h001_at_the_very_end(dialect: str) -> None:
    [a] = ids(dialect, "A")
    assert found(dialect, [("user", "go"), ("calls", [a])]) == [("H001", a)]


@pytest.mark.parametrize("dialect", ALL_DIALECTS)
def test_h001_trailing_call_pending_option(dialect: str) -> None:
    [a] = ids(dialect, "A")
    data = render(dialect, [("user", "go"), ("calls", [a])])
    [finding] = analyze(data, options=Options(trailing_calls_pending=True)).findings
    assert finding.code == "H001" and finding.pending and not finding.fixable


@pytest.mark.parametrize("dialect", ALL_DIALECTS)
def test_h002_orphan_output(dialect: str) -> None:
    a, z = ids(dialect, "A", "Zgone")
    events = [("user", "go"), ("calls", [a]), ("outputs", [a, z]), ("assistant", "x")]
    assert found(dialect, events) == [("H002", z)]
    [finding] = analyze(render(dialect, events)).findings
    assert finding.rule == "orphan-output" and finding.fixable


@pytest.mark.parametrize("dialect", ALL_DIALECTS)
def test_h003_duplicate_call_id(dialect: str) -> None:
    a, b = ids(dialect, "A", "B")
    events = [
        ("user", "go"),
        ("calls", [a]),
        ("outputs", [a]),
        ("calls", [b, a]),
        ("outputs", [b]),
        ("assistant", "x"),
    ]
    got = found(dialect, events)
    assert ("H003", a) in got
    assert [c for c in got if c[0] == "H003"] == [("H003", a)]
    assert not [c for c in got if c[0] in ("H001", "H002")]
    finding = next(f for f in analyze(render(dialect, events)).findings if f.code == "H003")
    assert not finding.fixable and finding.related


@pytest.mark.parametrize("dialect", ALL_DIALECTS)
def test_h004_duplicate_output(dialect: str) -> None:
    a, b = ids(dialect, "A", "B")
    events = [("user", "go"), ("calls", [a, b]), ("outputs", [a, b, a]), ("assistant", "x")]
    assert found(dialect, events) == [("H004", a)]
    [finding] = analyze(render(dialect, events)).findings
    assert finding.fixable and finding.related


@pytest.mark.parametrize("dialect", ALL_DIALECTS)
def test_h005_output_before_call(dialect: str) -> None:
    a, b = ids(dialect, "A", "B")
    events = [
        ("user", "go"),
        ("outputs", [a]),
        ("calls", [a, b]),
        ("outputs", [b]),
        ("assistant", "x"),
    ]
    assert found(dialect, events) == [("H005", a)]
    [finding] = analyze(render(dialect, events)).findings
    assert finding.fixable and finding.related


@pytest.mark.parametrize("dialect", ALL_DIALECTS)
def test_h006_only_where_adjacency_is_required(dialect: str) -> None:
    [a] = ids(dialect, "A")
    events = [
        ("user", "go"),
        ("calls", [a]),
        ("user", "still there?"),
        ("outputs", [a]),
        ("assistant", "x"),
    ]
    expected = [("H006", a)] if dialect in ADJACENT else []
    assert found(dialect, events) == expected


@pytest.mark.parametrize("dialect", ADJACENT)
def test_h006_output_after_assistant_text(dialect: str) -> None:
    a, b = ids(dialect, "A", "B")
    events = [
        ("user", "go"),
        ("calls", [a, b]),
        ("outputs", [a]),
        ("assistant", "hm"),
        ("outputs", [b]),
    ]
    assert found(dialect, events) == [("H006", b)]


def test_claude_code_split_assistant_lines_and_consecutive_results_are_adjacent() -> None:
    calls = ids("claude-code", "A", "B", "C")
    events = [
        ("user", "go"),
        ("calls", calls),
        ("outputs", calls),
        ("assistant", "done"),
        ("user", "more"),
    ]
    data = render("claude-code", events)
    lines = [json.loads(line) for line in data.splitlines()]
    assistant_ids = {line["message"]["id"] for line in lines if line.get("type") == "assistant"}
    result_lines = [
        line
        for line in lines
        if line.get("type") == "user" and isinstance(line["message"]["content"], list)
    ]
    assert len(result_lines) == 3 and len(assistant_ids) == 2  # one reply split over 4 lines
    assert analyze(data).findings == []
    # results in another order within the run are still adjacent
    events = [
        ("user", "go"),
        ("calls", calls),
        ("outputs", [calls[2], calls[0], calls[1]]),
        ("assistant", "ok"),
    ]
    assert found("claude-code", events) == []


def test_claude_code_result_after_a_new_user_prompt_is_not_adjacent() -> None:
    [a] = ids("claude-code", "A")
    events = [("user", "go"), ("calls", [a]), ("user", "hello?"), ("outputs", [a])]
    assert found("claude-code", events) == [("H006", a)]


def test_anthropic_result_two_messages_late() -> None:
    a, b = ids("anthropic", "A", "B")
    events = [
        ("user", "go"),
        ("calls", [a]),
        ("outputs", [a]),
        ("calls", [b]),
        ("user", "x"),
        ("assistant", "y"),
        ("outputs", [b]),
    ]
    assert found("anthropic", events) == [("H006", b)]


def test_anthropic_consecutive_messages_of_a_role_are_one_turn() -> None:
    # the API combines them: results after a second assistant message are adjacent
    a = ids("anthropic", "A")[0]
    events = [("user", "go"), ("calls", [a]), ("assistant", "x"), ("outputs", [a])]
    assert found("anthropic", events) == []


# --- H007 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", JSONL_DIALECTS)
def test_h007_malformed_line_mid_file_is_reported_not_fixable(dialect: str) -> None:
    data = render(dialect, clean_events(call_prefix(dialect)))
    lines = data.split(b"\n")
    lines.insert(3, b'{"type": "broken", ')
    analysis = analyze(b"\n".join(lines))
    assert analysis.history.dialect == dialect
    assert codes(analysis) == [("H007", None)]
    [finding] = analysis.findings
    assert not finding.fixable
    assert analysis.history.items[finding.item].line == 3


@pytest.mark.parametrize("dialect", JSONL_DIALECTS)
def test_h007_truncated_last_line_is_fixable(dialect: str) -> None:
    data = render(dialect, clean_events(call_prefix(dialect)))
    cut = data.rstrip(b"\n")
    cut = cut[: cut.rfind(b"\n") + 30]  # half of the last line, no newline
    analysis = analyze(cut)
    assert analysis.history.dialect == dialect
    assert ("H007", None) in codes(analysis)
    h007 = [f for f in analysis.findings if f.code == "H007"]
    assert len(h007) == 1 and h007[0].fixable


@pytest.mark.parametrize("dialect", DOCUMENT_DIALECTS)
def test_h007_broken_document(dialect: str) -> None:
    data = render(dialect, clean_events(call_prefix(dialect)), pretty=True)
    cut = data[: int(len(data) * 0.8)]
    analysis = analyze(cut)
    assert analysis.history.dialect == dialect
    assert "H007" in {c for c, _ in codes(analysis)}


@pytest.mark.parametrize("dialect", ALL_DIALECTS)
def test_h007_call_without_an_id(dialect: str) -> None:
    records = records_of(dialect, clean_events(call_prefix(dialect)))
    first = call_prefix(dialect) + "A"
    raw = dumps(records).replace(f'"{first}"'.encode(), b'""', 1)  # the call's id, emptied
    records = json.loads(raw)
    layout = (
        "jsonl"
        if dialect in JSONL_DIALECTS
        else "messages"
        if dialect != "openai-responses"
        else "input"
    )
    got = codes(analyze(render_records(records, layout)))
    assert ("H007", None) in got


# --- H008 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["success", "failed", "canceled", "timeout"])
def test_h008_valid_statuses(status: str) -> None:
    records = records_of("native", clean_events())
    for r in records:
        if r.get("type") == "tool_output":
            r["status"] = status
    assert codes(analyze(render_records(records))) == []


@pytest.mark.parametrize("status", ["done", "ok", "SUCCESS", "", None, 3])
def test_h008_invalid_status(status: object) -> None:
    records = records_of("native", clean_events())
    target = next(r for r in records if r.get("type") == "tool_output")
    target["status"] = status
    analysis = analyze(render_records(records))
    assert codes(analysis) == [("H008", target["call_id"])]
    assert analysis.findings[0].severity == "warning" and not analysis.findings[0].fixable


def test_h008_missing_status_is_invalid() -> None:
    records = records_of("native", clean_events())
    target = next(r for r in records if r.get("type") == "tool_output")
    del target["status"]
    assert codes(analyze(render_records(records))) == [("H008", target["call_id"])]


@pytest.mark.parametrize("dialect", ["codex", "openai-responses"])
def test_h008_only_for_native(dialect: str) -> None:
    records = records_of(dialect, clean_events())
    for r in records:
        payload = r.get("payload", r)
        if payload.get("type") == "function_call_output":
            payload["status"] = "done"
    layout = "jsonl" if dialect == "codex" else "input"
    assert codes(analyze(render_records(records, layout))) == []


# --- H009 ------------------------------------------------------------------------------------


def test_h009_broken_parent_link() -> None:
    records = records_of("claude-code", clean_events("toolu_"))
    records[4]["parentUuid"] = "11111111-2222-4333-8444-555555555555"
    analysis = analyze(render_records(records))
    assert codes(analysis) == [("H009", None)]
    [finding] = analysis.findings
    assert finding.fixable
    assert analysis.history.items[finding.item].line == 4
    start = analysis.data.index(b'"11111111-2222-4333-8444-555555555555"')
    assert finding.span.start in (start, start + 1)  # points at the parentUuid value


def test_h009_null_parents_everywhere_is_fine() -> None:
    records = records_of("claude-code", clean_events("toolu_"))
    for r in records:
        if "parentUuid" in r:
            r["parentUuid"] = None
    assert codes(analyze(render_records(records))) == []


def test_h009_not_for_other_dialects() -> None:
    records = records_of("native", clean_events())
    for r in records:
        r["parentUuid"] = "nowhere"
    assert codes(analyze(render_records(records))) == []


@pytest.mark.timeout(10)
@pytest.mark.parametrize(
    "links",
    [
        {"u1": "u1"},  # a line that is its own parent
        {"u1": "u2", "u2": "u1"},  # a two-line loop
        {"u1": "u3", "u2": "u1", "u3": "u2"},  # a three-line loop
    ],
)
def test_parent_loops_never_hang(links: dict[str, str]) -> None:
    lines = []
    for n, (uuid, parent) in enumerate(sorted(links.items())):
        message = {"role": "user", "content": f"m{n}"}
        lines.append(
            {"parentUuid": parent, **CC_BASE, "type": "user", "message": message, "uuid": uuid}
        )
    block = {"type": "tool_use", "id": "toolu_L", "name": "Bash", "input": {}}
    lines.append(
        {
            "parentUuid": "u1",
            **CC_BASE,
            "type": "assistant",
            "uuid": "a9",
            "message": {"id": "m", "role": "assistant", "content": [block]},
        }
    )
    lines.append(
        {
            "parentUuid": "u1",
            **CC_BASE,
            "type": "user",
            "uuid": "u1",
            "message": {"role": "user", "content": "dup uuid"},
        }
    )
    data = render_records(lines)
    from context_ls.history.api import normalize_bytes, trim_edits

    analysis = analyze(data)
    assert analysis.history.dialect == "claude-code"
    assert ("H001", "toolu_L") in codes(analysis)
    out = normalize_bytes(data)
    assert normalize_bytes(out) == out
    trim_edits(analysis, 1)


# --- H010 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", ALL_DIALECTS)
def test_h010_secret_in_history(dialect: str) -> None:
    events = [
        ("user", f"my key is OPENAI_API_KEY={FAKE_KEY} please use it"),
        *clean_events(call_prefix(dialect)),
    ]
    data = render(dialect, events)
    analysis = analyze(data)
    h010 = [f for f in analysis.findings if f.code == "H010"]
    assert len(h010) == 1
    assert h010[0].severity == "warning" and not h010[0].fixable
    assert FAKE_KEY.encode()[:12] in data[h010[0].span.start : h010[0].span.end]
    assert [f for f in analysis.findings if f.code != "H010"] == []
    assert not [
        f for f in analyze(data, options=Options(detect_secrets=False)).findings if f.code == "H010"
    ]


def test_h010_ids_and_hashes_are_not_secrets() -> None:
    events = [
        (
            "user",
            "see call_abcdefghijklmnopqrstuvwx and toolu_01Qy8CpoHUQd97kD4nWfyFVL, sha 8a1d4f7c2e9b0a3c5d6e7f8091a2b3c4d5e6f708",
        )
    ]
    events += clean_events()
    assert codes(analyze(render("native", events))) == []


def test_h010_not_reported_for_ordinary_json() -> None:
    data = json.dumps({"name": "x", "env": {"OPENAI_API_KEY": FAKE_KEY}}).encode()
    analysis = analyze(data)
    assert analysis.history.dialect is None and analysis.findings == []


# --- options and the registry ----------------------------------------------------------------


def test_enforce_invariants_off_reports_only_malformed() -> None:
    data = render("native", [("user", "go"), ("calls", ["call_A"]), ("outputs", ["call_Z"])])
    data += b'{"type":"tool_call","call_id":'
    got = analyze(data, options=Options(enforce_invariants=False, detect_secrets=False))
    assert {c for c, _ in codes(got)} == {"H007"}


def test_severity_overrides() -> None:
    data = render("native", [("user", "go"), ("calls", ["call_A"]), ("outputs", ["call_Z"])])
    got = analyze(data, options=Options(severity={"H001": "off", "orphan-output": "warning"}))
    assert [(f.code, f.severity) for f in got.findings] == [("H002", "warning")]


def test_rule_registry() -> None:
    # H011-H013 are message rules, H014-H016 the fine-tuning data set rules.
    assert sorted(RULES) == [f"H{n:03d}" for n in range(1, 17)]
    names = {
        "H001": "missing-output",
        "H002": "orphan-output",
        "H003": "duplicate-call-id",
        "H004": "duplicate-output",
        "H005": "output-before-call",
        "H006": "output-not-adjacent",
        "H007": "malformed-record",
        "H008": "invalid-status",
        "H009": "broken-parent-link",
        "H011": "results-not-first",
        "H012": "empty-text",
        "H013": "empty-error-result",
        "H014": "invalid-arguments",
        "H015": "unknown-tool",
        "H016": "invalid-message",
    }
    for code, name in names.items():
        assert RULES[code].name == name
        assert get_rule(name) is RULES[code] and get_rule(code.lower()) is RULES[code]
    assert get_rule("H999") is None


API_ERRORS = {
    "codex": (
        "No tool output found for function call {A}.",
        "No tool call found for function call output with call_id {Z}.",
    ),
    "openai-responses": (
        "No tool output found for function call {A}.",
        "No tool call found for function call output with call_id {Z}.",
    ),
    "openai-chat": (
        "An assistant message with 'tool_calls' must be followed by tool messages responding to each "
        "'tool_call_id'. The following tool_call_ids did not have response messages: {A}",
        "messages with role 'tool' must be a response to a preceeding message with 'tool_calls'",
    ),
    "anthropic": (
        "`tool_use` ids were found without `tool_result` blocks immediately after: {A}",
        "unexpected `tool_use_id` found in `tool_result` blocks: {Z}",
    ),
    "claude-code": (
        "`tool_use` ids were found without `tool_result` blocks immediately after: {A}",
        "unexpected `tool_use_id` found in `tool_result` blocks: {Z}",
    ),
}


@pytest.mark.parametrize("dialect", sorted(API_ERRORS))
def test_messages_quote_the_api_error(dialect: str) -> None:
    a, z = ids(dialect, "A", "Zgone")
    analysis = analyze(render(dialect, [("user", "go"), ("calls", [a]), ("outputs", [z])]))
    by_code = {f.code: f.message for f in analysis.findings}
    missing, orphan = API_ERRORS[dialect]
    assert missing.format(A=a) in by_code["H001"]
    assert orphan.format(Z=z) in by_code["H002"]


def test_custom_tool_call_message_names_custom_tool_calls() -> None:
    data = render("codex", [("user", "go"), ("calls", ["call_A"])], {"call_A": "custom_tool_call"})
    [finding] = analyze(data).findings
    assert "No tool output found for custom tool call call_A." in finding.message


def _cc(uuid: str, parent: str | None, kind: str, content: object, mid: str | None = None) -> dict:
    message: dict = {"role": kind, "content": content}
    if mid:
        message["id"] = mid
    return {"parentUuid": parent, **CC_BASE, "type": kind, "message": message, "uuid": uuid}


def test_claude_code_dangling_call_in_a_line_before_its_parent() -> None:
    block = [{"type": "tool_use", "id": "toolu_X", "name": "Bash", "input": {}}]
    data = render_records([_cc("a", "b", "assistant", block, "m1"), _cc("b", None, "user", "go")])
    assert codes(analyze(data)) == [("H001", "toolu_X")]


def test_claude_code_rewind_abandons_the_old_branch() -> None:
    use = [{"type": "tool_use", "id": "toolu_X", "name": "Bash", "input": {}}]
    result = [{"type": "tool_result", "tool_use_id": "toolu_X", "content": "ok"}]
    text = [{"type": "text", "text": "ok"}]
    lines = [
        _cc("u1", None, "user", "go"),
        _cc("a1", "u1", "assistant", use, "m1"),  # left behind by a rewind, dangling
        _cc("u2", "u1", "user", "again"),
        _cc("a2", "u2", "assistant", text, "m2"),
    ]
    assert codes(analyze(render_records(lines))) == []
    lines.insert(2, _cc("r1", "a1", "user", result))
    assert codes(analyze(render_records(lines))) == []


def test_claude_code_unrelated_root_line_between_call_and_result() -> None:
    use = [{"type": "tool_use", "id": "toolu_A", "name": "Bash", "input": {}}]
    result = [{"type": "tool_result", "tool_use_id": "toolu_A", "content": "ok"}]
    lines = [
        _cc("u1", None, "user", "go"),
        _cc("a1", "u1", "assistant", use, "m1"),
        _cc("x1", None, "user", "queued prompt from another chain"),
        _cc("r1", "a1", "user", result),  # chained straight to the call
    ]
    assert codes(analyze(render_records(lines))) == []


def test_claude_code_system_line_between_call_and_result_is_fine() -> None:
    use = [{"type": "tool_use", "id": "toolu_A", "name": "Bash", "input": {}}]
    result = [{"type": "tool_result", "tool_use_id": "toolu_A", "content": "ok"}]
    system = {"parentUuid": "a1", **CC_BASE, "type": "system", "content": "hook ran", "uuid": "s1"}
    lines = [
        _cc("u1", None, "user", "go"),
        _cc("a1", "u1", "assistant", use, "m1"),
        system,
        _cc("r1", "s1", "user", result),
    ]
    assert codes(analyze(render_records(lines))) == []


def test_anthropic_result_must_be_in_a_user_message() -> None:
    messages = [
        {"role": "user", "content": "go"},
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "toolu_A", "name": "x", "input": {}}],
        },
        {
            "role": "tool",
            "content": [{"type": "tool_result", "tool_use_id": "toolu_A", "content": "ok"}],
        },
    ]
    analysis = analyze(dumps({"messages": messages}))
    assert analysis.history.dialect == "anthropic"
    assert [c for c in codes(analysis) if c[1] == "toolu_A"]
