"""Fine-tuning data sets (`openai-finetune`): one whole conversation a line, each judged by
itself with the Chat rules, the last assistant message being the training target."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from context_ls.cli.main import main
from context_ls.history.analysis import Options
from context_ls.history.analyzer import Analyzer
from context_ls.history.api import analyze, analyze_path, fix_edits, fix_title
from context_ls.history.model import apply_edits
from context_ls.history.where import where
from dataset_rows import DONE, USER
from dataset_rows import ask as _ask
from dataset_rows import call as _call
from dataset_rows import tool as _tool

from ._gen import REPO, _chat, broken_events, clean_events, codes, dumps, normalized, render_dataset
from .test_incremental import snapshot

NAME = "openai-finetune"


def _line(messages: list[Any], **extra: Any) -> bytes:
    return dumps({**extra, "messages": messages})


def _check(*lines: bytes) -> Any:
    return analyze(b"\n".join(lines) + b"\n")


def test_a_data_set_is_detected_from_content() -> None:
    analysis = _check(_line([USER, DONE]), _line([USER, _ask(_call("call_1"))]))
    assert analysis.history.dialect == NAME
    assert analysis.findings == []


def test_the_target_call_has_no_output_by_design_and_ids_repeat_between_lines() -> None:
    target = _line([USER, _ask(_call("call_1"))])
    answered = _line([USER, _ask(_call("call_1")), _tool("call_1"), DONE])
    assert codes(_check(target, answered, target)) == []


def test_a_dangling_call_before_the_target_is_h001_at_its_line_message_and_call() -> None:
    broken = _line([USER, _ask(_call("call_1"), _call("call_2")), _tool("call_1"), DONE])
    data = _line([USER, DONE]) + b"\n" + broken + b"\n"
    analysis = analyze(data)
    assert codes(analysis) == [("H001", "call_2")]
    finding = analysis.findings[0]
    assert finding.message.startswith("line 2, message 2: call call_2 (shell) has no output")
    at = where(analysis, finding.item, finding.span)
    assert at.line == 2
    assert data[finding.span.start : finding.span.end] == dumps(_call("call_2"))


def test_pairing_and_adjacency_are_judged_within_the_line() -> None:
    late = _line([USER, _ask(_call("call_1")), USER, _tool("call_1"), DONE])
    orphan = _line([USER, DONE, _tool("call_9"), DONE])
    early = _line([USER, _tool("call_1"), _ask(_call("call_1")), DONE])
    twice = _line([USER, _ask(_call("call_1")), _tool("call_1"), _tool("call_1"), DONE])
    duplicate = _line(
        [USER, _ask(_call("call_1")), _tool("call_1"), _ask(_call("call_1")), _tool("call_1")]
    )
    found = codes(_check(late, orphan, early, twice, duplicate))
    assert found == [
        ("H006", "call_1"),
        ("H002", "call_9"),
        ("H005", "call_1"),
        ("H004", "call_1"),
        ("H003", "call_1"),
        ("H004", "call_1"),
    ]


def test_h014_arguments_must_be_a_string_holding_a_json_object() -> None:
    cases = [{"a": 1}, "[1]", "{not json", 3, None]
    lines = [_line([USER, _ask(_call(f"call_{n}", arguments=a))]) for n, a in enumerate(cases)]
    analysis = _check(_line([USER, _ask(_call("call_ok", arguments='{"a": 1}'))]), *lines)
    found = [(f.code, f.call_id) for f in analysis.findings]
    assert found == [("H014", f"call_{n}") for n in range(len(cases))]
    assert "a JSON object, not a string holding one" in analysis.findings[0].message


def test_h015_a_call_to_a_function_not_in_the_lines_tools() -> None:
    tools = [{"type": "function", "function": {"name": "get_price"}}]
    known = _line([USER, _ask(_call("call_1", "get_price"))], tools=tools)
    unknown = _line([USER, _ask(_call("call_1", "get_prices"))], tools=tools)
    no_tools = _line([USER, _ask(_call("call_1", "anything"))])
    analysis = _check(known, unknown, no_tools)
    assert codes(analysis) == [("H015", "call_1")]
    assert analysis.findings[0].message == (
        "line 2, message 2: call call_1 names function 'get_prices', which is not in this "
        "line's tools (get_price)"
    )


def test_h016_unknown_roles_and_tool_content_that_is_not_a_string() -> None:
    robot = _line([USER, {"role": "robot", "content": "beep"}, DONE])
    content = _line([USER, _ask(_call("call_1")), _tool("call_1", {"v": 1}), DONE])
    not_object = _line([USER, "hello", DONE])
    analysis = _check(robot, content, not_object)
    assert [f.code for f in analysis.findings] == ["H016"] * 3
    messages = [f.message for f in analysis.findings]
    assert messages[0].startswith("line 1, message 2: unknown role 'robot'")
    assert messages[1] == "line 2, message 3: the content of a tool message is not a string"
    assert messages[2] == "line 3, message 2: message is not an object"


def test_a_line_that_is_not_json_or_not_a_conversation_is_h007_naming_its_line() -> None:
    good = _line([USER, DONE])
    analysis = _check(good, b"not json", b'{"prompt": "x"}', b"[1]", good, good)
    assert [f.code for f in analysis.findings] == ["H007"] * 3
    messages = [f.message for f in analysis.findings]
    assert messages[0].startswith("line 2 is not valid JSON")
    assert messages[1].startswith('line 3 is not a conversation (no "messages" list)')
    assert messages[2].startswith("line 4 is not a conversation (a JSON list)")


def test_calls_and_tool_messages_without_ids_are_h007() -> None:
    no_id = {"type": "function", "function": {"name": "shell", "arguments": "{}"}}
    tool = {"role": "tool", "content": "ok"}
    analysis = _check(_line([USER, _ask(no_id), tool, DONE]), _line([USER, DONE]))
    assert [f.message for f in analysis.findings] == [
        "line 1, message 2: tool call without an id: it can never be paired with its partner",
        "line 1, message 3: tool message without a tool_call_id: it can never be paired with "
        "its partner",
    ]


def test_a_forced_one_line_data_set_is_read_as_a_line() -> None:
    """One line would read as a `{"messages": …}` document; `--dialect` says it is a line."""
    data = _line([USER, _ask(_call("call_1")), USER, DONE]) + b"\n"
    analysis = analyze(data, NAME)
    assert codes(analysis) == [("H001", "call_1")]


@pytest.mark.parametrize(
    ("name", "extra", "dialect", "expected"),
    [
        ("one.jsonl", {}, "openai-finetune", []),  # the target's call needs no output
        ("one.jsonl.json", {}, "openai-chat", ["H001"]),  # a request body's last call does
        ("one.jsonl", {"model": "gpt-4o"}, "openai-chat", ["H001"]),  # a request names its model
    ],
)
def test_a_one_line_jsonl_file_of_a_conversation_is_a_data_set(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    extra: dict[str, Any],
    dialect: str,
    expected: list[str],
) -> None:
    """A single `{"messages": …}` line is a Chat request body and a one-line data set at
    once: `.jsonl` says JSON Lines, and a line without `model` is no request."""
    monkeypatch.setenv("CONTEXT_LS_STATE_DIR", str(tmp_path / "state"))
    path = tmp_path / name
    path.write_bytes(_line([USER, _ask(_call("call_1"))], **extra) + b"\n")
    main(["check", "--format", "json", str(path)])
    report = json.loads(capsys.readouterr().out)["files"][0]
    assert report["dialect"] == dialect
    assert [f["code"] for f in report["findings"]] == expected
    # The engine's door for files, and the repairs, read it as `check` does.
    analysis = analyze_path(path)
    assert (analysis.history.dialect, [f.code for f in analysis.findings]) == (dialect, expected)
    before = path.read_bytes()
    main(["normalize", str(path)])  # a diff: empty when there is nothing to repair
    assert (capsys.readouterr().out == "") == (not expected)
    assert path.read_bytes() == before


def test_check_and_normalize_take_a_forced_one_line_data_set_as_a_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--dialect openai-finetune` on one line: its records are lines, not the elements of
    a `{"messages": …}` document (which are no data set lines: "no openai-finetune records")."""
    monkeypatch.setenv("CONTEXT_LS_STATE_DIR", str(tmp_path / "state"))
    path = tmp_path / "one.json"
    path.write_bytes(_line([USER, _ask(_call("call_1")), USER, DONE]) + b"\n\n")
    assert main(["check", "--format", "json", "--dialect", NAME, str(path)]) == 1
    report = json.loads(capsys.readouterr().out)["files"][0]
    assert (report["dialect"], [f["code"] for f in report["findings"]]) == (NAME, ["H001"])
    assert main(["normalize", "--write", "--dialect", NAME, str(path)]) == 0
    capsys.readouterr()
    assert main(["check", "--dialect", NAME, str(path)]) == 0


def test_outline_of_a_line_lists_its_calls_and_the_target() -> None:
    from context_ls.history.dialects.finetune_outline import outline_line

    first, target = _call("call_1"), _call("call_2", "read")
    line = _line([USER, _ask(first), _tool("call_1"), _ask(target)])
    messages, calls = outline_line(line)
    assert messages == 4
    assert [(c.tool, c.call_id, c.target) for c in calls] == [
        ("shell", "call_1", False),
        ("read", "call_2", True),
    ]
    assert line[calls[1].start : calls[1].end] == dumps(target)
    assert outline_line(b"not json") == (0, [])


def test_invariants_off_keeps_only_h007() -> None:
    data = render_dataset([[("user", "x"), ("outputs", ["call_Z"]), ("assistant", "y")]])
    data += b"oops\n"
    assert codes(analyze(data, options=Options(enforce_invariants=False))) == [("H007", None)]


# --- properties over generated data sets -----------------------------------------------------


def _target(events: list[Any]) -> int:
    """The index of the line's last assistant message (the training target)."""
    messages = _chat(events)
    return max(i for i, m in enumerate(messages) if m["role"] == "assistant")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(broken_events(allow_duplicate_calls=True), min_size=2, max_size=4))
def test_each_line_is_judged_as_its_own_chat_conversation(conversations: list[Any]) -> None:
    """A data set's findings are, line by line, those of the same conversation sent to Chat
    Completions on its own, less the target's unanswered calls: nothing pairs across lines
    (every line reuses the same ids)."""
    data = render_dataset(conversations)
    analysis = analyze(data)
    assert analysis.history.dialect == NAME
    got: Counter[tuple[int, str, str | None]] = Counter(
        (analysis.history.items[f.item].line, f.code, f.call_id) for f in analysis.findings
    )
    want: Counter[tuple[int, str, str | None]] = Counter()
    for line, events in enumerate(conversations):
        alone = analyze(dumps({"messages": _chat(events)}), "openai-chat")
        target = _target(events)  # a document's records are its messages
        for f in alone.findings:
            if f.code == "H001" and f.call is not None and f.call.item == target:
                continue
            want[(line, f.code, f.call_id)] += 1
    assert got == want


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(st.integers(1, 3), min_size=1, max_size=3), min_size=2, max_size=5))
def test_healthy_data_sets_have_no_findings(batches: list[list[int]]) -> None:
    conversations = []
    for sizes in batches:
        events = clean_events(batches=sizes)
        conversations.append([*events[:-3], events[-3]])  # ends on a target call
    data = render_dataset(conversations, tools=["shell"])
    assert analyze(data).findings == []
    assert json.loads(data.splitlines()[0])["tools"][0]["function"]["name"] == "shell"


# --- normalize, line by line ------------------------------------------------------------------


def test_normalize_repairs_inside_the_line_and_leaves_other_lines_alone() -> None:
    healthy = _line([USER, _ask(_call("call_1"))])
    dangling = _line([USER, _ask(_call("call_1"), _call("call_2")), _tool("call_1"), DONE])
    orphan = _line([USER, _tool("call_9"), DONE, _tool("call_8"), DONE])
    as_object = _line([USER, _ask(_call("call_1", arguments={"a": 1}))])
    unknown = _line([USER, _ask(_call("call_1", "nope"))], tools=[{"function": {"name": "x"}}])
    data = b"\n".join([healthy, dangling, orphan, as_object, unknown]) + b"\n"
    _, out = normalized(data)
    lines = out.split(b"\n")
    assert lines[0] == healthy and lines[4] == unknown
    fixed = [json.loads(line)["messages"] for line in lines[1:4]]
    assert fixed[0][3] == _tool(
        "call_2", "Tool execution was interrupted. Output was not received."
    )
    assert fixed[0][4] == DONE
    assert fixed[1] == [USER, DONE, DONE]
    assert fixed[2][1]["tool_calls"][0]["function"]["arguments"] == '{"a":1}'
    assert codes(analyze(out)) == [("H015", "call_1")]  # reported, never guessed at


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(broken_events(allow_duplicate_calls=True), min_size=2, max_size=4))
def test_normalize_never_makes_a_data_set_worse(conversations: list[Any]) -> None:
    """After a repair no line has a dangling call or an orphan; no finding is new; a line
    without a repair is byte-identical."""
    data = render_dataset(conversations)
    before, out = normalized(data)
    after = analyze(out, NAME)
    found = Counter(f.code for f in after.findings)
    assert found["H001"] == found["H002"] == 0, codes(after)
    was = Counter(f.code for f in before.findings)
    assert all(found[code] <= was[code] for code in found), (codes(before), codes(after))
    repaired = {before.history.items[f.item].line for f in before.findings if f.fixable}
    for number, (old, new) in enumerate(zip(data.split(b"\n"), out.split(b"\n"), strict=True)):
        if number not in repaired:
            assert old == new
        json.loads(new or b"null")


# --- the CLI ---------------------------------------------------------------------------------


def test_check_names_line_column_and_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONTEXT_LS_STATE_DIR", str(tmp_path / "state"))
    healthy = _line([USER, _ask(_call("call_1"))])
    dangling = _line([USER, _ask(_call("call_1")), USER, DONE])
    path = tmp_path / "train.jsonl"
    path.write_bytes(b"\n".join([healthy, dangling, healthy]) + b"\n")
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    column = dangling.index(dumps(_call("call_1"))) + 1
    assert f"{path}:2:{column}: H001 [missing-output] line 2, message 2: call call_1" in out
    assert "1 history checked" in out
    assert main(["normalize", "--write", str(path)]) == 0
    capsys.readouterr()
    assert main(["check", str(path)]) == 0
    assert path.read_bytes().split(b"\n")[0] == healthy


REAL = REPO.parent / "shared" / "realdata" / "microsoft-foundry__fine-tuning"


@pytest.mark.skipif(not REAL.is_dir(), reason="../shared/realdata is not beside the clone")
def test_check_passes_the_real_data_sets(capsys: pytest.CaptureFixture[str]) -> None:
    files = sorted(REAL.glob("*.jsonl"))
    assert main(["check", *map(str, files)]) == 0
    assert f"({len(files)} histories checked)" in capsys.readouterr().out


def test_one_findings_fix_repairs_only_its_line() -> None:
    """What a quick fix applies: the edits of one finding, inside its own line."""
    dangling = _line([USER, _ask(_call("call_1")), USER, DONE])
    data = b"\n".join([dangling, dangling]) + b"\n"
    analysis = analyze(data)
    second = analysis.findings[1]
    assert (second.code, second.fixable) == ("H001", True)
    assert fix_title(analysis, second) == "Insert a synthetic output for call_1"
    out = apply_edits(data, fix_edits(analysis, second))
    first, fixed = out.split(b"\n")[:2]
    assert first == dangling
    assert [m["role"] for m in json.loads(fixed)["messages"]][2] == "tool"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(broken_events(), min_size=3, max_size=5),
    st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 10**6)), min_size=1, max_size=6),
)
def test_an_edited_data_set_reads_like_a_full_read(
    conversations: list[Any], steps: list[tuple[int, int]]
) -> None:
    """The editor re-reads only the lines an edit touched: a line's own findings move with
    it (same findings, spans and messages as reading the whole file again)."""
    data = render_dataset(conversations)
    analyzer = Analyzer()
    assert snapshot(analyzer.analyze(data)) == snapshot(analyze(data))
    for a, b in steps:
        lines = data.split(b"\n")
        i, j = a % len(lines), b % len(lines)
        if a % 3 == 0:
            lines[i] = lines[j]  # one line's conversation in place of another's
        elif a % 3 == 1:
            lines.insert(i, lines[j])
        else:
            cut = b % (len(lines[i]) + 1)
            lines[i] = lines[i][:cut] + lines[i][cut + 1 :]  # a character deleted
        data = b"\n".join(lines)
        full = analyze(data)
        assert snapshot(analyzer.analyze(data)) == snapshot(full)
        assert [p for p in analyzer.analyze(data).history.problems] == full.history.problems
