"""Claude Code conversations follow parentUuid: rewound branches and sidechains."""

from __future__ import annotations

import json

from context_ls.history.api import analyze, analyze_path


def lines(*records: dict) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in records)


def user(uuid: str, parent: str | None, content: object, **extra: object) -> dict:
    return {
        "type": "user",
        "uuid": uuid,
        "parentUuid": parent,
        "sessionId": "s",
        "message": {"role": "user", "content": content},
        **extra,
    }


def assistant(
    uuid: str, parent: str | None, message_id: str, blocks: list, **extra: object
) -> dict:
    return {
        "type": "assistant",
        "uuid": uuid,
        "parentUuid": parent,
        "sessionId": "s",
        "message": {"id": message_id, "role": "assistant", "content": blocks},
        **extra,
    }


def tool_use(call_id: str) -> dict:
    return {"type": "tool_use", "id": call_id, "name": "Bash", "input": {}}


def result(call_id: str) -> list:
    return [{"type": "tool_result", "tool_use_id": call_id, "content": "ok"}]


def test_a_rewound_branch_is_not_sent_again_so_its_dangling_call_is_no_finding() -> None:
    data = lines(
        user("u1", None, "go"),
        assistant("a1", "u1", "m1", [tool_use("toolu_x")]),
        user("r1", "a1", result("toolu_x")),
        user("u2", "r1", "first try"),
        assistant("a2", "u2", "m2", [tool_use("toolu_abandoned")]),
        user("u3", "r1", "second try"),
        assistant("a3", "u3", "m3", [{"type": "text", "text": "done"}]),
    )
    analysis = analyze(data)
    assert analysis.findings == []
    assert [i.abandoned for i in analysis.history.items] == [
        False,
        False,
        False,
        True,
        True,
        False,
        False,
    ]


def test_a_dangling_call_on_the_active_path_is_still_found() -> None:
    data = lines(
        user("u1", None, "go"),
        assistant("a1", "u1", "m1", [tool_use("toolu_x")]),
        user("u2", "a1", "never mind"),
    )
    assert [f.code for f in analyze(data).findings] == ["H001"]


def test_parent_loops_never_hang() -> None:
    data = lines(
        user("u1", "u2", "a"),
        user("u2", "u1", "b"),
        assistant("a1", "a1", "m1", [{"type": "text", "text": "c"}]),
    )
    assert analyze(data).history.dialect == "claude-code"


def test_sidechain_lines_between_a_call_and_its_result_are_their_own_conversation() -> None:
    data = lines(
        user("u1", None, "go"),
        assistant("a1", "u1", "m1", [tool_use("toolu_task")]),
        user("s1", None, "sub task", isSidechain=True, agentId="ag1"),
        assistant("s2", "s1", "m2", [tool_use("toolu_sub")], isSidechain=True, agentId="ag1"),
        user("s3", "s2", result("toolu_sub"), isSidechain=True, agentId="ag1"),
        user("r1", "a1", result("toolu_task")),
    )
    assert analyze(data).findings == []


def test_split_assistant_lines_and_consecutive_result_lines_are_one_message_each() -> None:
    data = lines(
        user("u1", None, "go"),
        assistant("a1", "u1", "m1", [{"type": "text", "text": "two things"}]),
        assistant("a2", "a1", "m1", [tool_use("toolu_a")]),
        assistant("a3", "a2", "m1", [tool_use("toolu_b")]),
        user("r1", "a3", result("toolu_a")),
        user("r2", "r1", result("toolu_b")),
    )
    assert analyze(data).findings == []


def test_a_result_answers_an_assistant_line_without_a_message_id() -> None:
    """The parent chain alone says the result answers that very line (no message.id to
    compare): it is adjacent, whatever object the engine looked the line up as."""
    call = {"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {}}
    data = lines(
        user("u1", None, "hi"),
        {
            "type": "assistant",
            "uuid": "a1",
            "parentUuid": "u1",
            "sessionId": "s",
            "message": {"role": "assistant", "content": [call]},
        },
        user("u2", "a1", [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "ok"}]),
    )
    analysis = analyze(data)
    assert analysis.history.dialect == "claude-code"
    assert [f.code for f in analysis.findings] == []


def progress(uuid: str, parent: str | None, tool_use_id: str) -> dict:
    """A hook progress line: a chain member, not a message; the tool blocks nested in its
    data never pair."""
    return {
        "type": "progress",
        "uuid": uuid,
        "parentUuid": parent,
        "sessionId": "s",
        "toolUseID": tool_use_id,
        "data": {
            "type": "agent_progress",
            "message": {"type": "assistant", "message": {"content": [tool_use("toolu_nested")]}},
        },
    }


def parallel_batch_as_claude_code_2_1_writes_it() -> list[dict]:
    """Three parallel calls, one assistant line each (chained); each result hangs off its
    own call's line (`sourceToolAssistantUUID`), results written out of call order, a hook
    progress line off the first call, and the conversation going on from the last result."""
    return [
        user("u1", None, "go"),
        assistant("a1", "u1", "m1", [tool_use("toolu_a")]),
        assistant("a2", "a1", "m1", [tool_use("toolu_b")]),
        assistant("a3", "a2", "m1", [tool_use("toolu_c")]),
        progress("p1", "a1", "toolu_a"),
        user("r1", "a1", result("toolu_a"), sourceToolAssistantUUID="a1"),
        user("r3", "a3", result("toolu_c"), sourceToolAssistantUUID="a3"),
        user("r2", "a2", result("toolu_b"), sourceToolAssistantUUID="a2"),
        assistant("a4", "r2", "m2", [{"type": "text", "text": "done"}]),
    ]


def test_results_that_hang_off_sibling_lines_are_part_of_the_conversation() -> None:
    analysis = analyze(lines(*parallel_batch_as_claude_code_2_1_writes_it()))
    assert analysis.findings == []
    abandoned = [item.uuid for item in analysis.history.items if item.abandoned]
    assert abandoned in ([], ["p1"])  # a progress line off the path is no message either way


def test_a_missing_result_in_a_parallel_batch_is_still_found() -> None:
    records = [r for r in parallel_batch_as_claude_code_2_1_writes_it() if r["uuid"] != "r3"]
    found = [(f.code, f.call_id) for f in analyze(lines(*records)).findings]
    assert found == [("H001", "toolu_c")]


def test_a_result_of_a_rewound_branch_stays_abandoned() -> None:
    """Re-attaching is for lines of the same response: a branch left by a rewind whose
    result answers a call of that branch is still not part of the conversation."""
    data = lines(
        user("u1", None, "go"),
        assistant("a1", "u1", "m1", [{"type": "text", "text": "ok"}]),
        user("u2", "a1", "first try"),
        assistant("a2", "u2", "m2", [tool_use("toolu_old")]),
        user("r2", "a2", result("toolu_old")),
        user("u3", "a1", "second try"),
        assistant("a3", "u3", "m3", [tool_use("toolu_new")]),
    )
    analysis = analyze(data)
    assert [(f.code, f.call_id) for f in analysis.findings] == [("H001", "toolu_new")]
    assert [i.abandoned for i in analysis.history.items] == [
        False,
        False,
        True,
        True,
        True,
        False,
        False,
    ]


def subagent_lines(first_parent: str) -> list[dict]:
    extra = {"isSidechain": True, "agentId": "acompact-1"}
    return [
        user("c1", first_parent, "summarize", **extra),
        assistant("c2", "c1", "m9", [{"type": "text", "text": "summary"}], **extra),
    ]


def test_a_subagent_file_may_name_its_parent_session_lines(tmp_path) -> None:
    """Without its parent session at hand, a sub-agent's link out of the file is by design."""
    path = tmp_path / "agent-acompact-1.jsonl"
    path.write_bytes(lines(*subagent_lines("p-last")))
    assert analyze(path.read_bytes()).findings == []
    assert analyze_path(path).findings == []


def test_a_subagent_link_is_checked_against_the_parent_session_beside_it(tmp_path) -> None:
    session = tmp_path / "sess-1.jsonl"
    session.write_bytes(lines(user("p-last", None, "start a sub-agent")))
    folder = tmp_path / "sess-1" / "subagents"
    folder.mkdir(parents=True)
    linked = folder / "agent-acompact-1.jsonl"
    linked.write_bytes(lines(*subagent_lines("p-last")))
    broken = folder / "agent-acompact-2.jsonl"
    broken.write_bytes(lines(*subagent_lines("p-gone")))
    assert analyze_path(linked).findings == []
    findings = analyze_path(broken).findings
    assert [f.code for f in findings] == ["H009"]
    assert "parent session" in findings[0].message


def test_a_main_thread_line_whose_parent_is_missing_is_still_h009() -> None:
    data = lines(user("u1", "gone", "hi"), assistant("a1", "u1", "m1", [{"type": "text"}]))
    assert [f.code for f in analyze(data).findings] == ["H009"]


def test_a_compact_boundary_is_a_root_not_a_break() -> None:
    boundary = {
        "type": "system",
        "subtype": "compact_boundary",
        "uuid": "b1",
        "parentUuid": None,
        "logicalParentUuid": "before-compaction",
        "sessionId": "s",
    }
    data = lines(
        boundary,
        user("u1", "b1", "summary of what came before", isCompactSummary=True),
        assistant("a1", "u1", "m1", [tool_use("toolu_a")]),
        user("r1", "a1", result("toolu_a")),
    )
    assert analyze(data).findings == []
