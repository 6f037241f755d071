"""How a listing finds the sessions: it hands them on a folder at a time, as soon as they
are found (the analysis starts while it looks further), and it reads only the first bytes
of each file: for a Codex rollout, its first line (the `session_meta` that names the
session and its project), as far as it goes; what that says must not depend on how much
was read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from context_ls.agents import AGENTS, Session, layouts
from context_ls.agents.survey import find_sessions

from . import homes

SID = "0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"


def _rollout(instructions: int, newline: bool) -> bytes:
    meta = {"id": SID, "cwd": "/w/project", "base_instructions": {"text": "x" * instructions}}
    first = json.dumps({"timestamp": "t", "type": "session_meta", "payload": meta})
    rest = '{"timestamp":"t","type":"event_msg","payload":{"type":"token_count"}}\n' * 3
    return (first + "\n" + rest).encode() if newline else first.encode()


@pytest.mark.parametrize(
    "instructions",
    [10, layouts.HEAD - 200, layouts.HEAD + 10, layouts.CODEX_HEAD - 200, layouts.CODEX_HEAD],
)
@pytest.mark.parametrize("newline", [True, False])
@pytest.mark.parametrize("packed", [False, True])
def test_a_rollout_names_its_session_however_long_its_first_line(
    tmp_path: Path, instructions: int, newline: bool, packed: bool
) -> None:
    data = _rollout(instructions, newline)
    path = tmp_path / f"rollout-2026-01-01T00-00-00-{SID}.jsonl"
    if packed:
        import zstandard

        path = path.with_name(path.name + ".zst")
        data = zstandard.ZstdCompressor(level=3).compress(data)
    path.write_bytes(data)
    read = layouts._codex_head(path)
    whole = layouts._head(path, layouts.CODEX_HEAD)  # what was read before: always this much
    assert layouts.codex_head(read) == layouts.codex_head(whole)
    if newline and instructions < layouts.CODEX_HEAD - 200:
        assert layouts.codex_head(read) == (SID, "/w/project")
    if newline and instructions < layouts.HEAD - 200:
        assert len(read) <= layouts.HEAD  # a short first line: only HEAD bytes are read


@pytest.mark.parametrize("project", [None, "this"])
def test_every_session_is_handed_on_once_as_its_folder_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, project: str | None
) -> None:
    home = homes.enter(homes.self_made_home(tmp_path), monkeypatch)
    where = None if project is None else str(home.project)
    batches: list[list[Session]] = []
    found = find_sessions(AGENTS, where, None, batches.append)
    handed = [session for batch in batches for session in batch]
    assert all(batches)
    assert sorted(map(str, (s.path for s in handed))) == sorted(str(s.path) for s in found.sessions)
    assert len(batches) > len(AGENTS) or project is not None  # a folder at a time
    assert found == find_sessions(AGENTS, where)  # what is found does not change
