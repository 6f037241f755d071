"""OpenAI chat fine-tuning data sets: JSONL, one whole conversation a line
(`{"messages": [...], "tools"?: [...]}`), the messages in the Chat Completions shape.

A line is a conversation of its own: ids repeat from one line to the next, so nothing is
paired across lines. Each line is judged by itself, with the Chat rules (pairing,
adjacency) and the checks the upload makes, and hands the engine its findings as
`Problem`s (the line plus the message or call they are about), not calls and outputs the
engine would pair across the file. The last assistant message of a line is the training
target: calls there with no tool message after them are how function calling is taught,
not H001.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

from context_ls.history.dialects import chat, lazy_repairs
from context_ls.history.dialects.base import Dialect
from context_ls.history.facts import DECODE_ERRORS, OTHER, Problem, RecordFacts, malformed
from context_ls.history.items import ItemKind
from context_ls.history.model import Output

if TYPE_CHECKING:
    from context_ls.history.model import Call
    from context_ls.history.normalize import Plan

NAME = "openai-finetune"
# The roles OpenAI's fine-tuning upload accepts (`function`: the legacy function calling).
ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
# A problem before its spans are known: (code, message, call, variant, fields); call -1:
# the whole message, message -1: the whole line.
_Pending = tuple[str, int, int, str, tuple[tuple[str, str], ...]]
_decode = msgspec.json.decode


def sniff(value: Any) -> int:
    if isinstance(value, dict) and isinstance(value.get("messages"), list):
        return 3
    return 0


def read_line(raw: bytes) -> RecordFacts:
    """One line's facts, with each problem's bytes inside the line."""
    try:
        value = _decode(raw)
    except DECODE_ERRORS as error:
        return malformed(str(error))
    return _facts(value, raw)


def facts(value: Any) -> RecordFacts:
    """A line already decoded (its bytes unknown: problems cover the whole line)."""
    return _facts(value, None)


def _facts(value: Any, raw: bytes | None) -> RecordFacts:
    if not isinstance(value, dict):
        found = [_whole_line(f"a JSON {type(value).__name__ if value is not None else 'null'}")]
    elif not isinstance(value.get("messages"), list):
        found = [_whole_line('no "messages" list')]
    else:
        found = judge(value["messages"], value.get("tools"))
    if not found:
        return OTHER if not isinstance(value, dict) else _CONVERSATION
    return RecordFacts(_CONVERSATION.kind, problems=_located(found, raw))


_CONVERSATION = RecordFacts(ItemKind.MESSAGE)


def _whole_line(error: str) -> _Pending:
    return ("H007", -1, -1, "not-conversation", (("error", error),))


def judge(messages: list[Any], tools: Any) -> list[_Pending]:
    """What is wrong in one conversation, in message order."""
    found: list[_Pending] = []
    known = _tool_names(tools)
    target = max(
        (i for i, m in enumerate(messages) if isinstance(m, dict) and m.get("role") == "assistant"),
        default=-1,
    )
    calls: dict[str, tuple[int, int, str | None]] = {}  # id -> (message, call, tool)
    call_ids = _call_ids_by_message(messages)
    answered: dict[str, int] = {}  # call id -> the message of its kept output
    run_start = -1  # the assistant message the current run of tool messages follows
    for m, message in enumerate(messages):
        if not isinstance(message, dict):
            found.append(_invalid(m, "message is not an object"))
            run_start = -1
            continue
        role = message.get("role")
        if not isinstance(role, str) or role not in ROLES:
            found.append(_invalid(m, f"unknown role {role!r}: expected one of {_ROLE_LIST}"))
        if role == "tool":
            _tool_message(message, m, run_start, calls, call_ids, answered, found)
            continue
        run_start = m if role == "assistant" else -1
        if role == "assistant":
            _assistant_calls(message, m, known, calls, found)
    for call_id, (m, k, tool) in calls.items():
        if call_id not in answered and m != target:
            fields = (("call_id", call_id), ("tool", _tool(tool)), ("api_error", _missing(call_id)))
            found.append(("H001", m, k, "", fields))
    found.sort(key=lambda p: (p[1], p[2]))
    return found


_ROLE_LIST = ", ".join(sorted(ROLES))


def _missing(call_id: str) -> str:
    """The Chat API's answer to an unanswered call (the same as to a tool message that does
    not come right after its call)."""
    not_adjacent = chat.API_ERRORS.not_adjacent
    return not_adjacent(call_id) if not_adjacent is not None else call_id


def _tool(tool: str | None) -> str:
    return f" ({tool})" if tool else ""


def _invalid(m: int, problem: str, call: int = -1) -> _Pending:
    return ("H016", m, call, "", (("problem", problem),))


def _tool_names(tools: Any) -> frozenset[str] | None:
    """The function names a line offers; None when it lists no tools (nothing to judge)."""
    if not isinstance(tools, list) or not tools:
        return None
    names = (
        t["function"].get("name")
        for t in tools
        if isinstance(t, dict) and isinstance(t.get("function"), dict)
    )
    return frozenset(n for n in names if isinstance(n, str))


def _call_ids_by_message(messages: list[Any]) -> dict[str, int]:
    """Each call id's first message (an output whose call is nowhere in its line is an
    orphan; one whose call comes later came too early)."""
    first: dict[str, int] = {}
    for m, message in enumerate(messages):
        if isinstance(message, dict) and message.get("role") == "assistant":
            for entry in tool_call_entries(message):
                if isinstance(entry, dict) and isinstance(entry.get("id"), str):
                    first.setdefault(entry["id"], m)
    return first


def tool_call_entries(message: dict[str, Any]) -> list[Any]:
    tool_calls = message.get("tool_calls")
    return tool_calls if isinstance(tool_calls, list) else []


def _assistant_calls(
    message: dict[str, Any],
    m: int,
    known: frozenset[str] | None,
    calls: dict[str, tuple[int, int, str | None]],
    found: list[_Pending],
) -> None:
    tool_calls = message.get("tool_calls")
    if tool_calls is not None and not isinstance(tool_calls, list):
        found.append(_invalid(m, "tool_calls is not a list"))
        return
    for k, entry in enumerate(tool_call_entries(message)):
        if not isinstance(entry, dict):
            found.append(_invalid(m, "a tool_calls entry is not an object", k))
            continue
        function = entry.get("function")
        name = function.get("name") if isinstance(function, dict) else None
        tool = name if isinstance(name, str) else None
        call_id = entry.get("id")
        if not isinstance(call_id, str) or not call_id:
            found.append(("H007", m, k, "no-id", (("what", "tool call without an id"),)))
            continue
        if call_id in calls:
            first = f"message {calls[call_id][0] + 1}"
            api = chat.API_ERRORS.duplicate_call
            fields = (("call_id", call_id), ("first", first), ("api_error", api))
            found.append(("H003", m, k, "", fields))
            continue
        calls[call_id] = (m, k, tool)
        problem = _arguments_problem(function)
        if problem is not None:
            fields = (("call_id", call_id), ("tool", _tool(tool)), ("problem", problem))
            found.append(("H014", m, k, "", fields))
        if known is not None and tool not in known:
            listed = ", ".join(sorted(known))
            fields = (("call_id", call_id), ("tool", str(tool)), ("known", listed))
            found.append(("H015", m, k, "", fields))


def _arguments_problem(function: Any) -> str | None:
    """Why `function.arguments` is not a string holding a JSON object, or None."""
    if not isinstance(function, dict) or "arguments" not in function:
        return "are missing"
    arguments = function["arguments"]
    if isinstance(arguments, dict):
        return _OBJECT_ARGUMENTS
    if not isinstance(arguments, str):
        return f"are a JSON {_json_type(arguments)}, not a string"
    try:
        held = _decode(arguments)
    except DECODE_ERRORS:
        return "are a string that is not valid JSON"
    if not isinstance(held, dict):
        return f"are a string holding a JSON {_json_type(held)}, not an object"
    return None


_OBJECT_ARGUMENTS = "are a JSON object, not a string holding one"


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object" if isinstance(value, dict) else "value"


def _tool_message(
    message: dict[str, Any],
    m: int,
    run_start: int,
    calls: dict[str, tuple[int, int, str | None]],
    call_ids: dict[str, int],
    answered: dict[str, int],
    found: list[_Pending],
) -> None:
    if not isinstance(message.get("content"), str):
        found.append(_invalid(m, "the content of a tool message is not a string"))
    call_id = message.get("tool_call_id")
    if not isinstance(call_id, str) or not call_id:
        found.append(("H007", m, -1, "no-id", (("what", "tool message without a tool_call_id"),)))
        return
    orphan = chat.API_ERRORS.orphan(Output(call_id, -1, m, "tool"))  # its text names no place
    if call_id not in call_ids:
        found.append(("H002", m, -1, "", (("call_id", call_id), ("api_error", orphan))))
        return
    call = calls.get(call_id)
    if call_id in answered:
        kept = f"message {answered[call_id] + 1}"
        tool = _tool(call[2] if call is not None else None)
        fields = (("call_id", call_id), ("tool", tool), ("kept", kept))
        found.append(("H004", m, -1, "", fields))
        return
    answered[call_id] = m
    if call is None:
        call_at = f"message {call_ids[call_id] + 1}"
        fields = (("call_id", call_id), ("call", call_at), ("api_error", orphan))
        found.append(("H005", m, -1, "", fields))
    elif call[0] != run_start:
        fields = (
            ("call_id", call_id),
            ("call", f"message {call[0] + 1}"),
            ("api_error", _missing(call_id)),
        )
        found.append(("H006", m, -1, "", fields))


# --- where in the line ---------------------------------------------------------------------


def _located(found: list[_Pending], raw: bytes | None) -> tuple[Problem, ...]:
    """The problems with the bytes they cover: the call, else the message, else the line."""
    spans = _Spans(raw)
    return tuple(
        Problem(code, m, variant, fields, *spans.of(m, k), _fixable(code, fields))
        for code, m, k, variant, fields in found
    )


def _fixable(code: str, fields: tuple[tuple[str, str], ...]) -> bool:
    """H001 and H002 are repaired; H014 only when the arguments are an object."""
    if code == "H014":
        return dict(fields).get("problem") == _OBJECT_ARGUMENTS
    return code in ("H001", "H002")


class _Spans:
    """Byte ranges of a line's messages and calls, cut only when a problem asks."""

    def __init__(self, raw: bytes | None) -> None:
        self.raw = raw
        self.messages: list[tuple[int, int]] | None = None
        self.calls: dict[int, list[tuple[int, int]]] = {}

    def of(self, m: int, k: int) -> tuple[int, int]:
        whole = (0, len(self.raw) if self.raw is not None else -1)
        if self.raw is None or m < 0:
            return whole
        if self.messages is None:
            self.messages = element_spans(self.raw, 0, "messages")
        if m >= len(self.messages):
            return whole
        start, end = self.messages[m]
        if k < 0:
            return start, end
        if m not in self.calls:
            self.calls[m] = element_spans(self.raw[start:end], start, "tool_calls")
        in_message = self.calls[m]
        return in_message[k] if k < len(in_message) else (start, end)


def element_spans(data: bytes, offset: int, key: str) -> list[tuple[int, int]]:
    """(start, end) of each element of the array under `key` of the object in `data`."""
    try:
        obj = _decode(data, type=dict[str, msgspec.Raw])
        array = bytes(obj[key]) if key in obj else b""
        elements = _decode(array, type=list[msgspec.Raw]) if array.startswith(b"[") else []
    except (*DECODE_ERRORS, msgspec.ValidationError):
        return []
    spans: list[tuple[int, int]] = []
    cursor = data.find(array, max(0, data.find(b'"%s"' % key.encode())))
    for element in elements:
        chunk = bytes(element)
        pos = data.find(chunk, cursor)
        spans.append((offset + pos, offset + pos + len(chunk)))
        cursor = pos + len(chunk)
    return spans


def synthesize(plan: Plan, call: Call) -> None:
    """No line-level repair yet: the findings of a data set are not offered as fixes."""


DIALECT = Dialect(
    name=NAME,
    what="OpenAI chat fine-tuning data sets (one conversation a line)",
    shape='JSONL of `{"messages": […], "tools"?: […]}`',
    sniff=sniff,
    facts=facts,
    read_line=read_line,
    lines_only=True,
    api=chat.API_ERRORS,
    default_text=chat.DEFAULT_SYNTHETIC_TEXT,
    synthesize=synthesize,
    fix_in_record=lazy_repairs.finetune_fix_in_record,
    record_edits=lazy_repairs.finetune_record_edits,
)
