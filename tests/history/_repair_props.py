"""The properties every repair keeps, as checks on one source (the Gemini API and Bedrock
tests draw the sources): normalize is idempotent, adds no finding and leaves only the
unfixable, untouched records stay byte for byte, and trim never splits a pair."""

from __future__ import annotations

import json
import os
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from context_ls.history.api import Analysis, analyze, normalize_edits, trim_edits
from context_ls.history.items import ItemKind, next_conversation
from context_ls.history.model import apply_edits

from ._gen import codes, record_bytes

# CONTEXT_LS_EXAMPLES=2000 for a longer hunt
SETTINGS = settings(
    max_examples=int(os.environ.get("CONTEXT_LS_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
# Fixes that edit the record the finding points at.
_EDITS_ITS_RECORD = ("H002", "H004", "H005", "H006", "H007", "H011", "H012")
_CONVERSATION = (ItemKind.MESSAGE, ItemKind.CALLS, ItemKind.OUTPUTS)


def touched(analysis: Analysis) -> set[int]:
    """Records a repair may change: those a fixable finding points at, the message right
    after a call whose output is added or moved (results go into it), and in Gemini
    contents the turns on either side of those."""
    history = analysis.history
    fixed = {f.call_id for f in analysis.findings if f.code in ("H001", "H005", "H006")}
    out = {f.item for f in analysis.findings if f.code in _EDITS_ITS_RECORD and f.item >= 0}
    for call in history.calls:
        if call.call_id in fixed:
            reply = next_conversation(history.items[call.item])
            if reply is not None:
                out.add(reply.index)
    if history.dialect == "gemini-api":
        # A turn emptied by the repair takes the call turn after it, and the model turns
        # before it, into one model turn (Gemini wants calls after a user or response turn).
        items = history.items
        grown = {n for index in out for n in (index - 1, index + 1)}
        while grown - out:
            out |= grown
            grown = {n - 1 for n in out if n > 0 and items[n - 1].role == "model"}
    return out


def check_repair(source: bytes, dialect: str) -> bytes:
    """Normalize `source` once and check what a repair promises; the repaired bytes."""
    before = analyze(source)
    assert before.history.dialect == dialect
    out = apply_edits(source, normalize_edits(before))
    after = analyze(out, dialect)
    assert analyze(out).history.dialect == dialect
    # Nothing fixable is left, but in Gemini contents a turn whose emptying would leave a
    # call turn after a model turn (or first) with no user or response turn before it to
    # join: it keeps its responses, reported. And no finding came in.
    left = [f for f in after.findings if f.fixable]
    if dialect == "gemini-api":
        for finding in left:
            item = after.history.items[finding.item]
            assert finding.code in ("H002", "H004", "H005", "H006") and item.role == "user"
            assert next_conversation(item).kind is ItemKind.CALLS  # type: ignore[union-attr]
    else:
        assert not left, (codes(before), out.decode())
    assert not Counter(c for c, _ in codes(after)) - Counter(c for c, _ in codes(before))
    assert len(after.history.calls) == len(before.history.calls)  # a call is never lost
    # Idempotent.
    assert apply_edits(out, normalize_edits(after)) == out
    # Records the repair had no reason to touch are in the output byte for byte.
    spared = touched(before)
    for item, raw in zip(before.history.items, record_bytes(before), strict=True):
        if item.index not in spared and item.kind in _CONVERSATION:
            assert raw in out, f"record {item.index} changed: {raw[:200]!r}"
    if b"\r\n" in source:
        assert out.count(b"\n") == out.count(b"\r\n")
    return out


def check_trim(repaired: bytes, dialect: str, keep: int) -> None:
    """Trimming a repaired history keeps every pair whole, and the tail byte for byte."""
    base = analyze(repaired, dialect)
    trimmed = apply_edits(repaired, trim_edits(base, keep))
    after = analyze(trimmed, dialect)
    new = {code for code, _ in codes(after)} - {code for code, _ in codes(base)}
    assert not new & {"H001", "H002", "H004", "H005", "H006"}, (keep, codes(after))
    assert Counter(c.call_id for c in after.history.calls) == Counter(
        o.call_id for o in after.history.outputs
    )
    kept = [after.data[i.span.start : i.span.end] for i in after.history.items]
    tail = record_bytes(base)[len(base.history.items) - len(kept) :]
    assert kept == tail


# --- records broken at the JSON level ---------------------------------------------------------

JUNK = st.one_of(
    st.none(),
    st.integers(),
    st.text(max_size=3),
    st.lists(st.none(), max_size=2),
    st.dictionaries(st.sampled_from(["id", "name", "text", "role"]), st.none(), max_size=2),
)


@st.composite
def mangled(draw: st.DrawFn, records: list[Any], keys: list[str]) -> list[Any]:
    """`records` with a few values deep inside replaced by junk, or keys among `keys`
    dropped (what a hand edit or a buggy client leaves)."""
    records = json.loads(json.dumps(records))
    for _ in range(draw(st.integers(1, 4))):
        path: list[Any] = []
        node: Any = records
        while isinstance(node, (dict, list)) and node and draw(st.integers(0, 3)):
            key = draw(
                st.sampled_from(sorted(node) if isinstance(node, dict) else range(len(node)))
            )
            path.append(key)
            node = node[key]
        if not path:
            continue
        parent = records
        for key in path[:-1]:
            parent = parent[key]
        if isinstance(parent, dict) and path[-1] in keys and draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(JUNK)
    return records


def check_no_crash(data: bytes) -> None:
    """Broken input is read, repaired and re-read without an exception, and the repair
    adds no finding."""
    before = analyze(data)
    out = apply_edits(data, normalize_edits(before))
    after = analyze(out, before.history.dialect)
    assert not Counter(c for c, _ in codes(after)) - Counter(c for c, _ in codes(before))
    assert len(after.history.calls) == len(before.history.calls)  # a call is never lost
    apply_edits(data, trim_edits(before, 2))
