"""The lean read of a big JSON document (`docscan`, `chat_scan`) gives exactly the full
read's findings: a property over random Chat documents (every layout, envelope and kind
of break), the real documents, and the cases where it must read the document whole."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from context_ls.history import analysis, doc_chunks, docscan
from context_ls.history.analysis import Analysis, Options
from context_ls.history.dialects import chat, chat_scan
from context_ls.history.findings import Finding

REALDATA = Path(__file__).resolve().parents[3] / "shared" / "realdata"
SECRET = "sk-proj-abcdefghijklmnopqrstuvwxyzABCDEF0123456789abcd"


@pytest.fixture
def any_size(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every document takes the lean read, however small and however many records kept."""
    monkeypatch.setattr(docscan, "MIN_BYTES", 0)
    monkeypatch.setattr(docscan, "MAX_KEPT", 1.0)


def facts_of(found: Analysis) -> list[tuple[Any, ...]]:
    """What a finding says and where, with the record it is filed under."""
    items = found.history.items

    def record(f: Finding) -> tuple[Any, ...] | None:
        if f.item < 0:
            return None
        item = items[f.item]
        return (item.span, item.line, item.col, item.kind, item.role, item.turn)

    return [
        (
            f.code,
            f.severity,
            f.span,
            f.message,
            f.call_id,
            f.fixable,
            f.pending,
            [(r.span, r.message) for r in f.related],
            record(f),
        )
        for f in found.findings
    ]


def assert_same(
    data: bytes, options: Options | None = None, dialect: str | None = None
) -> Analysis:
    options = options or Options()
    full = analysis._analyze(data, dialect, options)
    lean = analysis._analyze(data, dialect, options, findings_only=True)
    assert facts_of(lean) == facts_of(full)
    assert lean.history.dialect == full.history.dialect
    assert lean.history.record_count == full.history.record_count
    return lean


# --- random Chat documents ------------------------------------------------------------------

_POOL = ["call_a", "call_b", "call_c", ""]
_ODD: list[Any] = [
    42,
    "text",
    None,
    {"content": "no role"},
    {"role": 7, "content": "x"},
    {"role": "assistant", "tool_calls": "not a list"},
    {"role": "assistant", "tool_calls": [None, {"id": "call_a"}]},
    {"role": "assistant", "tool_calls": [{"id": 5}]},
    {"role": "assistant", "tool_calls": [{"function": {"name": "grep"}}]},
    {"role": "tool", "content": "no id"},
    {"role": "tool", "tool_call_id": 9, "content": "x"},
    {"role": "Tool", "tool_call_id": "call_b", "content": "x"},
    {"role": "USER", "content": ""},
    {"role": "narrator", "content": " "},
    {"role": "user", "tool_calls": [{"id": "call_c"}]},
    {"role": "user", "content": [{"type": "text", "text": ""}]},
    {"role": "user", "content": "x", "metadata": {"k": [1, None]}},
    # what the full read cannot decode (see `_broken`): invalid UTF-8, a number out of range
    {"role": "user", "content": "__BAD_UTF8__"},
    {"role": "user", "content": "__HUGE__"},
    {"role": "user", "content": "x", "weight": "__HUGE__"},
    {"role": "assistant", "tool_calls": [{"id": "call_a", "extra": "__BAD_UTF8__"}]},
    {"role": "tool", "tool_call_id": "call_b", "content": [{"text": "__HUGE__"}]},
]


def _broken(data: bytes) -> bytes:
    """The markers of `_ODD` made into bytes no JSON encoder writes."""
    return data.replace(b'"__BAD_UTF8__"', b'"\xff\xfe"').replace(b'"__HUGE__"', b"1e999")


def _call(call_id: str) -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": "grep", "arguments": "{}"}}


def _calls(ids: list[str]) -> dict[str, Any]:
    return {"role": "assistant", "content": None, "tool_calls": [_call(i) for i in ids]}


def _output(call_id: str, text: str = "ok") -> dict[str, Any]:
    return {"role": "tool", "tool_call_id": call_id, "content": text}


@st.composite
def conversations(draw: st.DrawFn) -> list[Any]:
    """Mostly clean turns of calls and their outputs, with every kind of break now and then:
    dangling calls, orphans, outputs moved or repeated, ids reused or missing, odd records,
    roles in another case, empty texts, secrets."""
    messages: list[Any] = [{"role": "system", "content": "You are helpful."}]
    fresh = 0
    for _ in range(draw(st.integers(0, 14))):
        kind = draw(st.sampled_from(["turn"] * 6 + ["text", "odd", "pool", "secret"]))
        if kind == "turn":
            ids = [f"call_{fresh + n}" for n in range(draw(st.integers(1, 3)))]
            fresh += len(ids)
            messages.append({"role": "user", "content": "please grep"})
            messages.append(_calls(ids))
            outputs = [_output(i) for i in ids]
            change = draw(st.sampled_from(["none"] * 4 + ["drop", "twice", "later", "first"]))
            if change == "drop":
                outputs.pop(draw(st.integers(0, len(outputs) - 1)))
            elif change == "twice":
                outputs.append(outputs[0])
            elif change == "first":
                messages.insert(len(messages) - 1, outputs.pop())
            messages.extend(outputs)
            if change == "later":
                messages.append({"role": "user", "content": "wait"})
                messages.append(_output(ids[0], "late"))
        elif kind == "text":
            role = draw(st.sampled_from(["user", "assistant", "developer", "system"]))
            messages.append({"role": role, "content": draw(st.sampled_from(["hi", "", "  "]))})
        elif kind == "odd":
            messages.append(draw(st.sampled_from(_ODD)))
        elif kind == "pool":
            call_id = draw(st.sampled_from(_POOL))
            if draw(st.booleans()):
                messages.append(_calls([call_id]))
            else:
                messages.append(_output(call_id))
        else:
            messages.append({"role": "user", "content": f"my key is {SECRET} ok"})
    return messages


def _array(messages: list[Any], layout: str, spaces: list[str]) -> bytes:
    if layout == "indent2":
        return json.dumps(messages, indent=2).encode()
    if layout == "indent4":
        return json.dumps(messages, indent=4, ensure_ascii=False).encode()
    if layout == "compact":
        return json.dumps(messages, separators=(",", ":")).encode()
    if layout == "spaced":
        return json.dumps(messages).encode()
    # uneven: a separator of its own between each two records
    parts = [json.dumps(m).encode() for m in messages]
    out = b"[ "
    for n, part in enumerate(parts):
        if n:
            out += b"," + spaces[n % len(spaces)].encode()
        out += part
    return out + b" ]"


def _enveloped(array: bytes, envelope: str) -> bytes:
    if envelope == "bare":
        return array
    if envelope == "model":
        return b'{\n  "model": "gpt-4.1",\n  "temperature": 0.5,\n  "messages": ' + array + b"\n}\n"
    if envelope == "tools-after":
        return b'{"messages": ' + array + b', "tools": [{"type": "function"}], "n": 1}'
    if envelope == "nested-before":
        return b'{"metadata": {"messages": [1, 2]}, "messages": ' + array + b"}"
    if envelope == "escaped-key":
        return b'{"me\\u0073sages": ' + array + b"}"
    if envelope == "repeated-first":
        return b'{"messages": [{"role": "user", "content": "old"}], "messages": ' + array + b"}"
    return b'{"messages": ' + array + b', "messages": [{"role": "user", "content": "new"}]}'


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    messages=conversations(),
    layout=st.sampled_from(["indent2", "indent4", "compact", "spaced", "uneven"]),
    spaces=st.lists(st.sampled_from(["", " ", "\n", "\r\n  ", "\t"]), min_size=1, max_size=3),
    envelope=st.sampled_from(
        ["bare", "model", "tools-after", "nested-before", "escaped-key", "repeated-first", "last"]
    ),
    bom=st.booleans(),
    pending=st.booleans(),
    chunk=st.sampled_from([1, 100, 400, doc_chunks.CHUNK]),
)
def test_lean_read_finds_what_the_full_read_finds(
    any_size: None,
    messages: list[Any],
    layout: str,
    spaces: list[str],
    envelope: str,
    bom: bool,
    pending: bool,
    chunk: int,
) -> None:
    data = _broken(_enveloped(_array(messages, layout, spaces), envelope))
    data = b"\xef\xbb\xbf" + data if bom else data
    was, doc_chunks.CHUNK = doc_chunks.CHUNK, chunk  # small: cut into many chunks
    try:
        assert_same(data, Options(trailing_calls_pending=pending))
    finally:
        doc_chunks.CHUNK = was


# --- the lean read is taken, and kept lean ---------------------------------------------------


def _clean(turns: int) -> list[Any]:
    messages: list[Any] = [{"role": "system", "content": "You are helpful."}]
    for n in range(turns):
        messages += [
            {"role": "user", "content": "please grep"},
            _calls([f"call_{n}a", f"call_{n}b"]),
            _output(f"call_{n}a"),
            _output(f"call_{n}b"),
        ]
    return messages


@pytest.mark.parametrize("layout", ["indent2", "compact", "spaced"])
def test_a_big_clean_document_keeps_only_its_broken_records(any_size: None, layout: str) -> None:
    messages = _clean(300)
    messages[497]["content"] = f"key {SECRET}"  # H010 is filed under this user message
    del messages[12]  # call_2b has no output: its call's record is kept
    lean = assert_same(_enveloped(_array(messages, layout, [" "]), "model"))
    assert lean.history.sparse
    assert lean.history.record_count == len(messages)
    assert [f.code for f in lean.findings] == ["H001", "H010"]
    # The call, call_2a's output (it pairs with a kept call), the secret's record, and
    # the last plain message (where "waiting for output" would start).
    kept = [(item.role, item.kind.value) for item in lean.history.items]
    assert kept == [
        ("assistant", "calls"),
        ("tool", "outputs"),
        ("user", "message"),
        ("user", "message"),
    ]


def test_the_lean_read_needs_a_big_document() -> None:
    data = _enveloped(_array(_clean(20), "indent2", [" "]), "model")
    assert len(data) < docscan.MIN_BYTES
    assert not analysis._analyze(data, None, Options(), findings_only=True).history.sparse


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b'{"messages": [{"role": "user", "content": "x"}', "not valid JSON"),
        (b'{"messages": [{"role": "user", "content": "x"}]} {}', "trailing bytes"),
        (b'{"input": [{"type": "message", "role": "user", "content": "x"}]}', "not Chat"),
        (b'{"messages": "text"}', "no records"),
        (b'[{"role": "user", "content": "x"}, ' * 0 + b"[]", "empty"),
    ],
)
def test_documents_the_lean_read_leaves_to_the_full_read(
    any_size: None, data: bytes, why: str
) -> None:
    assert docscan.scan(data) is None, why
    assert_same(data)


def test_records_laid_out_unevenly_are_placed_one_by_one(
    any_size: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(doc_chunks, "CHUNK", 64)  # many chunks, some cut inside records
    messages = _clean(20)
    del messages[31]  # call_7a's output
    array = b",".join(
        json.dumps(m, indent=n % 3).encode() + b" " * (n % 2) for n, m in enumerate(messages)
    )
    data = b'{"model": "m", "messages": [' + array + b"]}"
    found = docscan.scan(data)
    assert found is not None and found.elements.count == len(messages)
    assert len(found.elements.cuts) > 5
    assert [f.code for f in assert_same(data).findings] == ["H001"]


def test_too_many_kept_records_read_the_document_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(docscan, "MIN_BYTES", 0)
    messages = _clean(50)
    for n in range(0, len(messages), 7):
        messages[n] = {"role": "tool", "content": "no id"}  # 1 in 7 records kept
    data = _array(messages, "indent2", [" "])
    assert docscan.scan(data) is None
    monkeypatch.setattr(docscan, "MAX_KEPT", 0.5)
    assert docscan.scan(data) is not None
    assert_same(data)


def test_a_record_the_typed_decode_refuses_is_read_as_the_full_read_reads_it(
    any_size: None,
) -> None:
    messages = _clean(30)
    messages[5] = {"role": "assistant", "tool_calls": [{"id": 5}, _call("call_1b")]}
    messages[9] = {"role": ["user"], "content": "x"}
    found = docscan.scan(_array(messages, "indent2", [" "]))
    assert found is not None
    assert {5, 9} <= set(found.pick.rows)
    assert_same(_array(messages, "indent2", [" "]))


def test_records_the_full_read_cannot_decode_are_kept(any_size: None) -> None:
    messages = _clean(30)
    messages[5] = {"role": "user", "content": "__BAD_UTF8__"}
    messages[9] = {"role": "assistant", "content": "__HUGE__"}
    data = _broken(_array(messages, "indent2", [" "]))
    found = docscan.scan(data)
    assert found is not None and {5, 9} <= set(found.pick.rows)
    lean = assert_same(data)
    assert [f.code for f in lean.findings] == ["H007", "H007"]


def test_the_roles_decoded_as_literals_are_the_roles_chat_knows() -> None:
    field = next(f for f in msgspec.structs.fields(chat_scan._Message) if f.name == "role")
    literal = next(arg for arg in get_args(field.type) if get_origin(arg) is Literal)
    assert set(get_args(literal)) == chat.ROLES


@pytest.mark.parametrize("envelope", ["bare", "model"])
def test_records_nested_as_deep_as_the_decoder_goes(any_size: None, envelope: str) -> None:
    """Near msgspec's depth limit the full read refuses the document (or a record): the
    lean read must refuse as much, never less."""
    for depth in range(975, 1000):
        messages = _clean(3)
        messages[3]["content"] = "__DEEP__"
        data = _enveloped(_array(messages, "compact", [" "]), envelope)
        assert_same(data.replace(b'"__DEEP__"', b"[" * depth + b"]" * depth))


def test_a_forced_dialect_without_a_lean_read_reads_whole(any_size: None) -> None:
    data = _array(_clean(5), "indent2", [" "])
    assert docscan.scan(data, "bedrock-converse") is None
    assert docscan.scan(data, "openai-finetune") is None  # its records are lines
    assert docscan.scan(data, "openai-chat") is not None


# --- the real documents ---------------------------------------------------------------------


def _real_documents() -> Iterator[Path]:
    if REALDATA.is_dir():
        yield from sorted(REALDATA.rglob("*.json"))


@pytest.mark.skipif(not REALDATA.is_dir(), reason="needs ../shared/realdata (not in a clone)")
@pytest.mark.parametrize("path", list(_real_documents()), ids=lambda p: p.parent.name)
def test_real_documents(any_size: None, path: Path) -> None:
    assert_same(path.read_bytes())


@pytest.mark.parametrize("uneven", [False, True])
def test_a_record_s_start_is_where_the_placed_chunk_puts_it(
    any_size: None, monkeypatch: pytest.MonkeyPatch, uneven: bool
) -> None:
    """A record placed alone (its chunk's records before it found byte for byte) starts
    where placing its whole chunk puts it; unevenly laid out, the chunk is placed."""
    monkeypatch.setattr(doc_chunks, "CHUNK", 200)
    messages = _clean(30)
    array = b",\n  ".join(
        json.dumps(m).encode() + (b" " * (n % 2) if uneven else b"") for n, m in enumerate(messages)
    )
    data = b'{"messages": [\n  ' + array + b"\n]}"
    alone = docscan.scan(data)
    placed = docscan.scan(data)
    assert alone is not None and placed is not None
    elements = placed.elements
    for row in range(elements.count):
        elements._placed(elements._chunk(row))
    assert [alone.elements.start(row) for row in range(alone.elements.count)] == [
        elements.start(row) for row in range(elements.count)
    ]
    assert all(data.startswith(b'{"role"', elements.start(row)) for row in range(elements.count))
