"""Bad input never raises: every source gives findings or dialect None."""

from __future__ import annotations

import random
import time

import pytest

from context_ls.history.analyzer import Analyzer
from context_ls.history.api import analyze, analyze_path, normalize_edits, trim_edits
from context_ls.history.model import apply_edits
from context_ls.history.where import where

from . import _gen_gemini_cli as gemini_cli
from ._gen import EXAMPLES, render, render_dataset
from ._gen_bedrock import render_bedrock
from ._gen_gemini_api import render_gemini_api

NATIVE = (EXAMPLES / "native-tools.jsonl").read_bytes()
CODEX = (EXAMPLES / "codex-rollout-crashed.jsonl").read_bytes()
CHAT = (EXAMPLES / "openai-chat-messages.json").read_bytes()
CLAUDE = (EXAMPLES / "claude-code-session.jsonl").read_bytes()
CALL = b'{"type":"tool_call","call_id":"c1","tool_name":"x","args":{}}'
OUT = b'{"type":"tool_output","call_id":"c1","status":"success","content":"ok"}'


def survive(data: bytes) -> tuple[str | None, set[str]]:
    """analyze, normalize (applied and re-analyzed), trim: no exception; returns the verdict."""
    analysis = analyze(data)
    if analysis.history.dialect is None:
        assert analysis.findings == []
    out = apply_edits(data, normalize_edits(analysis))
    analyze(out, analysis.history.dialect)
    apply_edits(data, trim_edits(analysis, 2))
    Analyzer().analyze(data)
    return analysis.history.dialect, {f.code for f in analysis.findings}


BAD: dict[str, bytes] = {
    "empty": b"",
    "whitespace": b"  \n\t\r\n  ",
    "null": b"null",
    "number": b"42",
    "float": b"-1.5e300",
    "string": b'"hello"',
    "true": b"true",
    "empty array": b"[]",
    "empty object": b"{}",
    "messages null": b'{"messages": null}',
    "messages of scalars": b'{"messages": [null, 1, "x", true]}',
    "bom only": b"\xef\xbb\xbf",
    "bom then example": b"\xef\xbb\xbf" + NATIVE,
    "crlf example": NATIVE.replace(b"\n", b"\r\n"),
    "crlf document": CHAT.replace(b"\n", b"\r\n"),
    "lone cr": NATIVE.replace(b"\n", b"\r"),
    "scalars as records": b'null\n1\n"x"\n[]\n'
    + CALL
    + b"\n"
    + OUT
    + b"\n"
    + CALL.replace(b"c1", b"c2")
    + b"\n",
    "nul bytes": NATIVE[:300] + b"\x00\x00" + NATIVE[300:],
    "escaped lone surrogate": CALL.replace(b'"x"', b'"\\ud800"') + b"\n" + OUT + b"\n",
    "truncated document": CHAT[: len(CHAT) // 2],
    "document missing bracket": CHAT.rstrip()[:-1],
    "two documents": CHAT + CHAT,
    "jsonl 10 MB line": CALL
    + b"\n"
    + b'{"type":"tool_output","call_id":"c1","status":"success","content":"'
    + b"a" * 10_000_000
    + b'"}\n',
    "garbage 10 MB line": CALL + b"\n" + b"{" * 10 + b"x" * 10_000_000 + b"\n" + OUT + b"\n",
    "deep line in jsonl": CALL + b"\n" + b"[" * 100_000 + b"\n" + OUT + b"\n",
    "deep object in jsonl": CALL + b"\n" + b'{"a":' * 50_000 + b"\n" + OUT + b"\n",
    # these raised (RecursionError, UnicodeDecodeError) before the engine fixed them
    "deep array document": b"[" * 100_000,
    "deep messages document": b'{"messages": ' + b"[" * 100_000,
    "invalid utf8 on the first line": CALL.replace(b'"x"', b'"\xff\xfe"') + b"\n" + OUT + b"\n",
    "invalid utf8 in a document": CHAT.replace(b"DevOps", b"Dev\xffOps"),
    "invalid utf8 in codex line": CODEX.replace(b"slugify", b"slug\xe9fy"),
    "deep first record in jsonl": CALL[:-1]
    + b',"deep":'
    + b"[" * 100_000
    + b"]" * 100_000
    + b"}\n"
    + OUT
    + b"\n",
    "invalid utf8 mid file": NATIVE.replace(b"nginx", b"ngi\xffnx", 1),
    "latin-1 file": '{"type":"message","role":"user","content":"café"}\n'.encode("latin-1")
    + CALL
    + b"\n",
}


# What each gives: not a history (None), or a history with these findings.
VERDICT: dict[str, tuple[str | None, set[str]]] = {
    "empty": (None, set()),
    "whitespace": (None, set()),
    "null": (None, set()),
    "number": (None, set()),
    "float": (None, set()),
    "string": (None, set()),
    "true": (None, set()),
    "empty array": (None, set()),
    "empty object": (None, set()),
    "messages null": (None, set()),
    "messages of scalars": (None, set()),
    "bom only": (None, set()),
    "bom then example": ("native", {"H001", "H002", "H008"}),
    "crlf example": ("native", {"H001", "H002", "H008"}),
    "crlf document": ("openai-chat", {"H001", "H002", "H006"}),
    "nul bytes": ("native", {"H001", "H002", "H007", "H008"}),
    "escaped lone surrogate": ("native", {"H002", "H007"}),
    "truncated document": ("openai-chat", {"H001", "H007"}),
    "document missing bracket": ("openai-chat", {"H001", "H002", "H006", "H007"}),
    "two documents": ("openai-chat", {"H001", "H002", "H006", "H007"}),
    "jsonl 10 MB line": ("native", set()),
    "garbage 10 MB line": ("native", {"H007"}),
    "deep line in jsonl": ("native", {"H007"}),
    "deep object in jsonl": ("native", {"H007"}),
    "deep array document": (None, set()),
    "deep messages document": (None, set()),
    "deep first record in jsonl": ("native", {"H002", "H007"}),
    "invalid utf8 on the first line": ("native", {"H002", "H007"}),
    "invalid utf8 in a document": ("openai-chat", {"H001", "H002", "H006", "H007"}),
    "invalid utf8 in codex line": ("codex", {"H001", "H002", "H007"}),
    "invalid utf8 mid file": ("native", {"H001", "H002", "H007", "H008"}),
    "latin-1 file": ("native", {"H001", "H007"}),
    "lone cr": (None, set()),  # old Mac line ends: one line that is not JSON
    "scalars as records": (None, set()),  # most records fit no dialect
}


def test_every_bad_input_has_a_verdict() -> None:
    assert set(VERDICT) == set(BAD)


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_never_raises(name: str) -> None:
    assert survive(BAD[name]) == VERDICT[name]


def test_bad_input_from_disk(tmp_path) -> None:
    for n, (name, data) in enumerate(sorted(BAD.items())):
        if len(data) > 1_000_000:
            continue
        path = tmp_path / f"f{n}.jsonl"
        path.write_bytes(data)
        analysis = analyze_path(path)
        assert analysis.history.dialect is None or analysis.history.is_history, name


@pytest.mark.parametrize("value", [b"{}", b"[1]"])
@pytest.mark.parametrize(
    ("dialect", "record"),
    [
        ("native", b'{"type":@,"call_id":"c9"}'),
        ("codex", b'{"timestamp":"t","type":@,"payload":{}}'),
        ("codex", b'{"timestamp":"t","type":"response_item","payload":{"type":@}}'),
        ("claude-code", b'{"type":@,"uuid":"u9","message":{"role":"user","content":"x"}}'),
        ("anthropic", b'{"role":"user","content":[{"type":@}]}'),
        ("openai-responses", b'{"type":@}'),
    ],
)
def test_non_string_type_field(dialect: str, record: bytes, value: bytes) -> None:
    from ._gen import call_prefix, clean_events, default_layout, dumps, records_of, render_records

    records = [dumps(r) for r in records_of(dialect, clean_events(call_prefix(dialect)))]
    records.insert(2, record.replace(b"@", value))
    if default_layout(dialect) == "jsonl":
        data = b"\n".join(records) + b"\n"
    else:
        key = default_layout(dialect)
        data = b'{"' + key.encode() + b'":[' + b",".join(records) + b"]}"
    assert render_records
    analysis = analyze(data)
    assert analysis.history.dialect == dialect
    survive(data)


def test_truncated_last_line_is_found() -> None:
    data = CALL + b"\n" + OUT[:20]
    analysis = analyze(data)
    assert analysis.history.dialect == "native"
    assert [(f.code, f.fixable) for f in analysis.findings] == [("H001", True), ("H007", True)]


def test_a_ten_megabyte_line_is_read() -> None:
    data = BAD["jsonl 10 MB line"]
    analysis = analyze(data)
    assert analysis.history.dialect == "native"
    assert analysis.findings == []


def test_garbage_ten_megabyte_line_is_one_finding() -> None:
    analysis = analyze(BAD["garbage 10 MB line"])
    assert analysis.history.dialect == "native"
    assert [f.code for f in analysis.findings] == ["H007"]


def test_deep_line_in_jsonl_is_malformed_not_a_crash() -> None:
    analysis = analyze(BAD["deep line in jsonl"])
    assert analysis.history.dialect == "native"
    assert [f.code for f in analysis.findings] == ["H007"]


def test_invalid_utf8_mid_file_keeps_the_history_readable() -> None:
    analysis = analyze(BAD["invalid utf8 mid file"])
    assert analysis.history.dialect == "native"
    assert {f.code for f in analysis.findings} >= {"H001", "H002", "H008"}


@pytest.mark.parametrize("prefix", [b"\n", b"\r\n", b"  \n\n"])
def test_jsonl_with_leading_blank_lines(prefix: bytes) -> None:
    analysis = analyze(prefix + NATIVE)
    assert analysis.history.dialect == "native"
    assert len(analysis.findings) == 3


def test_document_with_one_element_per_line() -> None:
    data = (
        b'[{"role":"user","content":"go"},\n'
        b'{"role":"assistant","content":[{"type":"tool_use","id":"toolu_A","name":"x","input":{}}]}\n'
        b"]\n"
    )
    analysis = analyze(data)
    assert analysis.history.document
    assert [(f.code, f.call_id) for f in analysis.findings] == [("H001", "toolu_A")]


def test_document_with_one_element_per_line_trailing_commas() -> None:
    data = (
        b'[{"role":"user","content":"go"},\n'
        b'{"role":"assistant","content":[{"type":"tool_use","id":"toolu_A","name":"x","input":{}}]},\n'
        b'{"role":"user","content":"hi"}]\n'
    )
    analysis = analyze(data)
    assert analysis.history.dialect == "anthropic"
    assert [(f.code, f.call_id) for f in analysis.findings] == [("H001", "toolu_A")]


# --- fuzz ---------------------------------------------------------------------------------------

SEEDS = [
    p.read_bytes()
    for p in sorted(EXAMPLES.iterdir())
    if p.suffix in (".json", ".jsonl") and p.name != "EXPECTED.json"
]
SMALL = [
    render("native", [("user", "go"), ("calls", ["c1", "c2"]), ("outputs", ["c1"])]),
    render("claude-code", [("user", "go"), ("calls", ["toolu_A"]), ("outputs", ["toolu_A"])]),
    render("codex", [("user", "go"), ("calls", ["call_A"]), ("outputs", ["call_B"])]),
    render(
        "openai-chat",
        [("user", "go"), ("calls", ["call_A"]), ("user", "x"), ("outputs", ["call_A"])],
        pretty=True,
    ),
    render(
        "anthropic", [("user", "go"), ("calls", ["toolu_A"]), ("outputs", ["toolu_A", "toolu_A"])]
    ),
    render("openai-responses", [("outputs", ["call_A"]), ("calls", ["call_A"])], layout="array"),
    # The 2026 dialects: a Gemini CLI log with a rewind and a whole-file session, Gemini
    # contents without ids, a Bedrock body.
    gemini_cli.render_jsonl(
        gemini_cli.Session(
            [gemini_cli.Turn(("ok", "no-result")), gemini_cli.Turn(("orphan",))],
            rewind_to=1,
            after_rewind=[gemini_cli.Turn(("twice",))],
        )
    ),
    gemini_cli.render_json(gemini_cli.Session([gemini_cli.Turn(("ok", "null-result"))])),
    render_gemini_api(
        [("user", "go"), ("calls", ["c1", "c2"]), ("outputs", ["c2"])], ids=False, pretty=True
    ),
    render_bedrock([("user", "go"), ("calls", ["t1"]), ("user", "x"), ("outputs", ["t1"])]),
    render_dataset(
        [
            [("user", "go"), ("calls", ["c1"]), ("outputs", ["c2"]), ("assistant", "done")],
            [("user", "go"), ("calls", ["c1"])],
        ],
        tools=["shell"],
    ),
]
TOKENS = [
    b"{",
    b"}",
    b"[",
    b"]",
    b'"',
    b",",
    b":",
    b"\n",
    b"\r\n",
    b"\\",
    b"null",
    b"\xff",
    b"\xef\xbb\xbf",
    b" ",
    b"\x00",
]


def mutate(rng: random.Random, data: bytes) -> bytes:
    choice = rng.randrange(8)
    if not data:
        return rng.choice(TOKENS)
    i = rng.randrange(len(data) + 1)
    if choice == 0:  # truncate
        return data[:i]
    if choice == 1:  # byte flips
        buf = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            buf[rng.randrange(len(buf))] = rng.randrange(256)
        return bytes(buf)
    if choice == 2:  # insert structure
        return data[:i] + b"".join(rng.choice(TOKENS) for _ in range(rng.randint(1, 4))) + data[i:]
    if choice == 3:  # delete a slice
        j = rng.randrange(len(data) + 1)
        return data[: min(i, j)] + data[max(i, j) :]
    lines = data.split(b"\n")
    if choice == 4:  # shuffle lines
        rng.shuffle(lines)
    elif choice == 5:  # duplicate a line
        k = rng.randrange(len(lines))
        lines.insert(rng.randrange(len(lines) + 1), lines[k])
    elif choice == 6:  # drop a line
        del lines[rng.randrange(len(lines))]
    else:  # swap in a line from another source
        other = rng.choice(SMALL).split(b"\n")
        lines[rng.randrange(len(lines))] = rng.choice(other)
    return b"\n".join(lines)


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_fuzz_mutated_histories_never_raise() -> None:
    """>= 100k mutated inputs through analyze (fresh and incremental) + normalize + apply."""
    rng = random.Random(20251121)
    target, budget = 100_000, 75.0  # ~10 s here; the budget only guards a much slower machine
    start = time.monotonic()
    done = 0
    analyzer = Analyzer()
    while done < target and time.monotonic() - start < budget:
        base = rng.choice(SMALL) if rng.random() < 0.97 else rng.choice(SEEDS)
        data = base
        for _ in range(rng.randint(1, 3)):
            data = mutate(rng, data)
        try:
            analysis = analyzer.analyze(data) if done % 2 else analyze(data)
            out = apply_edits(data, normalize_edits(analysis))
            if done % 10 == 0:
                analyze(out, analysis.history.dialect)
                apply_edits(data, trim_edits(analysis, rng.randint(0, 5)))
                for finding in analysis.findings:
                    at = where(analysis, finding.item, finding.span)
                    assert at.line >= 1 and at.column >= 1
                    assert (at.end_line, at.end_column) >= (at.line, at.column)
        except Exception as error:
            pytest.fail(f"{type(error).__name__}: {error} on input {data[:400]!r}")
        done += 1
    assert done >= target, f"only {done} inputs in {budget} s"


def test_the_fuzz_seeds_cover_every_dialect() -> None:
    """The mutated inputs start from a history of each dialect the engine reads."""
    from context_ls.history.dialects import NAMES

    seen = {analyze(seed).history.dialect for seed in [*SMALL, *SEEDS]}
    assert set(NAMES) <= seen
