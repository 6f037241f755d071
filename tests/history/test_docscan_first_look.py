"""The editor's first look at a big JSON document is the lean read `check` uses
(`analyzer.quick_findings`), with the full read's findings but H010."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from context_ls.history import analysis, analyzer
from context_ls.history.analysis import Options
from context_ls.history.analyzer import QUICK_MIN_BYTES, _one_line, quick_findings
from context_ls.history.dialects.finetune_outline import one_line_data_set
from context_ls.history.source import content_start

from .test_docscan import _array, _clean, _enveloped, facts_of


def _big(layout: str, envelope: str = "model") -> bytes:
    messages = _clean(200)
    messages[1]["content"] = "x" * QUICK_MIN_BYTES  # big, and clean but for call_5b
    del messages[24]
    array = _array(messages, layout, [" "])
    if envelope == "compact":
        return b'{"model":"gpt-4.1","messages":' + array + b"}"
    if envelope == "no-model":
        return b'{"messages":' + array + b"}"
    return _enveloped(array, envelope)


@pytest.mark.parametrize("pending", [False, True])
def test_the_first_look_at_a_big_document_is_the_lean_read(pending: bool) -> None:
    data = _big("indent2")
    options = Options(trailing_calls_pending=pending)
    quick = quick_findings(data, options)
    assert quick is not None and quick.history.sparse
    full = analysis._analyze(data, None, replace(options, detect_secrets=False))
    assert facts_of(quick) == facts_of(full)
    assert [f.code for f in quick.findings] == ["H001"]


def test_a_big_document_on_one_line_needs_its_name_for_a_first_look() -> None:
    data = _big("compact", "compact")
    assert quick_findings(data, Options()) is None  # a one-line `.jsonl` data set?
    named = quick_findings(data, Options(), name="request.jsonl")
    assert named is not None and [f.code for f in named.findings] == ["H001"]
    # named `.jsonl` without a `model`, it is a data set: not a Chat document
    assert quick_findings(_big("compact", "no-model"), Options(), name="set.jsonl") is None
    assert quick_findings(_big("compact", "no-model"), Options(), name="set.json") is not None


def test_analyze_reads_a_big_document_leanly_when_asked_for_findings_only() -> None:
    data = _big("indent2")
    lean = analysis.analyze(data, findings_only=True)
    assert lean.history.sparse
    assert facts_of(lean) == facts_of(analysis.analyze(data))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from([b" ", b"\t", b"\n", b"\r", b"\x0b", b"\x0c", b"\r\n", b'{"messages":[]}']),
        max_size=12,
    ),
    st.booleans(),
)
def test_a_source_of_lines_is_no_one_line_data_set(pieces: list[bytes], bom: bool) -> None:
    """The first look asks a file's name about a source of one line only: whatever
    `settled_by_name` reads as one line (`bytes.strip`'s blanks around it), so does it."""
    data = (b"\xef\xbb\xbf" if bom else b"") + b"".join(pieces)
    if one_line_data_set("set.jsonl", data):
        assert _one_line(data, content_start(data))


def test_a_big_file_of_lines_is_not_stripped_for_its_name(monkeypatch: pytest.MonkeyPatch) -> None:
    """A file of many lines is no one-line data set: its name is not asked about (that
    copied the whole of a 39 MB Claude Code file)."""
    asked: list[str] = []
    monkeypatch.setattr(analyzer, "settled_by_name", lambda name, data: asked.append(name))
    lines = b'{"type":"user","message":{"role":"user","content":"hi"}}\n' * 80_000
    assert quick_findings(lines, Options(), name="session.jsonl") is None
    assert asked == []
