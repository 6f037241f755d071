"""Claude Code conversations follow parentUuid: rewound branches and sidechains."""

from __future__ import annotations

import json

from context_ls.history.api import analyze


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
