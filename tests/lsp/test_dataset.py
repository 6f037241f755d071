"""A fine-tuning data set opened in the editor: each line's findings sit on that line, at
the message or call they are about (pushed for VS Code, pulled for Neovim)."""

from __future__ import annotations

import json
from typing import Any

from .conftest import Session


def _line(messages: list[Any], **extra: Any) -> str:
    return json.dumps({**extra, "messages": messages}, separators=(",", ":"))


USER = {"role": "user", "content": "hi"}
DONE = {"role": "assistant", "content": "done"}
TOOLS = [{"type": "function", "function": {"name": "get_price", "parameters": {}}}]


def _call(call_id: str, name: str, arguments: Any = "{}") -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def _ask(*calls: dict[str, Any]) -> dict[str, Any]:
    return {"role": "assistant", "content": None, "tool_calls": list(calls)}


async def test_a_data_set_opens_with_diagnostics_on_the_right_lines(session: Session) -> None:
    dangling = _call("call_1", "get_price")
    unknown = _call("call_1", "get_prices", {"ticker": "MSFT"})
    lines = [
        # Healthy: the target call has no output by design; ids repeat from line to line.
        _line([USER, _ask(_call("call_1", "get_price"))], tools=TOOLS),
        _line([USER, _ask(dangling), USER, DONE], tools=TOOLS),
        _line([USER, _ask(unknown)], tools=TOOLS),
        "not json",
    ]
    text = "\n".join(lines) + "\n"
    path = session.workspace / "train.jsonl"
    path.write_text(text, encoding="utf-8")
    editor = session.editor
    uri = editor.open(path)
    found = await editor.diagnostics(uri)
    got = sorted((d.range.start.line, d.range.start.character, str(d.code)) for d in found)
    dangling_at = lines[1].index(json.dumps(dangling, separators=(",", ":")))
    unknown_at = lines[2].index(json.dumps(unknown, separators=(",", ":")))
    assert got == [
        (1, dangling_at, "H001"),
        (2, unknown_at, "H014"),
        (2, unknown_at, "H015"),
        (3, 0, "H007"),
    ]
    by_code = {str(d.code): d for d in found}
    assert by_code["H001"].message.startswith("line 2, message 2: call call_1 (get_price)")
    assert by_code["H015"].message.startswith("line 3, message 2: call call_1 names function")
    assert by_code["H001"].range.end.line == 1
