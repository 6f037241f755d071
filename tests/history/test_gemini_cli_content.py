"""Gemini CLI sessions: calls and responses written as parts of a message's `content` (the
CLI records each batch of tool responses as a `user` message of `functionResponse` parts,
and `/compress` rewrites the history so), and the repair of a call whose status the CLI
already recorded."""

from __future__ import annotations

import json

import pytest

from context_ls.history.api import analyze, normalize_bytes, trim_edits
from context_ls.history.dialects import gemini_cli, gemini_cli_fix
from context_ls.history.model import apply_edits

from ._checks import codes

SESSION = {"sessionId": "s-1", "projectHash": "h", "startTime": "2026-03-01T10:00:00Z"}


def _message(message_id: str, kind: str, content: object, **more: object) -> dict[str, object]:
    return {"id": message_id, "timestamp": "2026-03-01T10:00:00Z", "type": kind,
            "content": content, **more}  # fmt: skip


def _document(*messages: dict[str, object]) -> bytes:
    return json.dumps({**SESSION, "messages": list(messages)}, indent=2).encode()


def _log(*messages: dict[str, object]) -> bytes:
    lines = [SESSION, *messages]
    return b"".join(json.dumps(m, separators=(",", ":")).encode() + b"\n" for m in lines)


PROMPT = _message("u1", "user", [{"text": "read it"}])


@pytest.mark.parametrize("status", ["success", "error"])
def test_a_finished_call_without_a_result_keeps_its_status(status: str) -> None:
    call = {"id": "c1", "name": "read_file", "args": {}, "status": status}
    data = _document(PROMPT, _message("g1", "gemini", "", toolCalls=[call]))
    assert codes(analyze(data)) == [("H001", "c1")]
    fixed = json.loads(normalize_bytes(data))["messages"][1]["toolCalls"][0]
    assert fixed["status"] == status
    response = fixed["result"][0]["functionResponse"]
    assert response["id"] == "c1" and response["response"] == {"error": gemini_cli_fix.LOST_TEXT}


def test_a_call_without_a_status_is_cancelled() -> None:
    call = {"id": "c1", "name": "read_file", "args": {}}
    data = _document(PROMPT, _message("g1", "gemini", "", toolCalls=[call]))
    fixed = json.loads(normalize_bytes(data))["messages"][1]["toolCalls"][0]
    assert fixed["status"] == "cancelled"
    assert fixed["result"][0]["functionResponse"]["response"] == {
        "error": gemini_cli_fix.DEFAULT_TEXT
    }


def _call(call_id: str | None, name: str = "read_file") -> dict[str, object]:
    body: dict[str, object] = {"name": name, "args": {}}
    if call_id is not None:
        body["id"] = call_id
    return {"functionCall": body}


def _response(call_id: str | None, name: str = "read_file") -> dict[str, object]:
    body: dict[str, object] = {"name": name, "response": {"output": "text"}}
    if call_id is not None:
        body["id"] = call_id
    return {"functionResponse": body}


def _tool_call(call_id: str, *result: dict[str, object]) -> dict[str, object]:
    return {"id": call_id, "name": "read_file", "args": {}, "status": "success",
            "result": list(result)}  # fmt: skip


FORMS = {"json": _document, "jsonl": _log}


@pytest.mark.parametrize("form", FORMS)
def test_a_call_in_content_without_a_response_is_reported(form: str) -> None:
    data = FORMS[form](
        PROMPT,
        _message("g1", "gemini", [_call("read_file__1")]),
        _message("g2", "gemini", [{"text": "hmm"}]),
    )
    assert codes(analyze(data)) == [("H001", "read_file__1")]


@pytest.mark.parametrize("form", FORMS)
def test_the_cli_writes_each_response_twice_and_it_counts_once(form: str) -> None:
    """`result` of the tool call, and the `user` message of responses geminiChat.ts
    records after it (`recordSyntheticMessage('user', parts)`)."""
    answer = _message(
        "g1",
        "gemini",
        "",
        toolCalls=[_tool_call("c1", _response("c1")), _tool_call("c2", _response("c2"))],
    )
    responses = _message("u2", "user", [_response("c1"), _response("c2")])
    data = FORMS[form](PROMPT, answer, responses, _message("g2", "gemini", "done"))
    assert analyze(data).findings == []


@pytest.mark.parametrize("form", FORMS)
def test_a_compressed_history_holds_calls_and_responses_in_content(form: str) -> None:
    """`setHistory` writes the messages with their parts and no `toolCalls`; a message the
    CLI already had keeps its `toolCalls`, and each call's `result` may hold the whole
    turn of responses (`updateMessagesFromHistory`)."""
    both = [_call("c1"), _call("c2")]
    kept = _message(
        "g1",
        "gemini",
        both,
        toolCalls=[
            _tool_call("c1", _response("c1"), _response("c2")),
            _tool_call("c2", _response("c1"), _response("c2")),
        ],
    )
    data = FORMS[form](
        PROMPT,
        kept,
        _message("g1_response", "user", [_response("c1"), _response("c2")]),
        _message("g2", "gemini", [_call("c3")]),
        _message("u3", "user", [_response("c3")]),
    )
    assert analyze(data).findings == []


def test_a_response_in_content_whose_call_is_gone_is_an_orphan() -> None:
    data = _document(PROMPT, _message("u2", "user", [_response("c9")]))
    assert codes(analyze(data)) == [("H002", "c9")]


def test_id_less_parts_pair_by_name_and_rank() -> None:
    calls = [_call(None, "ls"), _call(None, "read_file")]
    answered = _document(
        PROMPT,
        _message("g1", "gemini", calls),
        _message("u2", "user", [_response(None, "read_file"), _response(None, "ls")]),
    )
    assert analyze(answered).findings == []
    half = _document(
        PROMPT,
        _message("g1", "gemini", calls),
        _message("u2", "user", [_response(None, "ls")]),
    )
    assert [code for code, _id in codes(analyze(half))] == ["H001"]


@pytest.mark.parametrize("form", FORMS)
def test_a_content_call_gets_a_message_of_responses_after_it(form: str) -> None:
    """The repair writes what the CLI writes after a batch of calls: a `user` message of
    `functionResponse` parts (an error response each)."""
    calls = _message("g1", "gemini", [_call("c1"), _call(None, "ls")])
    data = FORMS[form](PROMPT, calls)
    assert sorted(code for code, _id in codes(analyze(data))) == ["H001", "H001"]
    out = normalize_bytes(data)
    assert out.startswith(data) if form == "jsonl" else True
    assert analyze(out).findings == []
    messages = (
        json.loads(out)["messages"]
        if form == "json"
        else [json.loads(line) for line in out.splitlines()[1:]]
    )
    added = messages[-1]
    assert (added["id"], added["type"]) == ("g1_response", "user")
    parts = [p["functionResponse"] for p in added["content"]]
    assert [(p.get("id"), p["name"]) for p in parts] == [("c1", "read_file"), (None, "ls")]
    assert normalize_bytes(out) == out


def test_in_a_document_the_responses_go_right_after_the_calls() -> None:
    data = _document(
        PROMPT,
        _message("g1", "gemini", [_call("c1")]),
        _message("g2", "gemini", [{"text": "hmm"}]),
    )
    out = normalize_bytes(data)
    assert [m["id"] for m in json.loads(out)["messages"]] == ["u1", "g1", "g1_response", "g2"]
    assert analyze(out).findings == []


def test_in_a_log_the_list_is_set_again_to_place_the_responses_after_the_calls() -> None:
    """An appended message would go after the last one: the repair writes the whole list
    again with the responses after the calls, as the CLI does when it sets its history."""
    data = _log(
        PROMPT,
        _message("g1", "gemini", [_call("c1")]),
        _message("g2", "gemini", [{"text": "hmm"}]),
    )
    assert codes(analyze(data)) == [("H001", "c1")]
    out = normalize_bytes(data)
    assert out.startswith(data)
    after = analyze(out)
    assert after.findings == []
    assert list(gemini_cli.live_messages(after.history)) == ["u1", "g1", "g1_response", "g2"]
    assert json.loads(out.splitlines()[-1])["$set"]["messages"][0] == PROMPT
    assert normalize_bytes(out) == out


@pytest.mark.parametrize("form", FORMS)
def test_an_orphan_response_in_content_leaves_it(form: str) -> None:
    answer = _message("g1", "gemini", [_call("c1")])
    data = FORMS[form](PROMPT, answer, _message("u2", "user", [_response("c1"), _response("c9")]))
    assert codes(analyze(data)) == [("H002", "c9")]
    out = normalize_bytes(data)
    assert analyze(out).findings == []
    # the document loses the part; the log keeps its line and appends the message without it
    assert out.count(b'"c9"') == (1 if form == "jsonl" else 0)


def _kept_after_trim(data: bytes, keep: int) -> list[str]:
    out = apply_edits(data, trim_edits(analyze(data), keep))
    assert out.startswith(data) and analyze(out).findings == []
    return list(gemini_cli.live_messages(analyze(out).history))


def test_trim_of_a_log_never_starts_at_a_batch_of_responses_or_a_command() -> None:
    """The last messages: the calls, the user message of their responses, a `/` command
    the CLI skips on resume, an answer. None is a prompt: the checkpoint starts at the
    prompt before them, with the calls of every response it keeps."""
    data = _log(
        PROMPT,
        _message("g1", "gemini", [_call("c1")]),
        _message("u2", "user", [_response("c1")]),
        _message("u3", "user", "/stats"),
        _message("g2", "gemini", "done"),
    )
    for keep in (1, 2, 3, 4):
        assert _kept_after_trim(data, keep) == ["u1", "g1", "u2", "u3", "g2"][: 5 if keep else 0]


def test_trim_of_a_log_keeps_the_call_of_a_response_after_a_prompt() -> None:
    """A session resumed mid-turn: a prompt stands between the calls and their responses.
    A checkpoint from that prompt would keep the responses without their calls."""
    data = _log(
        PROMPT,
        _message("g1", "gemini", [_call("c1")]),
        _message("u2", "user", [{"text": "go on"}]),
        _message("u3", "user", [_response("c1")]),
        _message("g2", "gemini", "done"),
    )
    assert analyze(data).findings == []
    assert _kept_after_trim(data, 3) == ["u1", "g1", "u2", "u3", "g2"]


@pytest.mark.parametrize("form", FORMS)
def test_a_missing_response_joins_the_batch_after_the_calls(form: str) -> None:
    """Gemini counts the responses of the one turn after the calls: the repair adds to
    that batch (in a log, the batch rewritten keeps its place) rather than write a second
    turn of responses."""
    data = FORMS[form](
        PROMPT,
        _message("g1", "gemini", [_call("c1"), _call("c2")]),
        _message("u2", "user", [_response("c1")]),
        _message("g2", "gemini", "done"),
    )
    assert codes(analyze(data)) == [("H001", "c2")]
    out = normalize_bytes(data)
    after = analyze(out)
    assert after.findings == []
    live = gemini_cli.live_messages(after.history)
    assert list(live) == ["u1", "g1", "u2", "g2"]
    if form == "jsonl":
        row, m = live["u2"]
        batch = gemini_cli.message_of(json.loads(out.splitlines()[row]), m)
    else:
        batch = json.loads(out)["messages"][2]
    ids = [p["functionResponse"]["id"] for p in batch["content"]]
    assert ids == ["c2", "c1"]
    assert normalize_bytes(out) == out
