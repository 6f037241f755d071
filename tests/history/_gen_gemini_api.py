"""Gemini API `contents` written from the dialect-free events of `_gen` (a turn of calls is
one model content, with the text the model said just before it; its responses one user
content, or one a response), with or without part ids, in either spelling."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._gen import Event, render_records

SIGNATURE = "CpYEAXLI2nx+sig/ab=="  # kept byte for byte by every repair
# The ids a history's parts carry: all, none, only the responses' (the Gemini CLI's own).
ID_STYLES: list[bool | str] = [True, False, "cli"]


def function_name(call_id: str, names: int = 2) -> str:
    """Calls share a few names, so that pairing by name and rank has work to do."""
    return f"tool_{sum(map(ord, call_id)) % names}"


def contents_of(
    events: Sequence[Event],
    ids: bool | str = True,
    names: int = 2,
    snake: bool = False,
    split: bool = False,
) -> list[Any]:
    """Contents for `events`. `ids`: the parts carry their call's id (True), none (False,
    name and rank pair them), or "cli": only the responses carry one, made up as the Gemini
    CLI did until 2026-05. An output of a call that is nowhere is named `gone`. `snake`:
    snake_case field names; `split`: each response in a user turn of its own."""
    call_key, response_key = ("function_call", "function_response") if snake else CAMEL
    named = {
        call_id: function_name(call_id, names)
        for kind, body in events
        if kind == "calls"
        for call_id in body
    }
    contents: list[Any] = []
    answers = 0
    for kind, body in events:
        if kind in ("user", "assistant"):
            role = "user" if kind == "user" else "model"
            contents.append({"role": role, "parts": [{"text": body}]})
        elif kind == "calls":
            parts = []
            for n, call_id in enumerate(body):
                call: dict[str, Any] = {"id": call_id} if ids is True else {}
                call |= {"name": named[call_id], "args": {"q": call_id}}
                part: dict[str, Any] = {call_key: call}
                if n == 0:
                    part["thought_signature" if snake else "thoughtSignature"] = SIGNATURE
                parts.append(part)
            if contents and contents[-1]["role"] == "model" and "text" in contents[-1]["parts"][-1]:
                contents[-1]["parts"] += parts  # what it said and what it calls: one turn
            else:
                contents.append({"role": "model", "parts": parts})
        elif kind == "outputs":
            parts = []
            for call_id in body:
                name, answers = named.get(call_id, "gone"), answers + 1
                response: dict[str, Any] = {"id": _response_id(ids, call_id, name, answers)}
                if not ids:
                    response = {}
                response |= {"name": name, "response": {"output": f"result of {call_id}"}}
                parts.append({response_key: response})
            if split:
                contents += [{"role": "user", "parts": [part]} for part in parts]
            else:
                contents.append({"role": "user", "parts": parts})
    return contents


CAMEL = ("functionCall", "functionResponse")


def _response_id(ids: bool | str, call_id: str, name: str, n: int) -> str:
    """The call's id, or one made up the way the Gemini CLI did (name, time, random: one
    of its own for each response, the `n`th)."""
    if ids == "cli":
        return f"{name}-{1760000000000 + n}-{sum(map(ord, call_id)) * 7919 % 65536:04x}"
    return call_id


def render_gemini_api(
    events: Sequence[Event],
    ids: bool | str = True,
    layout: str = "contents",
    snake: bool = False,
    split: bool = False,
    **kw: Any,
) -> bytes:
    """layout: contents (a request body) | history (a `/chat save` checkpoint) | array."""
    return render_records(contents_of(events, ids, snake=snake, split=split), layout, **kw)
