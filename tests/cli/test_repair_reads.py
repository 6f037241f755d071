"""What `normalize` and `trim` read: compressed rollouts, `--dialect` on the wrong file,
sub-agent files beside their session, and files that are not histories."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import Run

zstandard = pytest.importorskip("zstandard")


def line(**value: object) -> bytes:
    return json.dumps({"timestamp": "2026-01-01T00:00:00Z", **value}).encode() + b"\n"


ROLLOUT = (
    line(type="session_meta", payload={"id": "s", "cwd": "/p"})
    + line(
        type="response_item",
        payload={"type": "function_call", "name": "x", "arguments": "{}", "call_id": "c1"},
    )
    + line(type="response_item", payload={"type": "message", "role": "user", "content": []})
)


def unzstd(path: Path) -> bytes:
    return zstandard.ZstdDecompressor().decompressobj().decompress(path.read_bytes())


def test_a_compressed_rollout_is_repaired_and_stays_compressed(cli: Run, tmp_path: Path) -> None:
    path = tmp_path / "rollout-1.jsonl.zst"
    original = zstandard.ZstdCompressor().compress(ROLLOUT)
    path.write_bytes(original)
    diff = cli("normalize", path)
    assert diff.code == 0 and '"output":"aborted"' in diff.out.replace(" ", "")
    assert cli("normalize", "--write", path).code == 0
    repaired = unzstd(path)
    assert repaired.startswith(ROLLOUT.splitlines(keepends=True)[0])
    assert b'"function_call_output"' in repaired
    assert cli("check", path).code == 0
    assert cli("snapshot", "restore", path).code == 0
    assert path.read_bytes() == original  # the snapshot holds the bytes that were on disk


def test_a_compressed_rollout_beside_its_plain_copy_is_refused(cli: Run, tmp_path: Path) -> None:
    """Codex reads and appends to the plain copy: repairing the compressed one fixes nothing."""
    path = tmp_path / "rollout-1.jsonl.zst"
    original = zstandard.ZstdCompressor().compress(ROLLOUT)
    path.write_bytes(original)
    (tmp_path / "rollout-1.jsonl").write_bytes(ROLLOUT)
    result = cli("normalize", "--write", path)
    assert result.code == 2
    assert "rollout-1.jsonl beside it" in result.err
    assert path.read_bytes() == original


def test_normalize_with_a_dialect_the_named_file_does_not_hold_exits_2(
    cli: Run, tmp_path: Path
) -> None:
    path = tmp_path / "r.jsonl"
    path.write_bytes(ROLLOUT)
    for command in (("normalize", "--write"), ("trim", "--keep", "1", "--write")):
        result = cli(*command, "--dialect", "claude-code", path)
        assert result.code == 2, command
        assert "no claude-code records" in result.err
        assert path.read_bytes() == ROLLOUT


def test_normalize_names_a_named_file_that_is_not_a_history(cli: Run, tmp_path: Path) -> None:
    path = tmp_path / "package.json"
    path.write_text('{"name": "x", "version": "1.0.0"}\n')
    result = cli("normalize", "--write", path)
    assert result.code == 0
    assert f"{path}: not a history; skipped" in result.err
    assert "1 skipped (not histories)" in result.err


def cc_line(uuid: str, parent: str | None, text: str) -> bytes:
    value = {
        "type": "user",
        "uuid": uuid,
        "parentUuid": parent,
        "isSidechain": True,
        "agentId": "a1",
        "sessionId": "sess",
        "message": {"role": "user", "content": text},
    }
    return json.dumps(value).encode() + b"\n"


def test_a_subagent_link_is_repaired_only_when_its_session_lacks_the_line(
    cli: Run, tmp_path: Path
) -> None:
    (tmp_path / "sess.jsonl").write_bytes(
        json.dumps({"type": "user", "uuid": "p1", "parentUuid": None, "message": {}}).encode()
        + b"\n"
    )
    folder = tmp_path / "sess" / "subagents"
    folder.mkdir(parents=True)
    linked = folder / "agent-a1.jsonl"
    linked.write_bytes(cc_line("c1", "p1", "go") + cc_line("c2", "c1", "on"))
    broken = folder / "agent-a2.jsonl"
    broken.write_bytes(cc_line("c1", "gone", "go") + cc_line("c2", "c1", "on"))
    assert cli("check", linked).code == 0
    assert cli("normalize", "--check", linked).code == 0
    assert cli("check", broken).code == 1
    assert cli("normalize", "--write", broken).code == 0
    assert b'"parentUuid": null' in broken.read_bytes().splitlines()[0]
    assert cli("check", broken).code == 0
