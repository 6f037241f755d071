"""Small builders for histories of every dialect, and hypothesis strategies over them.

A history is first described dialect-free as a list of events:

* ``("user", text)`` / ``("assistant", text)``: a plain message;
* ``("calls", [call ids])``: one assistant turn asking for these tools (a parallel batch);
* ``("outputs", [call ids])``: the results of these calls (one record or block each).

`render(dialect, events, ...)` writes it the way the dialect's own tools write it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

# Re-exported: the tests import these from here.
from ._checks import (  # noqa: F401
    allowed_to_change,
    assert_untouched_records_kept,
    codes,
    delay_is_undone_exactly,
    delay_result,
    delayable_results,
    normalized,
    record_bytes,
    result_call_ids,
    with_parent,
    without_parent,
)
from ._gen_claude import CC_BASE, Event, _claude_code, cc_line  # noqa: F401

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
ALL_DIALECTS = ("codex", "openai-responses", "openai-chat", "anthropic", "claude-code", "native")
JSONL_DIALECTS = ("codex", "claude-code", "native")
DOCUMENT_DIALECTS = ("openai-responses", "openai-chat", "anthropic")
BLOCK_DIALECTS = ("anthropic", "claude-code")
# Whole conversations a line: one history is many conversations, written by `render_dataset`
# (the event renderers above write one conversation a file).
DATASET_DIALECTS = ("openai-finetune",)
# The 2026 dialects: each has its own renderer and properties beside its tests
# (`_gen_gemini_cli.py`, `_gen_gemini_api.py`, `_gen_bedrock.py`).
OWN_RENDERER_DIALECTS = ("gemini-cli", "gemini-api", "bedrock-converse")
UNFIXABLE = {"H003", "H008", "H010"}
SYNTHETIC_TEXT = "Tool execution was interrupted. Output was not received."


def dumps(value: Any, pretty: bool = False) -> bytes:
    if pretty:
        return json.dumps(value, indent=2, ensure_ascii=False).encode()
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def call_prefix(dialect: str) -> str:
    return "toolu_" if dialect in BLOCK_DIALECTS else "call_"


# --- one renderer per dialect -------------------------------------------------------------


def _codex(events: Sequence[Event], kinds: dict[str, str]) -> list[Any]:
    records: list[Any] = [
        {
            "timestamp": "2025-10-01T10:00:00.000Z",
            "type": "session_meta",
            "payload": {
                "id": "0199c7e1-0000-7000-8000-000000000001",
                "cwd": "/w",
                "originator": "codex_cli_rs",
            },
        },
        {
            "timestamp": "2025-10-01T10:00:00.001Z",
            "type": "turn_context",
            "payload": {"cwd": "/w", "model": "gpt-5"},
        },
    ]
    for n, item in enumerate(_responses_items(events, kinds)):
        records.append(
            {
                "timestamp": f"2025-10-01T10:00:{n % 60:02d}.{n:03d}Z",
                "type": "response_item",
                "payload": item,
            }
        )
        if item.get("type") == "message" and item.get("role") == "user":
            records.append(
                {
                    "timestamp": f"2025-10-01T10:00:{n % 60:02d}.{n:03d}Z",
                    "type": "event_msg",
                    "payload": {"type": "user_message", "message": "(echo)"},
                }
            )
    return records


def _responses_items(events: Sequence[Event], kinds: dict[str, str]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for kind, body in events:
        if kind in ("user", "assistant"):
            part = "input_text" if kind == "user" else "output_text"
            items.append(
                {"type": "message", "role": kind, "content": [{"type": part, "text": body}]}
            )
        elif kind == "calls":
            for call_id in body:
                call_kind = kinds.get(call_id, "function_call")
                if call_kind == "custom_tool_call":
                    items.append(
                        {
                            "type": "custom_tool_call",
                            "call_id": call_id,
                            "name": "apply_patch",
                            "input": "*** x",
                        }
                    )
                elif call_kind == "local_shell_call":
                    items.append(
                        {
                            "type": "local_shell_call",
                            "call_id": call_id,
                            "status": "completed",
                            "action": {"type": "exec", "command": ["ls"]},
                        }
                    )
                else:
                    items.append(
                        {
                            "type": "function_call",
                            "name": "shell",
                            "arguments": '{"cmd":"ls"}',
                            "call_id": call_id,
                        }
                    )
        elif kind == "outputs":
            for call_id in body:
                out_kind = (
                    "custom_tool_call_output"
                    if kinds.get(call_id) == "custom_tool_call"
                    else "function_call_output"
                )
                items.append(
                    {"type": out_kind, "call_id": call_id, "output": f"result of {call_id}"}
                )
    return items


def _chat(events: Sequence[Event]) -> list[Any]:
    messages: list[Any] = [{"role": "system", "content": "You are helpful."}]
    for kind, body in events:
        if kind in ("user", "assistant"):
            messages.append({"role": kind, "content": body})
        elif kind == "calls":
            messages.append(
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": c,
                            "type": "function",
                            "function": {"name": "shell", "arguments": "{}"},
                        }
                        for c in body
                    ],
                }
            )
        elif kind == "outputs":
            messages.extend(
                {"role": "tool", "tool_call_id": c, "content": f"result of {c}"} for c in body
            )
    return messages


def _anthropic(events: Sequence[Event]) -> list[Any]:
    messages: list[Any] = []
    for kind, body in events:
        if kind in ("user", "assistant"):
            messages.append({"role": kind, "content": body})
        elif kind == "calls":
            blocks: list[Any] = [{"type": "text", "text": "Let me look."}]
            blocks += [
                {"type": "tool_use", "id": c, "name": "bash", "input": {"command": "ls"}}
                for c in body
            ]
            messages.append({"role": "assistant", "content": blocks})
        elif kind == "outputs":
            messages.append(
                {
                    "role": "user",
                    "content": [
                        {"type": "tool_result", "tool_use_id": c, "content": f"result of {c}"}
                        for c in body
                    ],
                }
            )
    return messages


def _native(events: Sequence[Event]) -> list[Any]:
    records: list[Any] = [
        {"type": "session", "session_id": "sess_1", "agent": "demo", "timestamp": 1759917600}
    ]
    t = 1759917600
    for kind, body in events:
        t += 1
        if kind in ("user", "assistant"):
            records.append({"type": "message", "role": kind, "content": body, "timestamp": t})
        elif kind == "calls":
            records.extend(
                {
                    "type": "tool_call",
                    "call_id": c,
                    "tool_name": "shell",
                    "args": {"command": "ls"},
                    "timestamp": t,
                }
                for c in body
            )
        elif kind == "outputs":
            records.extend(
                {
                    "type": "tool_output",
                    "call_id": c,
                    "status": "success",
                    "content": "ok",
                    "timestamp": t,
                }
                for c in body
            )
    return records


def records_of(
    dialect: str,
    events: Sequence[Event],
    kinds: dict[str, str] | None = None,
    claude_style: str = "2.0",
) -> list[Any]:
    kinds = kinds or {}
    if dialect == "codex":
        return _codex(events, kinds)
    if dialect == "openai-responses":
        return _responses_items(events, kinds)
    if dialect == "openai-chat":
        return _chat(events)
    if dialect == "anthropic":
        return _anthropic(events)
    if dialect == "claude-code":
        return _claude_code(events, claude_style)
    if dialect == "native":
        return _native(events)
    raise ValueError(dialect)


def render_records(
    records: Sequence[Any],
    layout: str = "jsonl",
    pretty: bool = False,
    crlf: bool = False,
    bom: bool = False,
    final_newline: bool = True,
) -> bytes:
    """layout: jsonl | array | messages | input."""
    if layout == "jsonl":
        data = b"\n".join(dumps(r) for r in records) + (b"\n" if final_newline else b"")
    else:
        value: Any = list(records) if layout == "array" else {layout: list(records)}
        data = dumps(value, pretty) + (b"\n" if final_newline else b"")
    if crlf:
        data = data.replace(b"\n", b"\r\n")
    if bom:
        data = b"\xef\xbb\xbf" + data
    return data


def default_layout(dialect: str) -> str:
    return {"openai-responses": "input", "openai-chat": "messages", "anthropic": "messages"}.get(
        dialect, "jsonl"
    )


def render(
    dialect: str, events: Sequence[Event], kinds: dict[str, str] | None = None, **kw: Any
) -> bytes:
    layout = kw.pop("layout", None) or default_layout(dialect)
    return render_records(records_of(dialect, events, kinds), layout, **kw)


# --- a clean history to break by hand -----------------------------------------------------


def render_dataset(
    conversations: Sequence[Sequence[Event]], tools: Sequence[str] | None = None
) -> bytes:
    """A fine-tuning data set: each conversation on a line of its own, as Chat messages (every
    call names `shell`), with `tools` listed on each line when given."""
    lines = []
    for events in conversations:
        line: dict[str, Any] = {"messages": _chat(events)}
        if tools is not None:
            line["tools"] = [
                {"type": "function", "function": {"name": name, "parameters": {}}} for name in tools
            ]
        lines.append(dumps(line))
    return b"\n".join(lines) + b"\n"


def clean_events(prefix: str = "call_", batches: Sequence[int] = (1, 2)) -> list[Event]:
    events: list[Event] = [("user", "please look")]
    n = 0
    for size in batches:
        ids = [f"{prefix}{chr(65 + n + i)}" for i in range(size)]
        n += size
        events += [("calls", ids), ("outputs", ids), ("assistant", "done that")]
    return events


# --- hypothesis: generated broken histories --------------------------------------------------


@st.composite
def broken_events(
    draw: st.DrawFn, prefix: str = "call_", allow_duplicate_calls: bool = False
) -> list[Event]:
    """A history of several turns with dangling calls, orphans, duplicate and misplaced outputs."""
    events: list[Event] = [("user", "start")]
    counter = 0
    for _ in range(draw(st.integers(1, 4))):
        size = draw(st.integers(1, 3))
        ids = [f"{prefix}{counter + i:03d}x" for i in range(size)]
        counter += size
        answered = [
            c for c in ids if not draw(st.booleans()) or not draw(st.booleans())
        ]  # ~25% dangling
        fault = draw(
            st.sampled_from(["none", "none", "orphan", "duplicate", "early", "late", "split"])
        )
        if allow_duplicate_calls and counter > size and draw(st.integers(0, 9)) == 0:
            ids = [*ids, f"{prefix}{0:03d}x"]  # reuses the very first id: H003
        if draw(st.integers(0, 4)) == 0:
            events.append(("system", "PreToolUse hook ran"))  # Claude Code only; others skip it
        if fault == "early" and answered:
            events += [("outputs", answered[:1]), ("calls", ids), ("outputs", answered[1:])]
        elif fault == "late" and answered:
            events += [("calls", ids), ("user", "meanwhile"), ("outputs", answered)]
        elif fault == "split" and len(answered) > 1:
            events += [
                ("calls", ids),
                ("outputs", answered[:1]),
                ("assistant", "hm"),
                ("outputs", answered[1:]),
            ]
        else:
            outputs = list(answered)
            if fault == "orphan":
                outputs.append(f"{prefix}{900 + counter}gone")
            if fault == "duplicate" and answered:
                outputs.append(answered[0])
            hook = [("system", "PostToolUse hook ran")] if draw(st.integers(0, 4)) == 0 else []
            events += [("calls", ids), *hook, ("outputs", outputs)]
        if draw(st.booleans()):
            events.append(("assistant", "ok"))
    return [e for e in events if e[0] not in ("calls", "outputs") or e[1]]
