"""Histories written by other projects (../shared/realdata): every file in the folder is read,
and the files we know are held to what a person found in them (dialect and findings).

A file that is not in the table is still read, normalized and trimmed (no crash, nothing
worse after a repair): a new file is covered the day it lands, and gets its row once someone
has looked at it. The table never guesses from a file's name.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from context_ls.history.api import analyze, analyze_path, normalize_bytes, trim_edits
from context_ls.history.model import apply_edits

from ._gen import REPO, UNFIXABLE, assert_untouched_records_kept, codes, normalized

REALDATA = REPO.parent / "shared" / "realdata"
if not REALDATA.is_dir():
    pytest.skip(
        "../shared/realdata is not beside the clone (CI has it; a plain clone does not)",
        allow_module_level=True,
    )

# Relative path -> (dialect, findings by code). Findings listed here were checked by hand and
# are true of the file as it stands (most are fixtures cut out of a longer session); every
# other file is a healthy history and must give none.
EXPECTED: dict[str, tuple[str | None, dict[str, int]]] = {
    # Claude Code
    "codemie-ai__codemie-code/4c2ddfdc-b619-4525-8d03-1950fb1b0257.jsonl": ("claude-code", {}),
    "codemie-ai__codemie-code/session-9eda1058.jsonl": ("claude-code", {}),
    "d-kimuson__claude-code-viewer/5c0375b4-57a5-4f26-b12d-d022ee4e51b7.jsonl": ("claude-code", {}),
    "daaain__claude-code-log/55550000-0000-4000-8000-000000000001.jsonl": ("claude-code", {}),
    "daaain__claude-code-log/dag_compact_after_rewind.jsonl": ("claude-code", {}),
    # An edge-case fixture: a call with no result, a line whose parent is not in the file.
    "daaain__claude-code-log/edge_cases.jsonl": ("claude-code", {"H001": 2, "H009": 1}),
    "daaain__claude-code-log/representative_messages.jsonl": ("claude-code", {}),
    # Excerpts: the first line's parent is elsewhere; a sidechain call and a result of
    # another call whose partners were cut out.
    "daaain__claude-code-log/sidechain_integrated.jsonl": (
        "claude-code",
        {"H001": 1, "H002": 1, "H009": 1},
    ),
    "daaain__claude-code-log/todowrite_examples.jsonl": ("claude-code", {}),
    # Fixtures whose tool ids were trimmed away: such blocks can never be paired.
    "jazzyalex__agent-sessions/0a1b2c3d-4e5f-4061-8071-2a3b4c5d6e7f.jsonl": (
        "claude-code",
        {"H007": 1},
    ),
    "jazzyalex__agent-sessions/agent-a0ad4f44468bdf20d.jsonl": ("claude-code", {"H007": 2}),
    "jazzyalex__agent-sessions/claude_large.jsonl": ("claude-code", {"H007": 2}),
    "jazzyalex__agent-sessions/claude_small.jsonl": ("claude-code", {"H001": 1, "H007": 3}),
    "jnarowski__agentcmd/full-session-four.jsonl": ("claude-code", {}),
    # The session was cut while three parallel calls ran.
    "jnarowski__agentcmd/full-session-three.jsonl": ("claude-code", {"H001": 3}),
    # One line out of a session: a call, and a parent in the lines left out.
    "jnarowski__agentcmd/tool-bash.jsonl": ("claude-code", {"H001": 1, "H009": 1}),
    # Claude Code 2.1.38: results hang off their own call's line, hook progress branches.
    "marot__spotter/subagent.jsonl": ("claude-code", {}),
    # A compaction sub-agent: its first parents are in the parent session, by design.
    "marot__spotter/subagents/agent-acompact-e1f845.jsonl": ("claude-code", {}),
    "marot__spotter/tool_heavy.jsonl": ("claude-code", {}),
    "simonw__claude-code-transcripts/sample_session.jsonl": ("claude-code", {}),
    # Codex
    "codemie-ai__codemie-code/rollout-2026-05-11T13-28-45-019e1695-0522-7c83-8b39-0dd379793f80.jsonl": (
        "codex",
        {},
    ),
    "daaain__claude-code-log/rollout-2026-01-02T03-04-05-11111111-1111-4111-8111-111111111111.jsonl": (
        "codex",
        {},
    ),
    "daaain__claude-code-log/rollout-2026-01-03T04-05-06-22222222-2222-4222-8222-222222222222.jsonl": (
        "codex",
        {},
    ),
    # A fixture of a malformed rollout: one line is not JSON.
    "daaain__claude-code-log/rollout-66666666-6666-4666-8666-666666666666.jsonl": (
        "codex",
        {"H007": 1},
    ),
    # A sub-agent's rollout forked from its parent up to the parent's spawn_agent call,
    # whose output only the parent's rollout holds: Codex answers it "aborted" on resume.
    "daaain__claude-code-log/rollout-2026-01-03T04-05-10-33333333-3333-4333-8333-333333333333.jsonl": (
        "codex",
        {"H001": 1},
    ),
    "jazzyalex__agent-sessions/codex_large.jsonl": ("codex", {}),
    # Ids trimmed to one string: the repeats all come before the last compaction, which is
    # where Codex resumes.
    "jazzyalex__agent-sessions/codex_small.jsonl": ("codex", {}),
    # Hand-made: spawn and wait calls whose outputs only event_msg lines mention.
    "codemie-ai__codemie-code/turn-spawn-skill.jsonl": ("codex", {"H001": 2}),
    # One line out of a session: an output whose call was left out.
    "jnarowski__agentcmd/function-output-error.jsonl": ("codex", {"H002": 1}),
    "jnarowski__agentcmd/rollout-2025-09-24T19-22-20-01997e76-d124-7592-9cac-2ec05abbca08.jsonl": (
        "codex",
        {},
    ),
    "madshn__localpush/rollout-2026-02-23T12-40-23-019c8a4c-ed82-79a1-aa28-7738fc5ab61a.jsonl": (
        "codex",
        {},
    ),
    # Interrupted mid-command and resumed 15 minutes later without an output.
    "madshn__localpush/rollout-2026-02-23T12-47-42-019c8a53-a0dd-7130-bcd7-95445d84846a.jsonl": (
        "codex",
        {"H001": 1},
    ),
    # Has a compacted line in mid-turn (39 items and a compaction item).
    "madshn__localpush/rollout-2026-02-23T12-54-34-019c8a59-e9dd-71f0-9ae3-4079fe9726a9.jsonl": (
        "codex",
        {},
    ),
    # Cut while its last call ran (only a token count follows it).
    "madshn__localpush/rollout-2026-02-23T13-19-38-019c8a70-dda7-7f33-98ea-f30553347322.jsonl": (
        "codex",
        {"H001": 1},
    ),
    "madshn__localpush/rollout-2026-02-23T20-34-25-019c8bfe-ec25-79e0-97d7-bda6a9c575ff.jsonl": (
        "codex",
        {},
    ),
    # Chat Completions
    "ollama__ollama/messages.json": ("openai-chat", {}),
    # Fine-tuning data sets, healthy: every line ends on a target call (no output by
    # design), ids repeat from line to line (call_1), every call names a listed tool.
    "microsoft-foundry__fine-tuning/datagen-ToolUse-FineTuneSupervised-valid.jsonl": (
        "openai-finetune",
        {},
    ),
    "microsoft-foundry__fine-tuning/stock_toolcall_validation.jsonl": ("openai-finetune", {}),
    # Gemini CLI whole-file sessions: every call carries its result (one was cancelled by
    # the user, one failed), so nothing is missing.
    "codemie-ai__codemie-code/session-2026-01-16T11-01-file-ops-37b7abef.json": (
        "gemini-cli",
        {},
    ),
    "jnarowski__agentcmd/session-2025-10-27T19-55-981c87cb.json": ("gemini-cli", {}),
    # Recorded HTTP exchanges (YAML): no dialect, so never a finding (their request bodies
    # are read below).
    "pydantic__pydantic-ai/test_bedrock_model_retry.yaml": (None, {}),
    "pydantic__pydantic-ai/test_compatible_api_with_tool_calls_without_id.yaml": (None, {}),
    "pydantic__pydantic-ai/test_google_model_retry.yaml": (None, {}),
    "pydantic__pydantic-ai/test_multiple_parallel_tool_calls.yaml": (None, {}),
    "pydantic__pydantic-ai/test_openai_conversation_id_tool_call_continuation.yaml": (None, {}),
    "pydantic__pydantic-ai/test_reused_tool_call_ids_request.yaml": (None, {}),
}

FILES = sorted(
    p for p in REALDATA.rglob("*") if p.is_file() and p.name != "README.md" and p.stat().st_size
)
HISTORIES = [p for p in FILES if analyze(p.read_bytes()).history.is_history]
CASSETTES = sorted(REALDATA.rglob("*.yaml"))


def name(path: Path) -> str:
    return path.relative_to(REALDATA).as_posix()


def findings_by_code(path: Path) -> dict[str, int]:
    return dict(Counter(f.code for f in analyze_path(path).findings))


def test_the_folder_is_read_and_most_of_it_is_known() -> None:
    assert len(FILES) >= 40
    known = [p for p in FILES if name(p) in EXPECTED]
    assert len(known) >= 46  # every file of today's folder; files added later are still read


@pytest.mark.parametrize("path", FILES, ids=name)
def test_realdata_is_read_as_a_person_found_it(path: Path) -> None:
    if name(path) not in EXPECTED:
        pytest.skip(f"{name(path)}: nobody has looked at it yet (still read by the other tests)")
    dialect, findings = EXPECTED[name(path)]
    assert analyze_path(path).history.dialect == dialect
    assert analyze(path.read_bytes()).history.dialect == dialect
    assert findings_by_code(path) == findings


@pytest.mark.parametrize("path", FILES, ids=name)
def test_realdata_normalize_is_stable_and_never_makes_it_worse(path: Path) -> None:
    data = path.read_bytes()
    analysis = analyze(data)
    once = normalize_bytes(data)
    assert normalize_bytes(once) == once
    after = analyze(once)
    if once.strip():  # a file whose only record was an orphan is empty after the repair
        assert after.history.dialect == analysis.history.dialect
    # Never adds a finding.
    assert not Counter(codes(after)) - Counter(codes(analysis)), codes(after)
    unfixable_h007 = sum(1 for f in analysis.findings if f.code == "H007" and not f.fixable)
    left = [c for c, _ in codes(after) if c not in UNFIXABLE]
    assert left.count("H007") <= unfixable_h007
    assert not [c for c in left if c != "H007"], codes(after)
    if not any(f.fixable for f in analysis.findings):
        assert once == data  # nothing to fix: the identity


@pytest.mark.parametrize("path", HISTORIES, ids=name)
def test_realdata_never_gets_a_synthetic_output_for_an_answered_call(path: Path) -> None:
    before, out = normalized(path.read_bytes())
    after = analyze(out, before.history.dialect)
    answered = Counter(o.call_id for o in before.history.outputs)
    now = Counter(o.call_id for o in after.history.outputs)
    assert all(now[call_id] <= count for call_id, count in answered.items())


@pytest.mark.parametrize("path", HISTORIES, ids=name)
def test_realdata_untouched_records_kept(path: Path) -> None:
    before, out = normalized(path.read_bytes())
    assert_untouched_records_kept(before, out)


@pytest.mark.parametrize("keep", [1, 4])
@pytest.mark.parametrize("path", HISTORIES, ids=name)
def test_realdata_trim_never_splits_a_pair(path: Path, keep: int) -> None:
    repaired = normalize_bytes(path.read_bytes())
    base = analyze(repaired)
    out = apply_edits(repaired, trim_edits(base, keep))
    after = analyze(out, base.history.dialect)
    assert {c for c, _ in codes(after)} - {c for c, _ in codes(base)} <= {"H010"}, codes(after)


def request_bodies(path: Path) -> list[bytes]:
    """Each request's JSON body, pretty-printed: `parsed_body` where the cassette decoded
    it, else `body` when that is a JSON string (the Bedrock cassettes)."""
    yaml = pytest.importorskip("yaml", reason="PyYAML reads the recorded HTTP exchanges")
    exchanges = yaml.safe_load(path.read_text(encoding="utf-8"))["interactions"]
    bodies = [_body(e["request"]) for e in exchanges]
    return [json.dumps(b, indent=2).encode() for b in bodies if b]


def _body(request: dict[str, object]) -> object:
    body = request.get("parsed_body")
    if body is None and isinstance(request.get("body"), str):
        try:
            body = json.loads(str(request["body"]))
        except ValueError:
            return None
    return body


# Cassette -> the dialect of each request body with a known dialect (None: not read yet).
BODIES: dict[str, list[str | None]] = {
    # Bedrock bodies: a `messages` array of typeless blocks (`{"text": …}`, `{"toolUse": …}`).
    "test_bedrock_model_retry.yaml": ["bedrock-converse", "bedrock-converse"],
    "test_compatible_api_with_tool_calls_without_id.yaml": ["openai-chat", "openai-chat"],
    # Gemini bodies: `contents`, whose key alone names the API.
    "test_google_model_retry.yaml": ["gemini-api"] * 3,
    "test_multiple_parallel_tool_calls.yaml": [None, "anthropic"],
    "test_openai_conversation_id_tool_call_continuation.yaml": ["openai-responses"] * 2,
    "test_reused_tool_call_ids_request.yaml": ["openai-responses"] * 4,
}


@pytest.mark.parametrize("path", CASSETTES, ids=name)
def test_recorded_request_bodies_are_healthy_histories(path: Path) -> None:
    """What the providers accepted gives no finding: among them a Responses body whose
    output answers a call the server keeps (`conversation`)."""
    bodies = request_bodies(path)
    for body in bodies:
        assert analyze(body).findings == [], body[:300]
    if path.name in BODIES:
        assert [analyze(b).history.dialect for b in bodies] == BODIES[path.name]
