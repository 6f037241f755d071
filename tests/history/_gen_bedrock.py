"""Bedrock Converse `messages` written from the dialect-free events of `_gen` (a turn of
calls is one assistant message, its results one user message)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._gen import Event, dumps


def bedrock_messages(events: Sequence[Event]) -> list[Any]:
    messages: list[Any] = []
    for kind, body in events:
        if kind in ("user", "assistant"):
            messages.append({"role": kind, "content": [{"text": body}]})
        elif kind == "calls":
            blocks: list[Any] = [{"text": "Let me look."}]
            blocks += [
                {"toolUse": {"toolUseId": c, "name": "get_capital", "input": {"country": c}}}
                for c in body
            ]
            messages.append({"role": "assistant", "content": blocks})
        elif kind == "outputs":
            results = [
                {
                    "toolResult": {
                        "toolUseId": c,
                        "content": [{"text": f"result of {c}"}],
                        "status": "success",
                    }
                }
                for c in body
            ]
            messages.append({"role": "user", "content": results})
    return messages


def render_bedrock(
    events: Sequence[Event],
    layout: str = "messages",
    pretty: bool = False,
    crlf: bool = False,
    bom: bool = False,
) -> bytes:
    """layout: messages (a Converse request body, with what else a body carries) | array."""
    body = bedrock_messages(events)
    value: Any = body
    if layout == "messages":
        value = {"system": [{"text": "Be brief."}], "messages": body, "toolConfig": {"tools": []}}
    data = dumps(value, pretty) + b"\n"
    if crlf:
        data = data.replace(b"\n", b"\r\n")
    return b"\xef\xbb\xbf" + data if bom else data
