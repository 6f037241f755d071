"""A dialect no provider's API reads (native) says what goes wrong for the program that
reads the file; it never quotes an answer from an API that does not exist."""

from __future__ import annotations

import json
from pathlib import Path

from context_ls.history.api import analyze, analyze_path
from context_ls.history.dialects.native import DIALECT
from context_ls.history.model import Output
from context_ls.history.rules import API_ANSWER, RULES, ReaderEffect

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _native(*records: dict[str, object]) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in records)


def _call(call_id: str, t: int) -> dict[str, object]:
    return {
        "type": "tool_call",
        "call_id": call_id,
        "tool_name": "shell",
        "args": {},
        "timestamp": t,
    }


def _output(call_id: str, t: int) -> dict[str, object]:
    return {
        "type": "tool_output",
        "call_id": call_id,
        "status": "success",
        "content": "ok",
        "timestamp": t,
    }


def test_every_quoted_answer_ends_the_way_the_swap_expects() -> None:
    for rule in RULES.values():
        for template in rule.messages.values():
            if "API will answer" in template:
                assert template.endswith(API_ANSWER), (rule.code, template)


def test_native_api_texts_are_reader_effects() -> None:
    api = DIALECT.api
    assert isinstance(api.duplicate_call, ReaderEffect)
    assert isinstance(api.orphan(Output("call_x", 0, 0, "tool_output")), ReaderEffect)


def test_native_findings_name_the_reader_not_an_api() -> None:
    data = _native(
        _call("call_dup", 1),
        _call("call_dup", 2),
        _output("call_early", 3),
        _call("call_early", 4),
        _call("call_lost", 5),
        _output("call_gone", 6),
        {"type": "message", "role": "user", "content": "next", "timestamp": 7},
    )
    analysis = analyze(data)
    assert analysis.history.dialect == "native"
    by_code = {f.code: f.message for f in analysis.findings}
    assert {"H001", "H002", "H003", "H005"} <= set(by_code), by_code
    for code in ("H001", "H002", "H003", "H005"):
        assert "API" not in by_code[code] and '"' not in by_code[code], by_code[code]
        assert "program that" in by_code[code]
    example = analyze_path(EXAMPLES / "native-tools.jsonl")
    assert not [f.message for f in example.findings if "API" in f.message]


def test_dialects_with_an_api_still_quote_it() -> None:
    analysis = analyze_path(EXAMPLES / "codex-rollout-crashed.jsonl")
    h001 = [f.message for f in analysis.findings if f.code == "H001"]
    assert h001 and all('the API will answer: "No tool output found' in m for m in h001)
