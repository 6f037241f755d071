"""H006 read from the columns (`adjacency.not_adjacent_calls`) judges every answered call as the
record views did (`adjacent` on `Item`s), on generated histories of every adjacency
dialect, chained (Claude Code parent links, some of them cut) or not."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from context_ls.history.adjacency import adjacent, not_adjacent_calls
from context_ls.history.dialects import dialect_of
from context_ls.history.model import Call, History
from context_ls.history.reader import read_source
from context_ls.history.validate import Pairs

from ._gen import ALL_DIALECTS, broken_events, call_prefix, render, without_parent
from ._gen_bedrock import render_bedrock
from ._gen_gemini_api import render_gemini_api

SETTINGS = settings(
    max_examples=int(os.environ.get("CONTEXT_LS_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
DIALECTS = (*ALL_DIALECTS, "bedrock-converse", "gemini-api")


def _by_views(p: Pairs) -> list[Call]:
    """The calls H006 points at, judged on record views (the pass before the columns)."""
    items = p.history.items
    found = []
    for call in p.answered:
        kept = p.first_outputs[call.call_id]
        if kept.item >= call.item and not adjacent(p, items[call.item], items[kept.item]):
            found.append(call)
    return found


def _history(dialect: str, data: bytes) -> History:
    history, _clean = read_source(data, dialect)
    return history


@SETTINGS
@given(st.sampled_from(DIALECTS), st.data())
def test_columns_judge_adjacency_as_the_views_did(dialect: str, data: st.DataObject) -> None:
    prefix = "toolu_" if dialect == "bedrock-converse" else call_prefix(dialect)
    events = data.draw(broken_events(prefix=prefix, allow_duplicate_calls=True))
    if dialect == "bedrock-converse":
        source = render_bedrock(events)
    elif dialect == "gemini-api":
        source = render_gemini_api(events)
    else:
        source = render(dialect, events)
    if dialect == "claude-code":
        lines = source.split(b"\n")
        cut = data.draw(st.sets(st.integers(0, max(len(lines) - 1, 0))))
        source = b"\n".join(without_parent(x) if n in cut else x for n, x in enumerate(lines))
    history = _history(dialect, source)
    assert history.dialect is not None
    p = Pairs.of(history, dialect_of(history.dialect), trailing_calls_pending=False)
    assert not_adjacent_calls(p) == _by_views(p)
