"""Gemini CLI sessions for the tests, written the way the CLI writes them: the whole-file
JSON (pretty, as `JSON.stringify(…, null, 2)`), or the JSONL upsert log where a message is
written again each time it changes (its tool calls recorded, its tokens counted) and
`$set` lines note the time."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

SESSION = {
    "sessionId": "0d3f6c1e-5b8a-4c2e-9f1a-7e6d5c4b3a21",
    "projectHash": "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b",
    "startTime": "2026-03-01T10:00:00.000Z",
    "lastUpdated": "2026-03-01T10:05:00.000Z",
}
ERROR_TEXT = (
    "Please ensure that the number of function response parts is equal to the number of "
    "function call parts of the function call turn."
)

# What becomes of a tool call: answered; its result missing (no key, null, empty list); an
# extra functionResponse for a call that does not exist (orphan); or answered twice.
FATES = ("ok", "no-result", "null-result", "empty-result", "orphan", "twice")
BROKEN = {"no-result": "H001", "null-result": "H001", "empty-result": "H001"}


@dataclass
class Turn:
    """A user prompt and the model's answer with its tool calls (one fate each)."""

    fates: Sequence[str] = ()
    text: str = "done"
    # The answer is written again after its calls complete (JSONL only), as the CLI does.
    rewritten: bool = True
    # Where the calls and responses are: "calls" (`toolCalls` with results, as before
    # 2026-05), "copied" (those, and the user message of responses the CLI records after
    # them since), "content" (parts of the answer's content and of that user message, as
    # `/compress` writes them). The findings are the same in each.
    form: str = "calls"


@dataclass
class Session:
    turns: list[Turn] = field(default_factory=list)
    # JSONL: rewind to the user message of this turn (it and all after it go), then go on.
    rewind_to: int | None = None
    after_rewind: list[Turn] = field(default_factory=list)


def _stamp(n: int) -> str:
    return f"2026-03-01T10:{n // 60:02d}:{n % 60:02d}.000Z"


def tool_call(call_id: str, fate: str, n: int) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": call_id,
        "name": "read_file",
        "args": {"absolute_path": f"/work/file-{n}.txt"},
    }
    response = {"functionResponse": {"id": call_id, "name": "read_file", "response": {}}}
    response["functionResponse"]["response"] = {"output": f"contents of file {n}"}
    if fate == "no-result":
        pass
    elif fate == "null-result":
        entry["result"] = None
    elif fate == "empty-result":
        entry["result"] = []
    elif fate == "orphan":
        ghost = {"functionResponse": {"id": f"ghost-{n}", "name": "read_file", "response": {}}}
        entry["result"] = [response, ghost]
    elif fate == "twice":
        entry["result"] = [response, response]
    else:
        entry["result"] = [response]
    entry["status"] = "success" if fate in ("ok", "orphan", "twice") else "executing"
    entry["timestamp"] = _stamp(n)
    entry["displayName"] = "ReadFile"
    entry["description"] = "Reads a file"
    entry["renderOutputAsMarkdown"] = True
    return entry


def messages(turns: Sequence[Turn], first: int = 0) -> list[tuple[dict[str, Any], Turn]]:
    """(message, its turn) of each user prompt and answer; call ids are unique."""
    out: list[tuple[dict[str, Any], Turn]] = []
    for t, turn in enumerate(turns, first):
        user = {"id": f"u-{t}", "timestamp": _stamp(2 * t), "type": "user", "content": f"ask {t}"}
        answer: dict[str, Any] = {
            "id": f"g-{t}",
            "timestamp": _stamp(2 * t + 1),
            "type": "gemini",
            "content": turn.text,
            "thoughts": [],
            "tokens": {"input": 10, "output": 5, "cached": 0, "total": 15},
            "model": "gemini-2.5-pro",
        }
        entries = [
            tool_call(f"read_file-{t}-{k}", fate, 10 * t + k) for k, fate in enumerate(turn.fates)
        ]
        if entries and turn.form == "content":
            text = [{"text": turn.text}] if turn.text else []
            calls = [{"functionCall": {k: e[k] for k in ("id", "name", "args")}} for e in entries]
            answer["content"] = text + calls
        elif entries:
            answer["toolCalls"] = entries
        out += [(user, turn), (answer, turn)]
        responses = [p for e in entries for p in e.get("result") or ()]
        if turn.form != "calls" and responses:
            batch = {"id": f"r-{t}", "timestamp": _stamp(2 * t + 1), "type": "user"}
            out.append(({**batch, "content": responses}, turn))
    return out


def render_json(session: Session, pretty: bool = True) -> bytes:
    listed = [m for m, _turn in messages(session.turns)]
    whole = {**SESSION, "messages": listed}
    text = json.dumps(
        whole, indent=2 if pretty else None, separators=None if pretty else (",", ":")
    )
    return text.encode()


def _line(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def render_jsonl(session: Session) -> bytes:
    out = [_line({**SESSION, "kind": "main"})]
    out += _log(messages(session.turns))
    if session.rewind_to is not None:
        out.append(_line({"$rewindTo": f"u-{session.rewind_to}"}))
        out += _log(messages(session.after_rewind, first=100))
    return b"".join(out)


def _log(listed: list[tuple[dict[str, Any], Turn]]) -> list[bytes]:
    out: list[bytes] = []
    for message, turn in listed:
        calls = message.get("toolCalls")
        if calls and turn.rewritten:
            # First the answer as it streamed in (no calls yet), then with its calls.
            out.append(
                _line({k: v for k, v in message.items() if k not in ("toolCalls", "tokens")})
            )
            out.append(_line({"$set": {"lastUpdated": message["timestamp"]}}))
        out.append(_line(message))
        out.append(_line({"$set": {"lastUpdated": message["timestamp"]}}))
    return out


def expected(turns: Sequence[Turn], first: int = 0) -> list[tuple[str, str]]:
    """(code, call id) of the findings a session of `turns` holds, in order."""
    found: list[tuple[str, str]] = []
    for t, turn in enumerate(turns, first):
        for k, fate in enumerate(turn.fates):
            call_id = f"read_file-{t}-{k}"
            if fate in BROKEN:
                found.append((BROKEN[fate], call_id))
            elif fate == "orphan":
                found.append(("H002", f"ghost-{10 * t + k}"))
            elif fate == "twice":
                found.append(("H004", call_id))
    return found


turns_strategy = st.lists(
    st.builds(
        Turn,
        fates=st.lists(st.sampled_from(FATES), max_size=3),
        text=st.sampled_from(["done", "", 'Ünïcode ✓ \\ "quoted"']),
        rewritten=st.booleans(),
        form=st.sampled_from(["calls", "copied", "content"]),
    ),
    min_size=1,
    max_size=4,
)


# A session after `/compress`: a call written only in `content`, never answered.
UNANSWERED_IN_CONTENT = {
    "sessionId": "s",
    "projectHash": "h",
    "messages": [
        {"id": "u1", "timestamp": "t", "type": "user", "content": [{"text": "read it"}]},
        {"id": "g1", "timestamp": "t", "type": "gemini",
         "content": [{"functionCall": {"id": "read_file__1", "name": "read_file", "args": {}}}]},
        {"id": "g2", "timestamp": "t", "type": "gemini", "content": [{"text": "hmm"}]},
    ],
}  # fmt: skip
