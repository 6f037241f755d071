"""Rows a dialect marks abandoned (Claude Code's branches left by a rewind, Gemini CLI's
rewritten or rewound versions) are never sent again: no dialect judges what stands on
them, whether or not its records link by uuid."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from context_ls.history.abandoned import Abandoned, any_abandoned, live_only
from context_ls.history.dialects import DIALECTS, dialect_of
from context_ls.history.reader import read_history
from context_ls.history.validate import validate

from ._gen import ALL_DIALECTS, broken_events, render
from ._gen_abandoned import GEMINI_LOG

PAIRING = {"H001", "H002", "H003", "H004", "H005", "H006", "H008", "H011"}


def _judged(data: bytes, dialect: str, rows: set[int], drop: bool) -> list[tuple[str, int]]:
    history = read_history(data, dialect)
    for row in rows:
        history.items[row].abandoned = True
    if drop:
        history.calls = [c for c in history.calls if c.item not in rows]
        history.outputs = [o for o in history.outputs if o.item not in rows]
    return sorted((f.code, f.item) for f in validate(history) if f.code in PAIRING)


@settings(max_examples=60, deadline=None)
@given(dialect=st.sampled_from(ALL_DIALECTS), events=broken_events(), data=st.data())
def test_abandoned_rows_are_left_out_of_pairing(
    dialect: str, events: list[tuple[str, object]], data: st.DataObject
) -> None:
    """Marking rows abandoned judges the history as if their calls and outputs were not
    there, in every dialect."""
    source = render(dialect, events)
    count = len(read_history(source, dialect).items)
    rows = data.draw(st.sets(st.integers(0, count - 1), max_size=count))
    found = _judged(source, dialect, rows, drop=False)
    assert found == _judged(source, dialect, rows, drop=True)
    assert not any(item in rows for _code, item in found)


def test_a_dangling_call_on_an_abandoned_row_is_not_reported() -> None:
    """Codex marks nothing itself: a row marked abandoned is still left out."""
    source = render("codex", [("user", "go"), ("calls", ["call_A"])])
    history = read_history(source, "codex")
    assert [f.code for f in validate(history)] == ["H001"] and not any_abandoned(history.items)
    history.items[history.calls[0].item].abandoned = True
    assert any_abandoned(history.items)
    assert validate(history) == []


def test_only_claude_code_links_records_by_uuid() -> None:
    """Gemini CLI marks versions abandoned without a chain; a result a repair adds joins
    the user message after its call except in the chained log."""
    assert dialect_of("gemini-cli").chain is None
    assert [name for name, d in DIALECTS.items() if d.chain is not None] == ["claude-code"]
    joins = {name for name, d in DIALECTS.items() if d.results_join_reply}
    assert {"anthropic", "bedrock-converse", "gemini-api"} <= joins
    assert not joins & {"claude-code", "codex", "gemini-cli", "openai-chat"}


def test_what_an_abandoned_call_or_output_is() -> None:
    """A superseded Gemini CLI version names the line of the live one; a rewound message
    and a live record have their own answers."""
    history = read_history(GEMINI_LOG, "gemini-cli")
    abandoned = Abandoned(history)
    notes = [(c.call_id, c.item, abandoned.note(c)) for c in history.calls]
    assert notes == [
        ("c1", 2, "superseded by a later version at line 4; this one is not sent again"),
        ("c1", 3, None),
        ("c2", 5, "dropped by a rewind; not sent again"),
    ]
    assert [abandoned.live_version(c) for c in history.calls] == [3, None, None]
    assert [(o.call_id, o.item) for o in live_only(history, history.outputs)] == [("c1", 3)]
