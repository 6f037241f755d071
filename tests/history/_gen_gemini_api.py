"""Gemini API `contents` written from the dialect-free events of `_gen` (a turn of calls is
one model content, with the text the model said just before it; its responses one user
content), with or without part ids."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._gen import Event, render_records

SIGNATURE = "CpYEAXLI2nx+sig/ab=="  # kept byte for byte by every repair


def function_name(call_id: str, names: int = 2) -> str:
    """Calls share a few names, so that pairing by name and rank has work to do."""
    return f"tool_{sum(map(ord, call_id)) % names}"


def contents_of(events: Sequence[Event], ids: bool = True, names: int = 2) -> list[Any]:
    """Contents for `events`; `ids`: the parts carry their call's id (else name and rank
    pair them). An output of a call that is nowhere is named `gone`."""
    named = {
        call_id: function_name(call_id, names)
        for kind, body in events
        if kind == "calls"
        for call_id in body
    }
    contents: list[Any] = []
    for kind, body in events:
        if kind in ("user", "assistant"):
            role = "user" if kind == "user" else "model"
            contents.append({"role": role, "parts": [{"text": body}]})
        elif kind == "calls":
            parts = []
            for n, call_id in enumerate(body):
                call: dict[str, Any] = {"id": call_id} if ids else {}
                call |= {"name": named[call_id], "args": {"q": call_id}}
                part: dict[str, Any] = {"functionCall": call}
                if n == 0:
                    part["thoughtSignature"] = SIGNATURE
                parts.append(part)
            if contents and contents[-1]["role"] == "model" and "text" in contents[-1]["parts"][-1]:
                contents[-1]["parts"] += parts  # what it said and what it calls: one turn
            else:
                contents.append({"role": "model", "parts": parts})
        elif kind == "outputs":
            parts = []
            for call_id in body:
                response: dict[str, Any] = {"id": call_id} if ids else {}
                response |= {
                    "name": named.get(call_id, "gone"),
                    "response": {"output": f"result of {call_id}"},
                }
                parts.append({"functionResponse": response})
            contents.append({"role": "user", "parts": parts})
    return contents


def render_gemini_api(
    events: Sequence[Event], ids: bool = True, layout: str = "contents", **kw: Any
) -> bytes:
    """layout: contents (a request body) | history (a `/chat save` checkpoint) | array."""
    return render_records(contents_of(events, ids), layout, **kw)
