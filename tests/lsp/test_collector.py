"""The collector held off from a big first look to its full read (`collector.py`): only
paused, never left off, and never turned on when someone else turned it off."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from context_ls.history.analyzer import QUICK_MIN_BYTES
from context_ls.history.api import Options
from context_ls.lsp import collector
from context_ls.lsp.collector import FIRST_LOOK, CollectorPause
from context_ls.lsp.documents import TextSnapshot
from context_ls.lsp.features.validation import analyze_document, quick_look
from context_ls.lsp.state import DocumentState


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    FIRST_LOOK.resume()
    assert gc.isenabled()
    yield
    FIRST_LOOK.resume()
    gc.enable()


def test_a_pause_is_resumed_once_from_any_thread() -> None:
    pause = CollectorPause()
    pause.pause()
    pause.pause()  # already paused: nothing more to undo
    assert not gc.isenabled() and pause.paused
    thread = threading.Thread(target=pause.resume)
    thread.start()
    thread.join()
    assert gc.isenabled() and not pause.paused
    gc.disable()  # someone else's: a late resume must not undo it
    pause.resume()
    assert not gc.isenabled()


def test_a_collector_someone_else_turned_off_stays_off() -> None:
    gc.disable()
    pause = CollectorPause()
    pause.pause()
    assert not pause.paused
    pause.resume()
    assert not gc.isenabled()


def test_a_pause_nobody_resumes_ends_by_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(collector, "LONGEST_PAUSE", 0.05)
    pause = CollectorPause()
    pause.pause()
    assert not gc.isenabled()
    timer = pause._timer
    assert timer is not None
    timer.join(5)
    assert gc.isenabled() and not pause.paused


def _claude_code(lines: int) -> bytes:
    user = b'{"type":"user","uuid":"u%d","message":{"role":"user","content":"hi"}}\n'
    return b"".join(user % n for n in range(lines))


def test_a_big_first_look_leaves_the_collector_to_its_full_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A loaded machine may take longer than the longest pause over the first look.
    monkeypatch.setattr(collector, "LONGEST_PAUSE", 600.0)
    data = _claude_code(QUICK_MIN_BYTES // 60)
    assert len(data) >= QUICK_MIN_BYTES
    doc = DocumentState("file:///s.jsonl", None, TextSnapshot.from_bytes(data, 1))
    shown = quick_look(doc, doc.text, Options())
    assert shown is not None
    assert not gc.isenabled()  # the diagnostics are being sent
    analyze_document(doc, doc.text, Options(), shown)
    assert gc.isenabled()


def test_a_first_look_with_nothing_to_send_resumes_at_once() -> None:
    small = DocumentState("file:///s.jsonl", None, TextSnapshot.from_bytes(_claude_code(10), 1))
    assert quick_look(small, small.text, Options()) is None
    assert gc.isenabled()
    other = b"not a history\n" * (QUICK_MIN_BYTES // 14 + 1)
    big = DocumentState("file:///o.jsonl", None, TextSnapshot.from_bytes(other, 1))
    assert quick_look(big, big.text, Options()) is None
    assert gc.isenabled()
