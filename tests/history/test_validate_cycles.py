"""A validation leaves no reference cycle behind: the server drops a big document's old
history on each keystroke, and one held by a cycle waited for the rare full collection."""

from __future__ import annotations

import gc

from context_ls.history.reader import read_history
from context_ls.history.validate import validate

from ._gen import render


def test_a_validated_history_is_freed_without_the_cycle_collector() -> None:
    data = render("native", [("calls", ["call_a", "call_b"]), ("outputs", ["call_a", "gone"])])
    history = read_history(data)
    gc.collect()
    gc.disable()
    try:
        findings = validate(history)
        assert {f.code for f in findings} >= {"H001", "H002"}  # it really collected findings
        del history, findings
        assert gc.collect() == 0  # nothing was left for the cycle collector to find
    finally:
        gc.enable()
