"""A repair never makes a history worse: properties over generated histories of every
dialect (the same properties run over every real file in test_realdata.py)."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from context_ls.history.api import analyze, normalize_edits
from context_ls.history.model import apply_edits

from ._gen import ALL_DIALECTS, JSONL_DIALECTS, call_prefix, clean_events, codes, render
from .test_properties import SETTINGS, draw_repaired


@pytest.mark.parametrize("dialect", ALL_DIALECTS)
@SETTINGS
@given(data=st.data())
def test_normalize_never_adds_a_finding(dialect: str, data: st.DataObject) -> None:
    _, before, _, after = draw_repaired(data, dialect, duplicates=True)
    assert not Counter(codes(after)) - Counter(codes(before)), (codes(before), codes(after))


@pytest.mark.parametrize("dialect", ALL_DIALECTS)
@SETTINGS
@given(data=st.data())
def test_an_answered_call_never_gets_a_synthetic_output(dialect: str, data: st.DataObject) -> None:
    _, before, _, after = draw_repaired(data, dialect, duplicates=True)
    answered = Counter(o.call_id for o in before.history.outputs)
    now = Counter(o.call_id for o in after.history.outputs)
    assert all(now[call_id] <= count for call_id, count in answered.items())
    dangling = {f.call_id for f in before.findings if f.code == "H001"}
    assert set(now) - set(answered) <= dangling  # new outputs only for calls that had none


@pytest.mark.parametrize("dialect", ALL_DIALECTS)
@SETTINGS
@given(
    batches=st.lists(st.integers(1, 3), min_size=1, max_size=4),
    pretty=st.booleans(),
    layout_choice=st.integers(0, 2),
)
def test_nothing_to_fix_means_the_bytes_stay(
    dialect: str, batches: list[int], pretty: bool, layout_choice: int
) -> None:
    layouts = ["jsonl"] if dialect in JSONL_DIALECTS else [None, "array", "jsonl"]
    layout = layouts[layout_choice % len(layouts)]
    source = render(
        dialect, clean_events(call_prefix(dialect), batches), layout=layout, pretty=pretty
    )
    analysis = analyze(source)
    assert not any(f.fixable for f in analysis.findings)
    assert apply_edits(source, normalize_edits(analysis)) == source
