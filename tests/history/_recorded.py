"""The request bodies of the recorded HTTP exchanges in ../shared/realdata (cassettes)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from context_ls.history.api import analyze, normalize_bytes

from ._gen import REPO

PYDANTIC_AI = REPO.parent / "shared" / "realdata" / "pydantic__pydantic-ai"
needs_realdata = pytest.mark.skipif(
    not PYDANTIC_AI.is_dir(), reason="../shared/realdata is not beside the clone"
)


def recorded_bodies(path: Path) -> list[Any]:
    """Each request's body: `parsed_body`, or `body` when it is a JSON string (Bedrock's)."""
    yaml = pytest.importorskip("yaml", reason="PyYAML reads the recorded HTTP exchanges")
    bodies = []
    for exchange in yaml.safe_load(path.read_text(encoding="utf-8"))["interactions"]:
        request = exchange["request"]
        parsed = request.get("parsed_body")
        if parsed is None and isinstance(request.get("body"), str):
            parsed = json.loads(request["body"])
        bodies.append(parsed)
    return bodies


def assert_healthy_bodies(name: str, dialect: str) -> list[Any]:
    """Every request body of cassette `name` reads as `dialect`, gives no finding and
    normalizes to itself (pretty-printed as a person would save it); the bodies."""
    bodies = recorded_bodies(PYDANTIC_AI / name)
    for parsed in bodies:
        data = json.dumps(parsed, indent=2).encode()
        analysis = analyze(data)
        assert (analysis.history.dialect, analysis.findings) == (dialect, [])
        assert normalize_bytes(data) == data
    return bodies
