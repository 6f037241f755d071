"""Session-wide safety: no test writes snapshots into the real user state folder."""

from __future__ import annotations

import os
import tempfile

import pytest


@pytest.fixture(autouse=True, scope="session")
def _isolated_state_dir() -> None:
    if "CONTEXT_LS_STATE_DIR" not in os.environ:
        os.environ["CONTEXT_LS_STATE_DIR"] = tempfile.mkdtemp(prefix="context-ls-state-")
