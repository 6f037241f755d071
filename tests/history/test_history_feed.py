"""A JSONL history read line by line as its text arrives (`stream.HistoryFeed`, the
server's streamed didOpen): whatever the pieces, the same findings as the full read
without the secrets scan, or nothing (the caller then reads the text as before)."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from context_ls.history.analyzer import Analyzer
from context_ls.history.api import Options
from context_ls.history.detect import SAMPLE_SIZE
from context_ls.history.stream import HistoryFeed

from ._gen import EXAMPLES, broken_events, clean_events, dumps, records_of, render_dataset

QUICK = Options(detect_secrets=False)
ODD_LINES = [b"", b"  ", b"\t", b"{broken", b'"a string"', b"[1, 2]", b"{}", b"null"]


@st.composite
def jsonl_histories(draw: st.DrawFn) -> tuple[str, bytes]:
    """A JSONL history of a few or of hundreds of records (detection samples the first
    `2 * SAMPLE_SIZE`), with blank, white-space and malformed lines among them, CRLF, a
    BOM, and a final newline or not."""
    dialect = draw(st.sampled_from(("claude-code", "native", "codex", "openai-finetune")))
    events: list[Any] = draw(broken_events())
    padding = clean_events("pad_", batches=(1,) * draw(st.sampled_from([5, 250])))
    if dialect == "openai-finetune":
        count = draw(st.sampled_from([5, SAMPLE_SIZE * 2 + 10]))
        lines = render_dataset([events] * count).splitlines()
    else:
        ordered = padding + events[1:] if draw(st.booleans()) else events + padding[1:]
        lines = [dumps(record) for record in records_of(dialect, ordered)]
    for _ in range(draw(st.integers(0, 6))):
        lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(ODD_LINES)))
    newline = b"\r\n" if draw(st.booleans()) else b"\n"
    data = newline.join(lines) + (newline if draw(st.booleans()) else b"")
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    return dialect, data


def line_pieces(data: bytes, cuts: list[int]) -> list[bytes]:
    """`data` cut just after some of its line breaks (as the streamed text arrives)."""
    breaks = [at + 1 for at in range(len(data)) if data[at : at + 1] == b"\n"]
    chosen = sorted({breaks[cut % len(breaks)] for cut in cuts}) if breaks else []
    bounds = [0, *[at for at in chosen if at < len(data)], len(data)]
    return [data[lo:hi] for lo, hi in pairwise(bounds) if hi > lo]


def fed(data: bytes, pieces: list[bytes]) -> HistoryFeed:
    feed = HistoryFeed()
    for piece in pieces:
        feed.feed(piece)
    return feed


@settings(max_examples=60, deadline=None)
@given(jsonl_histories(), st.lists(st.integers(0, 10**6), max_size=12))
def test_a_fed_history_gives_the_full_reads_findings(
    case: tuple[str, bytes], cuts: list[int]
) -> None:
    dialect, data = case
    history = fed(data, line_pieces(data, cuts)).finish(data)
    whole = Analyzer(QUICK).analyze(data)
    if dialect == "codex":
        assert history is None  # a rollout has its own scan
    if history is None:
        return
    assert history.dialect == whole.dialect
    analysis = Analyzer(QUICK).analyze_read(data, history)
    assert analysis.findings == whole.findings
    assert list(analysis.history.items.starts) == list(whole.history.items.starts)
    assert list(analysis.history.items.lines) == list(whole.history.items.lines)
    assert analysis.history.newline == whole.history.newline
    assert analysis.history.ends_with_newline == whole.history.ends_with_newline


def big_claude(copies: int = 40, crlf: bool = False) -> bytes:
    lines = (EXAMPLES / "claude-code-session.jsonl").read_bytes().splitlines()
    newline = b"\r\n" if crlf else b"\n"
    return newline.join(lines * copies) + newline


def test_a_big_claude_code_session_is_read_as_it_arrives() -> None:
    for crlf in (False, True):
        data = big_claude(crlf=crlf)
        feed = fed(data, line_pieces(data, list(range(0, 10**6, 997))))
        history = feed.finish(data)
        assert history is not None and history.dialect == "claude-code"
        whole = Analyzer(QUICK).analyze(data)
        analysis = Analyzer(QUICK).analyze_read(data, history)
        assert analysis.findings == whole.findings and analysis.findings


def test_the_feed_gives_up_when_in_doubt() -> None:
    data = big_claude()
    # Not all of it fed: no history (the caller reads the text whole).
    assert fed(data, [data[: data.index(b"\n") + 1]]).finish(data) is None
    # Too few lines to decide the dialect as the full read decides it.
    few = big_claude(copies=1)
    assert fed(few, [few]).finish(few) is None
    # A document spread over lines (its first line is no JSON value).
    document = b"[\n" + b",\n".join(big_claude().splitlines()) + b"\n]\n"
    feed = fed(document, line_pieces(document, [5, 50, 500]))
    assert feed.off and feed.finish(document) is None
    # No dialect at all.
    other = b'{"a": 1}\n' * (SAMPLE_SIZE * 3)
    assert fed(other, [other]).finish(other) is None
