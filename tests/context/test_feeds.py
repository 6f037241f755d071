"""The tool context's pending calls: an analysis settles its document's own entries and
leaves live ones (from `contextLs/toolEvent`) alone unless it shows their output."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from context_ls.context import feeds
from context_ls.context.feeds import (
    FROM_DOCUMENT,
    FROM_EVENT,
    forget_document_pending,
    is_live,
    merge_document_pending,
    start_live_call,
)

SESSIONS = ["file:///w/a.jsonl", "file:///w/b.jsonl", "sess-1"]
THIS = SESSIONS[0]
CALL_IDS = st.sampled_from([f"c{i}" for i in range(8)])

entries = st.fixed_dictionaries(
    {
        "tool": st.sampled_from(["shell", "apply_patch"]),
        "since": st.integers(0, 1_000),
        "session": st.sampled_from(SESSIONS),
    },
    optional={"source": st.sampled_from([FROM_DOCUMENT, FROM_EVENT])},
)
pendings = st.dictionaries(CALL_IDS, entries, max_size=8)
founds = st.dictionaries(CALL_IDS, st.sampled_from(["shell", "read_file"]), max_size=8)


def _mine(session: str) -> bool:
    return session == THIS


@given(pendings, founds, st.sets(CALL_IDS))
def test_an_analysis_touches_only_its_own_document_entries(
    pending: dict[str, Any], found: dict[str, str], answered: set[str]
) -> None:
    answered -= set(found)  # a call waiting for its output has none in the document
    merged = merge_document_pending(
        pending, session=THIS, in_session=_mine, found=found, answered=answered, now=5_000
    )
    for call_id, entry in pending.items():
        if entry["session"] != THIS:
            assert merged[call_id] == entry  # another session's, live or not
        elif is_live(entry):
            assert (call_id in merged) == (call_id not in answered)
            if call_id in merged:
                assert merged[call_id] == entry
        elif call_id in found:
            assert merged[call_id] == {**entry, "source": FROM_DOCUMENT}  # keeps its since
        else:
            assert call_id not in merged
    for call_id, tool in found.items():
        assert call_id in merged
        if call_id not in pending:
            assert merged[call_id] == {
                "tool": tool,
                "since": 5_000,
                "session": THIS,
                "source": FROM_DOCUMENT,
            }
    assert set(merged) <= set(pending) | set(found)


@given(pendings)
def test_closing_a_document_keeps_every_live_call(pending: dict[str, Any]) -> None:
    kept = forget_document_pending(pending, THIS)
    for call_id, entry in pending.items():
        gone = not is_live(entry) and entry["session"] == THIS
        assert (call_id in kept) == (not gone)


@given(pendings, CALL_IDS, st.integers(0, 2_000))
def test_a_started_call_is_live_and_keeps_the_earliest_since(
    pending: dict[str, Any], call_id: str, now: int
) -> None:
    after = start_live_call(pending, session="sess-1", call_id=call_id, tool="shell", now=now)
    entry = after[call_id]
    assert entry["source"] == FROM_EVENT and entry["session"] == "sess-1"
    earliest = min(now, pending[call_id]["since"]) if call_id in pending else now
    assert entry["since"] == earliest
    assert {k: v for k, v in after.items() if k != call_id} == {
        k: v for k, v in pending.items() if k != call_id
    }


def test_live_calls_are_bounded_oldest_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """A client that never says "finished" cannot grow the context past its size limit."""
    monkeypatch.setattr(feeds, "MAX_LIVE_PENDING", 3)
    pending: dict[str, Any] = {"doc": {"tool": "t", "since": 0, "session": THIS}}
    for since in range(5):
        pending = start_live_call(
            pending, session="s", call_id=f"k{since}", tool="t", now=100 + since
        )
    assert sorted(pending) == ["doc", "k2", "k3", "k4"]


def test_entries_stored_before_sources_existed_are_the_documents() -> None:
    old = {"c1": {"tool": "shell", "since": 1, "session": THIS}}
    assert not is_live(old["c1"])
    merged = merge_document_pending(
        old, session=THIS, in_session=_mine, found={}, answered=set(), now=2
    )
    assert merged == {}
