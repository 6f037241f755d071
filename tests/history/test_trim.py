"""trim: keep the last N conversation records, never split a pair, keep headers."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from context_ls.history.api import analyze, trim_edits
from context_ls.history.model import apply_edits

from ._gen import ALL_DIALECTS, EXAMPLES, call_prefix, clean_events, codes, render
from ._gen_abandoned import CLAUDE_LATE_RESULT
from ._gen_bedrock import render_bedrock
from ._gen_gemini_api import render_gemini_api
from ._gen_gemini_cli import Session, Turn, render_json

CONVERSATION = ("message", "calls", "outputs")


def trimmed(data: bytes, keep: int) -> bytes:
    return apply_edits(data, trim_edits(analyze(data), keep))


def conversation(data: bytes, dialect: str | None = None) -> list:
    """Conversation records that count toward `keep`: Chat's leading system and developer
    messages are instructions that trim keeps on top of N."""
    # a short tail may be ambiguous on its own (plain messages fit several dialects): say which
    analysis = analyze(data, dialect)  # type: ignore[arg-type]
    records = [i for i in analysis.history.items if i.kind.value in CONVERSATION]
    if analysis.history.dialect == "openai-chat":
        while records and records[0].role in ("system", "developer"):
            records.pop(0)
    return records


@pytest.mark.parametrize("dialect", ALL_DIALECTS)
@pytest.mark.parametrize("keep", [0, 1, 2, 3, 5, 100])
def test_trim_keeps_pairs_whole_and_adds_no_findings(dialect: str, keep: int) -> None:
    data = render(dialect, clean_events(call_prefix(dialect), (2, 1, 3)))
    out = trimmed(data, keep)
    after = analyze(out, dialect)  # type: ignore[arg-type]
    assert codes(after) == []
    assert {c.call_id for c in after.history.calls} == {o.call_id for o in after.history.outputs}
    kept = len(conversation(out, dialect))
    assert kept <= len(conversation(data))
    if keep >= len(conversation(data)):
        assert out == data
    elif kept > keep:
        # No start after the asked cut: the cut went back to the last one before it,
        # the shortest tail that is a conversation.
        assert keep and trimmed(data, kept) == out
    else:
        assert kept <= keep  # never more than asked (it cuts later to keep pairs)


def test_trim_moves_the_cut_rather_than_split_a_batch() -> None:
    events = [
        ("user", "go"),
        ("calls", ["call_A", "call_B"]),
        ("outputs", ["call_A", "call_B"]),
        ("assistant", "done"),
    ]
    data = render("native", events)
    # keep 2: the last output and the message; the output's call is before the cut, so both go
    out = trimmed(data, 2)
    after = analyze(out, "native")
    assert codes(after) == []
    assert not after.history.calls and not after.history.outputs
    assert [i.role for i in conversation(out, "native")] == ["assistant"]


def test_trim_keeps_codex_headers() -> None:
    data = (EXAMPLES / "clean-codex-rollout.jsonl").read_bytes()
    out = trimmed(data, 3)
    first = json.loads(out.splitlines()[0])
    assert first["type"] == "session_meta"
    assert out.splitlines()[0] == data.splitlines()[0]
    assert codes(analyze(out)) == []
    assert len(out) < len(data)


def test_trim_keeps_claude_code_header_lines_and_relinks() -> None:
    data = render("claude-code", clean_events("toolu_", (1, 2, 1)))
    out = trimmed(data, 4)
    records = [json.loads(x) for x in out.splitlines()]
    assert records[0]["type"] == "summary"
    uuids = {r.get("uuid") for r in records}
    assert all(r.get("parentUuid") in uuids for r in records if r.get("parentUuid"))
    assert codes(analyze(out)) == []


def test_trim_records_kept_are_byte_identical() -> None:
    data = render("openai-chat", clean_events("call_", (2, 2)), pretty=True)
    analysis = analyze(data)
    out = trimmed(data, 4)
    for item in analyze(out).history.items:
        assert out[item.span.start : item.span.end] in data
    before, after = json.loads(data)["messages"], json.loads(out)["messages"]
    assert before[0]["role"] == "system" and after[0] == before[0]  # instructions stay
    assert after[1:] == before[len(before) - len(after) + 1 :]  # then a tail of the original
    assert len(after) == 1 + 4
    assert analysis.findings == []


def test_trim_keeps_chat_instructions_and_starts_anthropic_with_a_user_message() -> None:
    chat = render("openai-chat", clean_events("call_", (2, 1)), pretty=True)
    out = trimmed(chat, 2)
    assert next(m["role"] for m in json.loads(out)["messages"]) == "system"
    anthropic = render("anthropic", clean_events("toolu_", (2, 1, 1)))
    for keep in range(8):
        messages = json.loads(trimmed(anthropic, keep))["messages"]
        if messages:
            assert messages[0]["role"] == "user"
            assert isinstance(messages[0]["content"], str) or all(
                b.get("type") != "tool_result" for b in messages[0]["content"]
            )


@pytest.mark.parametrize("keep", range(1, 7))
def test_an_abandoned_pair_is_not_split_either(keep: int) -> None:
    """The late result of a call left on a branch stays with its call or goes with it:
    kept alone, its parent gone, it would read as a live orphan."""
    data = CLAUDE_LATE_RESULT
    analysis = analyze(data)
    assert [i.abandoned for i in analysis.history.items].count(True) == 2
    assert analysis.findings == []
    out = trimmed(data, keep)
    assert analyze(out).findings == []
    kept = [json.loads(line)["uuid"] for line in out.splitlines()]
    assert ("a1" in kept) == ("r1" in kept)


def test_trim_negative_keep_is_refused() -> None:
    data = render("native", clean_events())
    with pytest.raises(ValueError):
        trim_edits(analyze(data), -1)


def test_trim_of_a_non_history_is_empty() -> None:
    assert trim_edits(analyze(b'{"name": "x"}'), 1) == []


# --- the cut never leaves an empty conversation ----------------------------------------------

# user "hi", a pair, "done", user "and again", a pair, "It failed.": no plain user message
# among the last two, three, or one.
TAIL_EVENTS = [
    ("user", "hi"),
    ("calls", ["t1"]),
    ("outputs", ["t1"]),
    ("assistant", "done"),
    ("user", "and again"),
    ("calls", ["t3"]),
    ("outputs", ["t3"]),
    ("assistant", "It failed."),
]
RENDERERS = {
    "bedrock-converse": lambda events: render_bedrock(events),
    "gemini-api": lambda events: render_gemini_api(events),
    "anthropic": lambda events: render("anthropic", events),
}


@pytest.mark.parametrize("dialect", RENDERERS)
@pytest.mark.parametrize("keep", [1, 2, 3, 4])
def test_no_user_message_after_the_cut_keeps_the_last_turn(dialect: str, keep: int) -> None:
    data = RENDERERS[dialect](TAIL_EVENTS)
    out = trimmed(data, keep)
    after = analyze(out, dialect)  # type: ignore[arg-type]
    assert codes(after) == []
    assert len(conversation(out, dialect)) == 4  # from "and again" on
    assert b"and again" in out and b"hi" not in out


def _events(draw: st.DrawFn) -> list:
    events: list = [("user", "start")]
    for n in range(draw(st.integers(0, 4))):
        ids = [f"t{n}{k}" for k in range(draw(st.integers(1, 2)))]
        if draw(st.booleans()):
            events.append(("user", f"ask {n}"))
        events += [("calls", ids), ("outputs", ids)]
        if draw(st.booleans()):
            events.append(("assistant", f"said {n}"))
    return events


@st.composite
def conversations(draw: st.DrawFn) -> tuple[str, bytes]:
    """A clean history of any dialect trim cuts as a list of records."""
    dialect = draw(st.sampled_from([*ALL_DIALECTS, "bedrock-converse", "gemini-api", "gemini-cli"]))
    if dialect == "gemini-cli":
        forms = st.sampled_from(["calls", "copied", "content"])
        count = draw(st.integers(1, 4))
        turns = [Turn(["ok"] * draw(st.integers(0, 2)), form=draw(forms)) for _ in range(count)]
        return dialect, render_json(Session(turns), pretty=draw(st.booleans()))
    events = _events(draw)
    if dialect in RENDERERS:
        return dialect, RENDERERS[dialect](events)
    return dialect, render(dialect, [(k, [call_prefix(dialect) + i for i in v]) if k in ("calls", "outputs") else (k, v) for k, v in events])  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conversations(), st.integers(1, 12))
def test_trim_never_empties_a_conversation_and_keeps_pairs(
    case: tuple[str, bytes], keep: int
) -> None:
    dialect, data = case
    before = conversation(data, dialect)
    out = trimmed(data, keep)
    after = analyze(out, dialect)  # type: ignore[arg-type]
    assert codes(after) == []
    assert {c.call_id for c in after.history.calls} == {o.call_id for o in after.history.outputs}
    kept = len(conversation(out, dialect))
    assert kept <= len(before)
    if analyze(data, dialect).history.document:  # type: ignore[arg-type]
        assert kept >= min(1, len(before))  # a request body is never left empty
    assert kept <= keep or trimmed(data, kept) == out  # more only back to a start
