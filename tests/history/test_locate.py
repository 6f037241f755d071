"""Exact id ranges inside a record: the first token written under one of the id keys."""

from __future__ import annotations

from context_ls.history.locate import id_span_in, key_value_span
from context_ls.history.model import Call, Output, Span


def _call(call_id: str) -> Call:
    return Call(call_id=call_id, item=0, block=-1, kind="function_call")


def _output(call_id: str) -> Output:
    return Output(call_id=call_id, item=0, block=-1, kind="function_call_output")


def test_the_token_under_an_id_key_not_an_earlier_mention() -> None:
    record = b'{"text":"see \\"call_1\\"","note":"call_1","call_id" :\n "call_1"}'
    span = id_span_in(record, 100, _call("call_1"))
    assert span is not None
    assert record[span.start - 100 : span.end - 100] == b'"call_1"'
    assert span == Span(100 + record.rindex(b'"call_1"'), 100 + len(record) - 1)


def test_output_keys_differ_from_call_keys() -> None:
    record = b'{"type":"tool_result","tool_use_id":"toolu_1","id":"toolu_1"}'
    out = id_span_in(record, 0, _output("toolu_1"))
    assert out == Span(record.index(b'"toolu_1"'), record.index(b'"toolu_1"') + 9)
    call = id_span_in(record, 0, _call("toolu_1"))
    assert call == Span(record.rindex(b'"toolu_1"'), record.rindex(b'"toolu_1"') + 9)
    assert id_span_in(b'{"xid":"toolu_1"}', 0, _call("toolu_1")) is None


def test_ids_written_with_escapes_are_not_placed() -> None:
    record = b'{"call_id":"call_\\u00e9"}'
    assert id_span_in(record, 0, _call("call_é")) is None  # the plain token is not there
    assert id_span_in('{"call_id":"call_é"}'.encode(), 0, _call("call_é")) == Span(11, 20)


def test_key_value_span() -> None:
    record = b'{"uuid":"u2","parentUuid": "u1"}'
    assert key_value_span(record, 5, "parentUuid", "u1") == Span(5 + 27, 5 + 31)
    assert key_value_span(record, 0, "parentUuid", "u2") is None


def test_a_part_without_an_id_is_placed_on_its_own_block() -> None:
    """Gemini parts often carry no id: each call is then its own part, not the whole turn
    (two calls of one turn used to share the turn's range, and a hover found the last)."""
    import json

    from context_ls.history.api import analyze, id_span

    parts = [{"functionCall": {"name": name, "args": {}}} for name in ("read", "list")]
    answers = [{"functionResponse": {"name": n, "response": {}}} for n in ("read", "list")]
    body = {
        "contents": [
            {"role": "user", "parts": [{"text": "go"}]},
            {"role": "model", "parts": parts},
            {"role": "user", "parts": answers},
        ]
    }
    data = json.dumps(body, indent=1).encode()
    analysis = analyze(data)
    spans = [id_span(analysis, call) for call in analysis.history.calls]
    assert [json.loads(data[s.start : s.end]) for s in spans] == parts
    outputs = [id_span(analysis, out) for out in analysis.history.outputs]
    assert [json.loads(data[s.start : s.end]) for s in outputs] == answers
