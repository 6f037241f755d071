"""The lean read of a big Anthropic Messages document (`anthropic_scan`) gives exactly the
full read's findings: a property over random documents (every kind of break the rules
judge: pairing, turns of one role, results not first, blank texts, thinking), and the
bench document when it is at hand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from context_ls.history import doc_chunks, docscan
from context_ls.history.analysis import Options
from context_ls.history.dialects import DIALECTS

from .test_docscan import SECRET, assert_same

BENCH = Path(__file__).resolve().parents[2] / "bench" / "data" / "anthropic-6012.json"


@pytest.fixture
def lean_anthropic(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every Anthropic document takes the lean read, however small."""
    assert DIALECTS["anthropic"].document_scan is not None
    monkeypatch.setattr(docscan, "MIN_BYTES", 0)
    monkeypatch.setattr(docscan, "MAX_KEPT", 1.0)


def _use(call_id: str | None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "tool_use", "name": "bash", "input": {"cmd": "ls"}}
    if call_id is not None:
        block["id"] = call_id
    return block


def _result(call_id: str, error: bool = False) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "tool_result", "tool_use_id": call_id, "content": "ok"}
    if error:
        block["is_error"] = True
    return block


_TEXTS = ["Looking.", "", " ", "\n"]
_ODD: list[Any] = [
    7,
    {"content": "no role"},
    {"role": "user", "content": "  "},
    {"role": "user", "content": ""},
    {"role": "system", "content": "x"},
    {"role": "user", "content": [1, {"type": "text", "text": "x"}]},
    {"role": "user", "content": [{"type": "image", "source": {"type": "base64", "data": "x"}}]},
    {"role": "assistant", "content": [{"type": "thinking", "thinking": "hm", "signature": "s"}]},
    {"role": "assistant", "content": [{"type": "text", "text": 5}]},
    {"role": "user", "content": [{"type": "tool_result", "content": "no id"}]},
    {"role": "assistant", "content": [_use(None)]},
    {"role": "assistant", "content": [_use("")]},
    {"role": "user", "content": [{"type": "tool_result", "tool_use_id": 3}]},
    {"role": "user", "content": {"type": "text", "text": "an object"}},
    {"role": "user", "content": "__HUGE__", "extra": 1},
]


@st.composite
def conversations(draw: st.DrawFn) -> list[Any]:
    messages: list[Any] = [{"role": "user", "content": "please look"}]
    fresh = 0
    for _ in range(draw(st.integers(0, 12))):
        kind = draw(st.sampled_from(["turn"] * 6 + ["text", "odd", "pool", "secret"]))
        if kind == "turn":
            ids = [f"toolu_{fresh + n}" for n in range(draw(st.integers(1, 3)))]
            fresh += len(ids)
            text = draw(st.sampled_from(_TEXTS))
            thinking = draw(st.booleans())
            blocks: list[Any] = [{"type": "thinking", "thinking": "t", "signature": "s"}]
            blocks = (blocks if thinking else []) + [{"type": "text", "text": text}]
            messages.append({"role": "assistant", "content": blocks + [_use(i) for i in ids]})
            results = [_result(i, draw(st.booleans())) for i in ids]
            change = draw(
                st.sampled_from(["none"] * 4 + ["drop", "twice", "later", "after-text", "split"])
            )
            if change == "drop":
                results.pop(draw(st.integers(0, len(results) - 1)))
            elif change == "twice":
                results.append(results[0])
            elif change == "after-text":
                results.insert(0, {"type": "text", "text": draw(st.sampled_from(_TEXTS))})
            if change == "split" and len(results) > 1:
                messages.append({"role": "user", "content": results[:1]})
                messages.append({"role": "user", "content": results[1:]})
            elif results:
                messages.append({"role": "user", "content": results})
            if change == "later":
                messages.append({"role": "assistant", "content": "and then"})
                messages.append({"role": "user", "content": [_result(ids[0])]})
        elif kind == "text":
            role = draw(st.sampled_from(["user", "assistant"]))
            text = draw(st.sampled_from(_TEXTS))
            content: Any = text if draw(st.booleans()) else [{"type": "text", "text": text}]
            messages.append({"role": role, "content": content})
        elif kind == "odd":
            messages.append(draw(st.sampled_from(_ODD)))
        elif kind == "pool":
            call_id = draw(st.sampled_from(["toolu_a", "toolu_b"]))
            if draw(st.booleans()):
                messages.append({"role": "assistant", "content": [_use(call_id)]})
            else:
                messages.append({"role": "user", "content": [_result(call_id)]})
        else:
            messages.append({"role": "user", "content": [{"type": "text", "text": SECRET}]})
    return messages


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    messages=conversations(),
    indent=st.sampled_from([None, 2]),
    bare=st.booleans(),
    forced=st.booleans(),
    pending=st.booleans(),
    chunk=st.sampled_from([1, 300, doc_chunks.CHUNK]),
)
def test_lean_read_finds_what_the_full_read_finds(
    lean_anthropic: None,
    messages: list[Any],
    indent: int | None,
    bare: bool,
    forced: bool,
    pending: bool,
    chunk: int,
) -> None:
    body: Any = messages if bare else {"model": "claude", "messages": messages}
    data = json.dumps(body, indent=indent).encode().replace(b'"__HUGE__"', b"1e999")
    was, doc_chunks.CHUNK = doc_chunks.CHUNK, chunk
    try:
        assert_same(data, Options(trailing_calls_pending=pending), "anthropic" if forced else None)
    finally:
        doc_chunks.CHUNK = was


def _clean(turns: int) -> list[Any]:
    messages: list[Any] = [{"role": "user", "content": "please look"}]
    for n in range(turns):
        ids = [f"toolu_{n}a", f"toolu_{n}b"]
        messages.append(
            {"role": "assistant", "content": [{"type": "text", "text": "x"}, *map(_use, ids)]}
        )
        messages.append({"role": "user", "content": [_result(i) for i in ids]})
        messages.append({"role": "assistant", "content": "done"})
        messages.append({"role": "user", "content": "next"})
    return messages


def test_a_clean_document_keeps_only_its_broken_records(lean_anthropic: None) -> None:
    messages = _clean(100)
    messages[10]["content"].pop()  # toolu_2b has no result
    data = json.dumps({"messages": messages}, indent=2).encode()
    found = docscan.scan(data)
    assert found is not None and found.dialect == "anthropic"
    lean = assert_same(data)
    assert lean.history.sparse and [f.code for f in lean.findings] == ["H001"]
    assert len(lean.history.items) < 10


@pytest.mark.skipif(not BENCH.is_file(), reason="needs bench/data/anthropic-6012.json")
def test_the_bench_document(lean_anthropic: None) -> None:
    lean = assert_same(BENCH.read_bytes())
    assert lean.history.sparse
