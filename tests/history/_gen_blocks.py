"""Anthropic content blocks for the H011/H012 and thinking tests: hand-written messages, and
a hypothesis strategy of conversations whose replies put text before results, hold blank
text blocks, and whose assistant messages carry thinking blocks."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from ._gen_claude import cc_line

THINK = {
    "type": "thinking",
    "thinking": "The user wants the listing; run ls first.",
    "signature": "EqQBCkYIBxgCKkDsig+/=",
}
REDACTED = {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix/LafPsn4a"}


def use(call_id: str) -> dict[str, Any]:
    return {"type": "tool_use", "id": call_id, "name": "run", "input": {"cmd": "ls"}}


def result(call_id: str, content: str = "ok") -> dict[str, Any]:
    return {"type": "tool_result", "tool_use_id": call_id, "content": content}


def text(value: str) -> dict[str, Any]:
    return {"type": "text", "text": value}


def doc(messages: list[Any], indent: int | None = None) -> bytes:
    return json.dumps({"messages": messages}, indent=indent).encode()


def jsonl(lines: list[Any]) -> bytes:
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


def as_claude_code(messages: list[dict[str, Any]]) -> bytes:
    """The messages as Claude Code lines, one line a message, chained."""
    lines, parent = [], None
    for n, message in enumerate(messages):
        uuid = f"00000000-0000-4000-8000-{n:012d}"
        mid = f"msg_{n:04d}" if message["role"] == "assistant" else None
        lines.append(cc_line(uuid, parent, message["role"], message["content"], mid))
        parent = uuid
    return jsonl(lines)


def thinking_bytes(data: bytes) -> list[bytes]:
    """The raw bytes of every thinking block in `data`, in file order (as `json.dumps`
    writes them on one line)."""
    found = []
    for block in (THINK, REDACTED):
        raw = json.dumps(block).encode()
        at = data.find(raw)
        while at >= 0:
            found.append((at, raw))
            at = data.find(raw, at + 1)
    return [raw for _, raw in sorted(found)]


_texts = st.sampled_from(["", " ", "\n\n", "Some words.", "ok"])


@st.composite
def conversations(draw: st.DrawFn) -> list[dict[str, Any]]:
    """User/assistant rounds: an assistant message may think, talk and call tools; the reply
    holds the results (some may be missing, orphaned, doubled or a message late) mixed with
    text blocks, blank ones too."""
    messages: list[dict[str, Any]] = [{"role": "user", "content": "go"}]
    for round_ in range(draw(st.integers(1, 4))):
        blocks: list[Any] = []
        if draw(st.booleans()):
            blocks.append(draw(st.sampled_from([THINK, REDACTED])))
        blocks += [text(t) for t in draw(st.lists(_texts, max_size=2))]
        # the first answer calls a tool: text-only messages would read as Chat Completions
        ids = [f"toolu_{round_}{k}" for k in range(draw(st.integers(not round_, 3)))]
        blocks += [use(i) for i in ids]
        if not blocks:
            blocks.append(text("Hm."))
        messages.append({"role": "assistant", "content": blocks})
        reply: list[Any] = [result(i) for i in ids if draw(st.integers(0, 5))]
        fault = draw(st.sampled_from(["", "", "", "orphan", "twice", "late"]))
        if fault == "orphan":
            reply.append(result(f"toolu_gone{round_}"))
        elif fault == "twice" and reply:
            reply.append(reply[0])
        elif fault == "late" and len(messages) > 3:
            # a result of the previous answer comes one message late (H006)
            before = messages[-2]["content"]
            late = [b for b in before if b.get("type") == "tool_result"]
            if late:
                messages[-2]["content"] = [b for b in before if b is not late[0]] or [text("Go.")]
                reply.append(late[0])
        for t in draw(st.lists(_texts, max_size=2)):
            reply.insert(draw(st.integers(0, len(reply))), text(t))
        if not reply:
            reply.append(text("Go on."))
        messages.append({"role": "user", "content": reply})
    if draw(st.booleans()):
        messages.append({"role": "assistant", "content": [THINK, text(draw(_texts))]})
    return messages
