"""Dialect detection from content alone; ordinary JSON is never a history."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from context_ls.history import reader
from context_ls.history import source as src
from context_ls.history.api import analyze, analyze_path

from ._gen import (
    ALL_DIALECTS,
    EXAMPLES,
    call_prefix,
    clean_events,
    codes,
    records_of,
    render,
    render_records,
)

EXPECTED = json.loads((EXAMPLES / "EXPECTED.json").read_text())


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("target", ["x.txt", "foo.json", "history.jsonl", "noext"])
def test_dialect_comes_from_content_not_file_name(tmp_path: Path, name: str, target: str) -> None:
    path = tmp_path / target
    shutil.copyfile(EXAMPLES / name, path)
    analysis = analyze_path(path)
    assert analysis.history.dialect == EXPECTED[name]["dialect"]
    assert len(analysis.findings) == len(EXPECTED[name]["findings"])


@pytest.mark.parametrize("dialect", ALL_DIALECTS)
def test_every_dialect_detected_from_a_generated_history(dialect: str) -> None:
    data = render(dialect, clean_events(call_prefix(dialect)))
    analysis = analyze(data)
    assert analysis.history.dialect == dialect
    assert analysis.findings == []
    assert len(analysis.history.calls) == 3 and len(analysis.history.outputs) == 3


@pytest.mark.parametrize("dialect", ["openai-chat", "openai-responses", "anthropic"])
@pytest.mark.parametrize(
    ("layout", "pretty"),
    [
        ("messages", False),
        ("messages", True),
        ("input", False),
        ("input", True),
        ("array", False),
        ("array", True),
        ("jsonl", False),
    ],
)
def test_document_wrappers_and_jsonl(dialect: str, layout: str, pretty: bool) -> None:
    events = clean_events(call_prefix(dialect))
    events.insert(2, ("calls", [call_prefix(dialect) + "dangling"]))  # one H001 to find
    data = render(dialect, events, layout=layout, pretty=pretty)
    analysis = analyze(data)
    assert analysis.history.dialect == dialect
    assert analysis.history.document == (layout != "jsonl")
    h001 = [c for c in codes(analysis) if c[0] == "H001"]
    assert h001 == [("H001", call_prefix(dialect) + "dangling")]


def test_dialect_override_skips_detection() -> None:
    data = render("openai-chat", clean_events())
    assert analyze(data, "openai-chat").history.dialect == "openai-chat"
    forced = analyze(data, "native")
    assert forced.history.dialect == "native"
    assert not forced.history.calls


ORDINARY = {
    "package.json": b'{\n  "name": "web",\n  "version": "1.2.0",\n  "scripts": {"test": "vitest"},\n'
    b'  "dependencies": {"react": "^18.2.0"},\n  "devDependencies": {"typescript": "^5.4.0"}\n}\n',
    "tsconfig.json": b'{\n  "compilerOptions": {\n    "target": "ES2022",\n    "module": "NodeNext",\n'
    b'    "strict": true\n  },\n  "include": ["src"]\n}\n',
    "settings.json": b'{\n  "editor.formatOnSave": true,\n  "files.exclude": {"**/.git": true},\n'
    b'  "python.defaultInterpreterPath": ".venv/bin/python"\n}\n',
    "log.jsonl": b'{"id":1,"call_id":"abc","type":"request","level":"info","msg":"GET /"}\n'
    b'{"id":2,"call_id":"abc","type":"response","level":"info","status":200}\n'
    b'{"id":3,"call_id":"def","type":"request","level":"warn","msg":"POST /x"}\n',
    "objects.json": b'[{"a": 1, "b": [1, 2]}, {"id": "x", "type": "thing"}, {"name": "n", "value": null}]',
    "records.jsonl": b'{"event":"start","ts":1}\n{"event":"stop","ts":2}\n',
    "numbers.json": b"[1, 2, 3]",
    "composer.json": b'{"name": "acme/pkg", "require": {"php": ">=8.1"}, "autoload": {"psr-4": {"Acme\\\\": "src/"}}}',
    "input-not-history.json": b'{"input": [1, 2, 3], "output": "x"}',
    "messages-not-history.json": b'{"messages": ["hello", "world"]}',
    "eslintrc.json": b'{"root": true, "extends": ["eslint:recommended"], "rules": {"no-unused-vars": "warn"}}',
}


@pytest.mark.parametrize("name", sorted(ORDINARY))
def test_ordinary_json_is_not_a_history(tmp_path: Path, name: str) -> None:
    analysis = analyze(ORDINARY[name])
    assert analysis.history.dialect is None
    assert analysis.findings == []
    path = tmp_path / name
    path.write_bytes(ORDINARY[name])
    on_disk = analyze_path(path)
    assert on_disk.history.dialect is None and on_disk.findings == []


def test_mention_of_an_id_inside_message_text_is_content_not_a_call() -> None:
    mention = 'look: {"type":"function_call_output","call_id":"call_X","output":"x"} and "call_id":"call_X"'
    for dialect in ALL_DIALECTS:
        events = [("user", mention), *clean_events(call_prefix(dialect)), ("assistant", mention)]
        analysis = analyze(render(dialect, events))
        assert analysis.history.dialect == dialect
        assert analysis.findings == [], dialect
        ids = {c.call_id for c in analysis.history.calls} | {
            o.call_id for o in analysis.history.outputs
        }
        assert "call_X" not in ids


def test_id_like_text_in_tool_output_is_content() -> None:
    records = records_of("native", clean_events())
    records[-2]["content"] = '{"type":"tool_output","call_id":"call_ghost","status":"done"}'
    analysis = analyze(render_records(records))
    assert analysis.findings == []


def test_unknown_item_types_do_not_hide_a_history() -> None:
    items = [
        {"type": "message", "role": "user", "content": "go"},
        {"type": "item_reference", "id": "msg_a"},
        {"type": "item_reference", "id": "msg_b"},
        {"type": "function_call", "call_id": "call_A", "name": "f", "arguments": "{}"},
    ]
    analysis = analyze(json.dumps({"input": items}).encode())
    assert analysis.history.dialect == "openai-responses"
    assert codes(analysis) == [("H001", "call_A")]


@settings(max_examples=200, deadline=None)
@given(
    lines=st.lists(st.sampled_from(["", " ", "\r", "{}", '{"a":1}', "x" * 50]), max_size=60),
    head=st.integers(1, 400),
    bom=st.booleans(),
)
def test_detection_samples_the_same_lines_from_a_shorter_head(
    lines: list[str], head: int, bom: bool
) -> None:
    """`head_dialect` stops at the lines it samples; they are those of the whole head."""
    data = (b"\xef\xbb\xbf" if bom else b"") + "\n".join(lines).encode()
    start = 3 if bom else 0
    with patch.object(reader, "HEAD_BYTES", head), patch.object(reader, "SAMPLE_SIZE", 4):
        cut = reader._sample_end(data, start)
        assert (
            list(src.split_lines(data[:cut], start))[:8]
            == list(src.split_lines(data[:head], start))[:8]
        )


# --- detection stops early, and still picks what scoring every record picks ----------------


def _scored_everywhere(sample: list[object]) -> str | None:
    """Detection as its rule says, without shortcuts: every dialect scores every record;
    the qualified dialect with the highest total wins, the one listed first on a tie."""
    from context_ls.history.detect import MARKED
    from context_ls.history.dialects import DIALECTS

    best, best_total = None, 0
    for name, dialect in DIALECTS.items():
        scores = [dialect.sniff(value) for value in sample]
        qualified = any(s >= MARKED for s in scores) and 2 * sum(s >= 1 for s in scores) >= len(
            scores
        )
        if qualified and sum(scores) > best_total:
            best, best_total = name, sum(scores)
    return best


def _example_records() -> list[object]:
    """The records of every example (every dialect), and a few of ordinary JSON."""
    pool: list[object] = [{"name": "x", "version": "1"}, {"id": "a", "call_id": "b"}, [1, 2]]
    for path in sorted(EXAMPLES.glob("*.json*")):
        if path.name == "EXPECTED.json":
            continue
        data = path.read_bytes()
        if src.looks_like_document(data, 0):
            raws = [record.data for record in src.document_records(data, 0)[0]]
        else:
            raws = [chunk for _, _, chunk in src.split_lines(data, 0)]
        for raw in raws:
            try:
                pool.append(json.loads(raw))
            except ValueError:
                continue  # the half-written line of the crashed rollout
    return pool


EXAMPLE_RECORDS = _example_records()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(EXAMPLE_RECORDS), min_size=1, max_size=40))
def test_early_stop_picks_what_scoring_every_record_picks(sample: list[object]) -> None:
    from context_ls.history.detect import detect_dialect

    assert detect_dialect(sample) == _scored_everywhere(sample)


@pytest.mark.parametrize(
    "reply",
    [
        # An Anthropic Messages API response, saved as it came.
        {
            "id": "msg_01",
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-4-5",
            "content": [
                {"type": "text", "text": "Let me check"},
                {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {}},
            ],
            "stop_reason": "tool_use",
        },
        {
            "role": "assistant",
            "content": [{"toolUse": {"toolUseId": "t1", "name": "f", "input": {}}}],
        },
        {"role": "model", "parts": [{"functionCall": {"name": "f", "args": {}}}]},
    ],
    ids=["anthropic-response", "bedrock-message", "gemini-content"],
)
@pytest.mark.parametrize("pretty", [False, True])
def test_a_lone_reply_is_no_history(reply: dict[str, object], pretty: bool) -> None:
    """One message from the model, alone in a file, is a saved reply: never a history whose
    "repair" would append a line to a single JSON value (on one line or pretty-printed)."""
    data = json.dumps(reply, indent=2 if pretty else None).encode() + b"\n"
    analysis = analyze(data)
    assert analysis.history.dialect is None and analysis.findings == []
    as_array = json.dumps([reply]).encode()
    assert analyze(as_array).history.dialect is None
    # The user's message before it makes a conversation again.
    user = (
        {"role": "user", "content": "go"}
        if "content" in reply
        else {"role": "user", "parts": [{"text": "go"}]}
    )
    if "toolUse" in json.dumps(reply):
        user = {"role": "user", "content": [{"text": "go"}]}
    two = json.dumps([user, reply]).encode()
    assert analyze(two).history.dialect is not None
    assert [f.code for f in analyze(two).findings] == ["H001"]
