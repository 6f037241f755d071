"""The thinking blocks of the latest assistant message are never touched (FORMATS.md 5b: the
API refuses a change to them): every repair on Anthropic and Claude Code histories whose
latest assistant message thinks leaves its thinking blocks byte for byte, in their order,
in one message; where a fix would have to change them, it is not offered."""

from __future__ import annotations

import json
from typing import Any

import pytest

from context_ls.history.api import analyze, normalize_bytes, trim_edits
from context_ls.history.model import apply_edits

from ._checks import without_parent
from ._gen_blocks import REDACTED, THINK, as_claude_code, doc, result, text, thinking_bytes, use
from ._gen_claude import cc_line

GO = {"role": "user", "content": "go"}
FIRST = [
    GO,
    {"role": "assistant", "content": [use("toolu_0")]},
    {"role": "user", "content": [result("toolu_0")]},
]
LATEST = {"role": "assistant", "content": [THINK, REDACTED, text("Both."), use("toolu_A")]}

# Each repair of the audit, next to a latest assistant message that thinks.
CASES: dict[str, tuple[list[Any], str]] = {
    # H001: a synthetic result goes into a new message after it
    "H001 synthesize": ([*FIRST, LATEST], "H001"),
    # H002: an orphan result is removed from the reply
    "H002 removal": (
        [*FIRST, LATEST, {"role": "user", "content": [result("toolu_A"), result("toolu_Z")]}],
        "H002",
    ),
    # H004: a second result of one call is removed
    "H004 removal": (
        [*FIRST, LATEST, {"role": "user", "content": [result("toolu_A"), result("toolu_A")]}],
        "H004",
    ),
    # H006: a result in a later message moves into the reply
    "H006 move": (
        [
            *FIRST,
            LATEST,
            {"role": "user", "content": [text("wait")]},
            {"role": "user", "content": [result("toolu_A")]},
        ],
        "H006",
    ),
}


def _latest_blocks(data: bytes) -> list[Any]:
    messages = json.loads(data)["messages"]
    return next(m for m in reversed(messages) if m["role"] == "assistant")["content"]


@pytest.mark.parametrize("case", sorted(CASES))
def test_anthropic_repairs_leave_the_latest_thinking_blocks(case: str) -> None:
    messages, code = CASES[case]
    data = doc(messages)
    analysis = analyze(data)
    assert code in {f.code for f in analysis.findings if f.fixable}
    out = normalize_bytes(data)
    assert thinking_bytes(out) == thinking_bytes(data) != []
    assert _latest_blocks(out) == LATEST["content"]  # the message itself is unchanged
    assert code not in {f.code for f in analyze(out).findings}


def _cc_latest(results: list[Any]) -> list[Any]:
    """Claude Code: the latest answer over three lines of one message, then `results`."""
    return [
        cc_line("u0", None, "user", "go"),
        cc_line("a1", "u0", "assistant", [THINK], "msg_9"),
        cc_line("a2", "a1", "assistant", [text("Two calls.")], "msg_9"),
        cc_line("a3", "a2", "assistant", [use("toolu_A")], "msg_9"),
        cc_line("a4", "a3", "assistant", [use("toolu_B")], "msg_9"),
        *results,
    ]


CC_CASES: dict[str, list[Any]] = {
    "H001 synthesize": _cc_latest([cc_line("r1", "a4", "user", [result("toolu_A")])]),
    "H002 removal": _cc_latest(
        [
            cc_line("r1", "a4", "user", [result("toolu_A")]),
            cc_line("r2", "r1", "user", [result("toolu_B"), result("toolu_Z")]),
        ]
    ),
    "H004 removal": _cc_latest(
        [
            cc_line("r1", "a4", "user", [result("toolu_A")]),
            cc_line("r2", "r1", "user", [result("toolu_B")]),
            cc_line("r3", "r2", "user", [result("toolu_B")]),
        ]
    ),
    "H006 move": _cc_latest(
        [
            cc_line("r1", "a4", "user", [result("toolu_A")]),
            cc_line("t1", "r1", "user", "and then?"),
            cc_line("r2", "t1", "user", [result("toolu_B")]),
        ]
    ),
}


def _lines(data: bytes) -> list[bytes]:
    return [line for line in data.split(b"\n") if line]


@pytest.mark.parametrize("case", sorted(CC_CASES))
def test_claude_code_repairs_never_split_the_latest_answer(case: str) -> None:
    lines = CC_CASES[case]
    data = b"".join(json.dumps(line).encode() + b"\n" for line in lines)
    assert case[:4] in {f.code for f in analyze(data).findings if f.fixable}
    out = normalize_bytes(data)
    answer = _lines(data)[1:5]
    after = _lines(out)
    at = after.index(answer[0])
    assert after[at : at + 4] == answer  # its four lines, byte for byte, nothing between
    assert thinking_bytes(out) == thinking_bytes(data)
    assert case[:4] not in {f.code for f in analyze(out).findings}


@pytest.mark.parametrize("keep", range(1, 8))
def test_claude_code_trim_never_cuts_into_an_answer(keep: int) -> None:
    lines = _cc_latest(
        [
            cc_line("r1", "a4", "user", [result("toolu_A")]),
            cc_line("r2", "r1", "user", [result("toolu_B")]),
        ]
    )
    data = b"".join(json.dumps(line).encode() + b"\n" for line in lines)
    analysis = analyze(data)
    out = apply_edits(data, trim_edits(analysis, keep))
    answer = [without_parent(line) for line in _lines(data)[1:5]]  # a cut re-links the first
    kept = [line for line in answer if line in {without_parent(x) for x in _lines(out)}]
    assert kept in ([], answer), f"keep={keep}: a part of the answer was kept"
    assert {f.code for f in analyze(out).findings} <= {"H009"}


def test_an_orphan_inside_the_latest_answer_goes_and_the_thinking_stays() -> None:
    # A result block misplaced inside the latest assistant message: it leaves the message,
    # the thinking blocks stay as they were (their bytes, their order).
    latest = {"role": "assistant", "content": [THINK, result("toolu_Z"), REDACTED, use("toolu_A")]}
    data = doc([*FIRST, latest, {"role": "user", "content": [result("toolu_A")]}])
    assert [f.code for f in analyze(data).findings] == ["H002"]
    out = normalize_bytes(data)
    assert thinking_bytes(out) == thinking_bytes(data)
    assert _latest_blocks(out) == [THINK, REDACTED, use("toolu_A")]


def test_the_same_repairs_in_claude_code_lines_of_one_message_each() -> None:
    for messages, code in CASES.values():
        data = as_claude_code(messages)
        out = normalize_bytes(data)
        assert thinking_bytes(out) == thinking_bytes(data)
        assert code not in {f.code for f in analyze(out).findings}
