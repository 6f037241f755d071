"""The message passes that read only some rows judge as the whole walks did: H011 looks
only at records whose results are out of a row (`out_of_order`), a Gemini call turn's
H006 only at the rows before each call, on generated histories with shuffled result
blocks and rows marked abandoned."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from context_ls.history.dialects import dialect_of
from context_ls.history.items import CONVERSATION, FLAG_ABANDONED, ItemKind
from context_ls.history.message_rules import call_turns, late_results, results_first
from context_ls.history.model import History, Output
from context_ls.history.reader import read_source
from context_ls.history.validate import _Collector

from ._gen import broken_events, call_prefix, render
from ._gen_bedrock import render_bedrock
from ._gen_gemini_api import render_gemini_api

SETTINGS = settings(
    max_examples=int(os.environ.get("CONTEXT_LS_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _found(out: _Collector) -> list[tuple[str, int, str | None, str]]:
    return [(f.code, f.item, f.call_id, f.message) for f in out.findings]


def _abandon_some(history: History, data: st.DataObject) -> None:
    rows = data.draw(st.sets(st.integers(0, max(len(history.items) - 1, 0)), max_size=4))
    for row in rows:
        if row < len(history.items):
            history.items.flags[row] |= FLAG_ABANDONED


@SETTINGS
@given(st.sampled_from(("anthropic", "bedrock-converse", "claude-code")), st.data())
def test_results_first_looks_at_every_record_that_can_break_it(
    dialect: str, data: st.DataObject
) -> None:
    events = data.draw(broken_events(prefix="toolu_"))
    source = render_bedrock(events) if dialect == "bedrock-converse" else render(dialect, events)
    history, _clean = read_source(source, dialect)
    if history.outputs:  # results moved about inside and between records
        rows = sorted({o.item for o in history.outputs})
        history.outputs = [
            Output(
                o.call_id, data.draw(st.sampled_from(rows)), data.draw(st.integers(-1, 4)), o.kind
            )
            if data.draw(st.booleans())
            else o
            for o in history.outputs
        ]
    _abandon_some(history, data)
    assert history.dialect is not None
    each = dialect_of(history.dialect)
    new, old = _Collector(history, None), _Collector(history, None)
    results_first(history, each, new)
    every = {output.item for output in history.outputs if output.block > 0}
    if every:
        late_results(history, each, old, every)
    assert _found(new) == _found(old)


def _call_turns_by_walk(history: History) -> list[int]:
    """The rows of calls whose turn follows neither a user turn nor function responses,
    walking every record."""
    rows = {call.item for call in history.calls}
    sent = [i for i in history.items if i.kind in CONVERSATION and not i.abandoned]
    return [
        item.index
        for before, item in zip([None, *sent], sent, strict=False)
        if item.index in rows
        and not (
            before is not None
            and (before.role in ("user", "function") or before.kind is ItemKind.OUTPUTS)
        )
    ]


@SETTINGS
@given(st.data())
def test_gemini_call_turns_read_only_the_rows_before_calls(data: st.DataObject) -> None:
    events = data.draw(broken_events(prefix=call_prefix("gemini-api")))
    order = data.draw(st.permutations(events))  # call turns after any turn
    history, _clean = read_source(render_gemini_api(order), "gemini-api")
    _abandon_some(history, data)
    out = _Collector(history, None)
    call_turns(history, "error", out)
    assert [f.item for f in out.findings] == _call_turns_by_walk(history)
