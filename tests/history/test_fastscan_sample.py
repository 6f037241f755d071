"""The lean scan of a Codex rollout held in memory decides whether the full read would take
the file for a rollout from the same sample the full read detects from: the values of the
first non-blank lines that decode, however the lines end, whatever lies between them."""

from __future__ import annotations

from itertools import islice
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from context_ls.history import fastscan
from context_ls.history import source as src
from context_ls.history.detect import SAMPLE_SIZE
from context_ls.history.facts import DECODE_ERRORS

LINES = st.sampled_from(
    [
        b'{"timestamp":"t","type":"session_meta","payload":{"id":"x"}}',
        b'{"type":"response_item","payload":{"type":"function_call","call_id":"c"}}',
        b'{"type":"event_msg","payload":{"type":"token_count"}}',
        b"[1, 2]",
        b'"text"',
        b"",
        b" ",
        b"\t \x0b\x0c",
        b"{broken",
        b'{"a": "\xff"}',
        b'{"a": 1e400}',
        b"\r",
        b'{"a": 1}\r',
        b'{"a": 1}\r\r',
        b" {}  ",
    ]
)


def _reference(data: bytes) -> list[Any]:
    """The sample as the full read takes it: `source.split_lines`, then what decodes."""
    values = []
    for _line, _offset, chunk in islice(src.split_lines(data), SAMPLE_SIZE * 2):
        try:
            values.append(msgspec.json.decode(chunk))
        except DECODE_ERRORS:
            continue
    return values


@given(
    st.lists(LINES, max_size=30),
    st.sampled_from([b"\n", b"\r\n"]),
    st.booleans(),
    st.integers(0, 3),
)
def test_the_sample_is_the_full_reads(
    lines: list[bytes], newline: bytes, final_newline: bool, repeat: int
) -> None:
    data = newline.join(lines * (1 + repeat * 40)) + (newline if final_newline else b"")
    assert list(fastscan.sample(data)) == _reference(data)


@pytest.mark.parametrize("whole", [True, False])
def test_past_the_sample_nothing_is_read(whole: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the first `2 * SAMPLE_SIZE` non-blank lines count, whichever way it is cut."""
    if not whole:
        monkeypatch.setattr(fastscan, "SPLIT_AT_ONCE_BELOW", 0)
    head = b"{broken\n\n" * (SAMPLE_SIZE * 2)
    data = head + b'{"late": 1}\n'
    assert list(fastscan.sample(data)) == _reference(data) == []
    data = b'{"a": 1}\n \n' * (SAMPLE_SIZE * 3)
    assert list(fastscan.sample(data)) == _reference(data) == [{"a": 1}] * (SAMPLE_SIZE * 2)
