"""The records decoded to detect a JSONL source's dialect are not decoded again: their facts
come from those values, and must be what the dialect's reader gives from the bytes."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from context_ls.history.reader import read_history

from ._gen import ALL_DIALECTS, EXAMPLES
from .test_properties import histories

REALDATA = Path(__file__).resolve().parents[3] / "shared" / "realdata"
FILES = sorted(EXAMPLES.glob("*.jsonl")) + (
    sorted(REALDATA.rglob("*.jsonl")) if REALDATA.is_dir() else []
)


def _read(data: bytes, dialect: str | None = None) -> tuple[object, ...]:
    history = read_history(data, dialect)
    items = [(i.span, i.kind, i.role, i.turn, i.abandoned, i.error) for i in history.items]
    return (
        history.dialect,
        items,
        [(c.call_id, c.item, c.block, c.kind, c.tool) for c in history.calls],
        [(o.call_id, o.item, o.block, o.kind, o.status) for o in history.outputs],
        history.missing_ids,
        history.problems,
    )


def _same_as_forced(data: bytes) -> None:
    detected = read_history(data).dialect
    if detected is not None:  # forced: every record read from its bytes
        assert _read(data) == _read(data, detected)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_files_read_alike_when_detected_and_when_forced(path: Path) -> None:
    _same_as_forced(path.read_bytes())


@settings(max_examples=60, deadline=None)
@given(dialect=st.sampled_from(ALL_DIALECTS), data=st.data())
def test_generated_histories_read_alike_when_detected_and_when_forced(
    dialect: str, data: st.DataObject
) -> None:
    _same_as_forced(data.draw(histories(dialect)))
