"""Claude Code session transcripts: one JSON object a line, the conversation chained by
`parentUuid`; message content uses the Anthropic block shapes."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from context_ls.history.dialects import anthropic
from context_ls.history.dialects.base import Chain, Dialect
from context_ls.history.dialects.claude_code_chain import count_turns, reply_end
from context_ls.history.facts import (
    OTHER,
    Problem,
    RecordFacts,
    get_path,
    message_kind,
    stamp,
    str_or_none,
)
from context_ls.history.model import ItemKind
from context_ls.history.text_blocks import placing_reader

if TYPE_CHECKING:
    from context_ls.history.model import Call
    from context_ls.history.normalize import Plan

NAME = "claude-code"
DEFAULT_SYNTHETIC_TEXT = anthropic.DEFAULT_SYNTHETIC_TEXT
CONTENT = ("message", "content")
_NAMESPACE = uuid.UUID("5c1e2d4a-8f3b-4c6d-9e7f-0a1b2c3d4e5f")
# Fields copied from the neighbouring line onto an inserted line.
INHERITED_FIELDS = (
    "isSidechain",
    "agentId",
    "userType",
    "cwd",
    "sessionId",
    "version",
    "gitBranch",
)


def sniff(value: Any) -> int:
    if not isinstance(value, dict) or not isinstance(value.get("type"), str):
        return 0
    if (
        value["type"] in ("user", "assistant")
        and isinstance(value.get("message"), dict)
        and ("uuid" in value or "sessionId" in value or "parentUuid" in value)
    ):
        return 3
    return 1


def facts(value: Any, raw: bytes | None = None) -> RecordFacts:
    if not isinstance(value, dict):
        return OTHER
    kind = str_or_none(value.get("type"))
    uuid_ = str_or_none(value.get("uuid"))
    parent = str_or_none(value.get("parentUuid"))
    timestamp = stamp(value.get("timestamp"))
    message = value.get("message")
    if kind not in ("user", "assistant") or not isinstance(message, dict):
        return RecordFacts(ItemKind.OTHER, timestamp=timestamp, uuid=uuid_, parent_uuid=parent)
    content = message.get("content")
    calls, outputs, missing, only_results = anthropic.content_facts(content)
    return RecordFacts(
        message_kind(calls, outputs),
        role=kind,
        calls=calls,
        outputs=outputs,
        missing_ids=missing,
        timestamp=timestamp,
        uuid=uuid_,
        parent_uuid=parent,
        message_id=str_or_none(message.get("id")) if kind == "assistant" else None,
        only_results=only_results and kind == "user",
        thread=thread_of(value),
        problems=_text_problems(content, kind, raw),
    )


def _text_problems(content: Any, role: str, raw: bytes | None) -> tuple[Problem, ...]:
    """H012, but for an assistant line of white space only: Claude Code 2.1 writes one as
    the first block of a streamed answer (seen in 2.1.38 sessions that went on after it),
    and leaves it out when it sends the conversation again."""
    found = anthropic.text_problems(content, role, raw, CONTENT)
    return () if found and role == "assistant" and _all_blank(content) else found


def _all_blank(content: Any) -> bool:
    return isinstance(content, list) and all(
        isinstance(block, dict)
        and block.get("type") == "text"
        and isinstance(block.get("text"), str)
        and not block["text"].strip()
        for block in content
    )


read_line = placing_reader(facts)


def thread_of(value: dict[str, Any]) -> str | None:
    """Sub-agent lines (`isSidechain`) form their own conversation, one per agent."""
    if value.get("isSidechain") is True:
        return "sidechain:" + (str_or_none(value.get("agentId")) or "")
    return None


def synthetic_uuid(call_id: str) -> str:
    """Deterministic, so normalizing twice gives the same bytes."""
    return str(uuid.uuid5(_NAMESPACE, f"synthetic-tool-result:{call_id}"))


def synthetic_line(
    call_id: str, text: str, parent_uuid: str | None, neighbour: dict[str, Any], timestamp: Any
) -> dict[str, Any]:
    line: dict[str, Any] = {"parentUuid": parent_uuid}
    for key in INHERITED_FIELDS:
        if key in neighbour:
            line[key] = neighbour[key]
    line["type"] = "user"
    line["message"] = {"role": "user", "content": [anthropic.synthetic_result(call_id, text)]}
    line["uuid"] = synthetic_uuid(call_id)
    if timestamp is not None:
        line["timestamp"] = timestamp
    line["toolUseResult"] = f"Error: {text}"
    return line


def is_subagent_thread(thread: str | None) -> bool:
    """A sub-agent's line (`isSidechain` with an `agentId`): its first parents may live in the
    session that started it, by design."""
    return thread is not None and thread.startswith("sidechain:") and thread != "sidechain:"


def parent_session_of(path: Path) -> Path | None:
    """Where Claude Code keeps the session a sub-agent file belongs to:
    `<session>/subagents/agent-<id>.jsonl` sits beside `<session>.jsonl`."""
    if path.parent.name != "subagents":
        return None
    session = path.parent.parent
    candidate = session.with_name(session.name + ".jsonl")
    return candidate if candidate.is_file() else None


class _Envelope(msgspec.Struct):
    uuid: Any = None


_envelope = msgspec.json.Decoder(_Envelope)


def uuids_in(path: Path) -> frozenset[str]:
    """The `uuid` of every line of a transcript (lines that do not decode are skipped)."""
    found: set[str] = set()
    with path.open("rb") as lines:
        for line in lines:
            try:
                value = _envelope.decode(line)
            except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
                continue
            if isinstance(value.uuid, str):
                found.add(value.uuid)
    return frozenset(found)


# --- repairs: a result is a line of its own, chained after its call's message ------------


def deliver_block(plan: Plan, call: Call, block: bytes, key: str) -> None:
    """A new line holding `block`, after the call's message and its results, in the
    call's thread and session (fields copied from the call's line)."""
    # Repairs only: reading and `check` need no new record.
    from context_ls.history.new_records import NewRecord, raw_slot

    call_item = plan.history.items[call.item]
    neighbour = plan.value(call.item)
    value = synthetic_line(
        call.call_id,
        plan.text,
        None,
        neighbour if isinstance(neighbour, dict) else {},
        call_item.timestamp,
    )
    new_uuid = synthetic_uuid(key)
    value["message"] = {"role": "user", "content": [raw_slot(0)]}
    value["uuid"] = new_uuid
    if key.startswith("moved:"):
        value.pop("toolUseResult", None)
    plan.insert(reply_end(call_item), NewRecord(value, [block], new_uuid))


def moved_parent(value: Any, call_uuid: str) -> str | None:
    """Claude Code 2.1: a result line that names its call's line as its source
    (`sourceToolAssistantUUID`) hangs off it, moved or not."""
    if isinstance(value, dict) and value.get("sourceToolAssistantUUID") == call_uuid:
        return call_uuid
    return None


DIALECT = Dialect(
    name=NAME,
    what="Claude Code transcript (`~/.claude/projects/…/*.jsonl`)",
    shape="JSONL chained by `parentUuid`",
    sniff=sniff,
    facts=facts,
    read_line=read_line,
    subject=lambda value, block: get_path(value, "message", "content", block),
    turns=count_turns,
    content_path=CONTENT,
    chain=Chain(
        linked_thread=is_subagent_thread,
        parent_session=parent_session_of,
        uuids_in=uuids_in,
        moved_parent=moved_parent,
    ),
    api=anthropic.API_ERRORS,
    adjacency=True,
    results_first=True,
    nonempty_text=True,
    default_text=DEFAULT_SYNTHETIC_TEXT,
    synthesize=anthropic.synthesize,
    output_anchor=reply_end,
    deliver_block=deliver_block,
    move_titles={
        "record": "Move the line with the result of {call_id} {where} "
        "(uuid, timestamp, toolUseResult and every field kept; only parentUuid links change)",
        "blocks": "Move the result of {call_id} {where}, in a new line "
        "(the line it leaves keeps its uuid, timestamp, toolUseResult and its other blocks)",
    },
    home_folder=".claude",
    session_globs=("~/.claude/projects/**/*.jsonl",),
)
