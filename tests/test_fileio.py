"""atomic_write: old or new bytes, never a mix, even under SIGKILL."""

from __future__ import annotations

import os
import random
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from context_ls.fileio import atomic_write, read_bytes

OLD = b"a" * 300_000 + b"\n"
NEW = b"b" * 100_000 + b"\r\n"

# Alternates the two contents as fast as it can until killed.
WRITER = """
import sys
from pathlib import Path
from context_ls.fileio import atomic_write
path = Path(sys.argv[1])
contents = [b"a" * 300_000 + b"\\n", b"b" * 100_000 + b"\\r\\n"]
sys.stdout.write("ready\\n")
sys.stdout.flush()
i = 1
while True:
    atomic_write(path, contents[i % 2])
    i += 1
"""


def test_atomic_write_replaces_content_and_keeps_mode(tmp_path: Path) -> None:
    target = tmp_path / "history.jsonl"
    target.write_bytes(b"old\n")
    os.chmod(target, 0o640)
    atomic_write(target, b"new\r\n\xff")
    assert read_bytes(target) == b"new\r\n\xff"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["history.jsonl"]


def test_atomic_write_creates_missing_file(tmp_path: Path) -> None:
    target = tmp_path / "fresh.json"
    atomic_write(target, b"[]")
    assert target.read_bytes() == b"[]"


def test_atomic_write_through_symlink_keeps_the_link(tmp_path: Path) -> None:
    real = tmp_path / "real.jsonl"
    real.write_bytes(b"old")
    link = tmp_path / "link.jsonl"
    link.symlink_to(real)
    atomic_write(link, b"new")
    assert link.is_symlink()
    assert real.read_bytes() == b"new"


def test_failed_write_leaves_old_file_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "history.jsonl"
    target.write_bytes(b"old")

    with pytest.raises(TypeError):
        atomic_write(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["history.jsonl"]


@pytest.mark.slow
def test_sigkill_at_random_points_never_tears_the_file(tmp_path: Path) -> None:
    target = tmp_path / "history.jsonl"
    target.write_bytes(OLD)
    rng = random.Random(4)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    for _ in range(200):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(target)],
            stdout=subprocess.PIPE,
            env=env,
        )
        assert writer.stdout is not None
        assert writer.stdout.readline() == b"ready\n"
        # Spin for a random while (0 to ~3 ms) so the kill lands anywhere in a write.
        for _ in range(rng.randrange(0, 30_000)):
            pass
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
        writer.stdout.close()
        content = target.read_bytes()
        assert content in (OLD, NEW), f"torn file: {len(content)} bytes"
    # Killed writers may leave their temporary files behind; never the target torn.
    leftovers = [p for p in tmp_path.iterdir() if p.name != target.name]
    assert all(p.name.startswith(".history.jsonl.") for p in leftovers)
