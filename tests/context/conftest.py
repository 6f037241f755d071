"""Shared fixtures for the context tests: a private state folder and a fake clock."""

from __future__ import annotations

from pathlib import Path

import pytest

from .fakes import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A state folder of its own, also set as $CONTEXT_LS_STATE_DIR for code that defaults."""
    folder = tmp_path / "state"
    monkeypatch.setenv("CONTEXT_LS_STATE_DIR", str(folder))
    return folder
