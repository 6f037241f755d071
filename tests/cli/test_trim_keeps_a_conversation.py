"""`context-ls trim` on a request body whose last N records hold no user message: the cut
goes back to the last user message rather than write an empty `messages` list."""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import Run

BODY = {
    "messages": [
        {"role": "user", "content": [{"text": "hi"}]},
        {"role": "assistant", "content": [{"toolUse": {"toolUseId": "t1", "name": "f", "input": {}}}]},
        {"role": "user", "content": [{"toolResult": {"toolUseId": "t1", "content": [{"text": "ok"}]}}]},
        {"role": "assistant", "content": [{"text": "done"}]},
        {"role": "user", "content": [{"text": "and again"}]},
        {"role": "assistant", "content": [{"toolUse": {"toolUseId": "t3", "name": "f", "input": {}}}]},
        {"role": "user", "content": [{"toolResult": {"toolUseId": "t3", "status": "error",
                                                     "content": [{"text": "bad"}]}}]},
        {"role": "assistant", "content": [{"text": "It failed."}]},
    ]
}  # fmt: skip


def test_trim_of_a_bedrock_body_keeps_the_last_turn(cli: Run, tmp_path: Path) -> None:
    path = tmp_path / "body.json"
    path.write_text(json.dumps(BODY, indent=2), encoding="utf-8")
    assert cli("trim", path, "--keep", "2", "--write").code == 0
    assert json.loads(path.read_text(encoding="utf-8"))["messages"] == BODY["messages"][4:]
    checked = cli("check", path)
    assert checked.code == 0, checked
