"""Gemini CLI sessions re-read after an edit must read as a full read does. Its `turns`
hook drops links once every record is in (a response the CLI recorded twice, the id-less
parts of an abandoned version); a re-read copies the records it does not read again with
their links as read (`History.read_links`), so an edit that undoes the reason brings them
back. A property edits generated sessions line by line, each re-read against a full read."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from context_ls.history.analyzer import Analyzer
from context_ls.history.api import analyze

from ._gen_gemini_cli import SESSION, Session, Turn, render_jsonl, tool_call, turns_strategy
from .test_document_reread import snapshot
from .test_gemini_cli import META, USER, _answer, _line

STAMP = "2026-03-01T10:00:01Z"
_RESPONSE = {"functionResponse": {"id": "c1", "name": "read_file", "response": {"output": "x"}}}
# The CLI's copy of c1's response, as a `user` message after the call's own `result`.
COPY = {"id": "u-1", "timestamp": STAMP, "type": "user", "content": [_RESPONSE]}


def _agree(before: bytes, after: bytes) -> None:
    analyzer = Analyzer()
    analyzer.analyze(before)
    assert snapshot(analyzer.analyze(after)) == snapshot(analyze(after))


def test_a_result_removed_leaves_the_copy_of_the_response_answering() -> None:
    done = _line(_answer("g-0", tool_call("c1", "ok", 1)))
    waiting = _line(_answer("g-0", tool_call("c1", "no-result", 1)))
    head = META + _line(USER)
    _agree(head + done + _line(COPY), head + waiting + _line(COPY))


def test_a_later_version_removed_revives_the_id_less_part_of_the_first() -> None:
    bad = {"id": "g-0", "timestamp": STAMP, "type": "gemini", "content": [{"functionCall": {}}]}
    good = {"id": "g-0", "timestamp": STAMP, "type": "gemini", "content": "ok"}
    head = META + _line(USER) + _line(bad)
    _agree(head + _line(good), head)


# --- the property ----------------------------------------------------------------------------
# Line edits of a JSONL log (line 0, the metadata, stays): remove a line, write a message
# again later (a new version), undo what makes the hook drop a link (a call's `result`),
# make a version with an id-less call or response, type inside a line (the records keep their facts),
# add a `$set` list of the messages so far, or a rewind to one of them.
_EDITS = st.lists(
    st.tuples(
        st.sampled_from(["delete", "again", "no-result", "id-less", "type", "set", "rewind"]),
        st.integers(0, 10**6),
        st.integers(0, 10**6),
    ),
    min_size=1,
    max_size=6,
)


def _messages(lines: list[bytes]) -> list[dict[str, Any]]:
    """The message lines among `lines`, decoded."""
    found = []
    for raw in lines:
        try:
            value = json.loads(raw)
        except ValueError:
            continue
        if isinstance(value, dict) and isinstance(value.get("id"), str):
            found.append(value)
    return found


def _edited(lines: list[bytes], op: str, a: int, b: int) -> list[bytes]:
    body = lines[1:]
    at, other = a % (len(body) + 1), b % max(len(body), 1)
    listed = _messages(body)
    if op == "delete" and body:
        del body[other]
    elif op == "again" and body:
        body.insert(at, body[other])
    elif op in ("no-result", "id-less") and listed:
        message = listed[other % len(listed)]
        if op == "id-less":  # a call paired by name (or, without one, never)
            part = {"name": "read_file", "args": {}} if b % 2 else {}
            kind = "gemini" if b % 3 else "user"  # or a response paired by name
            part_of = "functionCall" if kind == "gemini" else "functionResponse"
            message = {**message, "type": kind, "content": [{part_of: part}], "toolCalls": []}
        calls = [
            {k: v for k, v in c.items() if k != "result"} for c in message.get("toolCalls", ())
        ]
        body.insert(at, _line({**message, "toolCalls": calls} if calls else message))
    elif op == "type" and body:
        body[other] = body[other].replace(b"/work/", b"/wOrk/", 1).replace(b"ask", b"Ask", 1)
    elif op == "set":
        body.insert(at, _line({"$set": {"messages": _messages(body[:at])}}))
    elif op == "rewind" and listed:
        body.insert(at, _line({"$rewindTo": listed[other % len(listed)]["id"]}))
    return lines[:1] + body


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(turns=turns_strategy, rewind=st.booleans(), edits=_EDITS)
def test_edited_sessions_re_read_as_full_reads(
    turns: list[Turn], rewind: bool, edits: list[tuple[str, int, int]]
) -> None:
    after = [Turn(["ok"], form="copied")] if rewind else []
    data = render_jsonl(Session(turns, rewind_to=0 if rewind else None, after_rewind=after))
    analyzer = Analyzer()
    analyzer.analyze(data)
    lines = data.splitlines(keepends=True)
    for op, a, b in edits:
        lines = _edited(lines, op, a, b)
        data = b"".join(lines)
        assert snapshot(analyzer.analyze(data)) == snapshot(analyze(data)), (op, a, b)


def test_a_result_removed_in_a_session_document_leaves_the_copy_answering() -> None:
    """The whole-file JSON form, re-read as a document (the copy counts once too)."""
    user = {"id": "u-0", "timestamp": STAMP, "type": "user", "content": "hi"}

    def document(fate: str) -> bytes:
        answer = _answer("g-0", tool_call("c1", fate, 1))
        listed = [user, answer, COPY, {**user, "id": "u-2"}]
        return json.dumps({**SESSION, "messages": listed}, indent=2).encode()

    _agree(document("ok"), document("no-result"))
    _agree(document("no-result"), document("ok"))


def test_a_response_paired_by_name_is_paired_again_when_its_message_moves() -> None:
    """The ids the hook's pairing settled are not copied: a user message whose first
    version goes moves after the call (its later version, a response without an id, now
    answers it a second time)."""
    by_name = {**USER, "content": [{"functionResponse": {"name": "read_file", "response": {}}}]}
    tail = _line(_answer("g-0", tool_call("c1", "ok", 1))) + _line(by_name)
    _agree(META + _line(USER) + tail, META + tail)
