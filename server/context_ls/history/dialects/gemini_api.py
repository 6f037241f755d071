"""Gemini API `contents`: `functionCall` parts of a model turn answered by
`functionResponse` parts of the next turn, paired by `id`, or else by name and order.

Parts without an id get one made up once every record is in (`turns`): a call is named by
its place (`contents[3].parts[1]`), so made-up ids never repeat across turns, and a
response without an id takes the id of the call of its name and rank in the turn before
(the first `get_weather` response answers the first `get_weather` call). Repairs are in
`gemini_api_fix.py`."""

from __future__ import annotations

from array import array
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from context_ls.history.dialects import gemini_api_fix as fix
from context_ls.history.dialects.base import ApiErrors, Dialect
from context_ls.history.facts import (
    OTHER,
    CallFact,
    OutputFact,
    RecordFacts,
    get_path,
    message_kind,
    str_or_none,
    usable_id,
)
from context_ls.history.model import Call, History, Output

NAME = "gemini-api"
DEFAULT_SYNTHETIC_TEXT = fix.DEFAULT_SYNTHETIC_TEXT
COUNT_ERROR = (
    "Please ensure that the number of function response parts is equal to the number of "
    "function call parts of the function call turn."
)
MISPLACED_CALL_TURN = (
    "Please ensure that function call turn comes immediately after a user turn or after a "
    "function response turn."
)
# "function": the role older SDKs gave a turn of function responses (the API now wants "user").
ROLES = ("user", "model", "function")
_MARKS = ("functionCall", "functionResponse", "thoughtSignature", "inlineData", "fileData")
# Request-body keys whose array is a Gemini history (`/chat save` writes `history`).
_KEYS = ("contents", "history")


def sniff(value: Any) -> int:
    """A content: `{"role": "user"|"model", "parts": [...]}`; a model role or a part of
    Gemini's own kinds is its mark."""
    if not isinstance(value, dict) or not isinstance(value.get("parts"), list):
        return 0
    role = value.get("role")
    if role not in (*ROLES, None):
        return 0
    parts = value["parts"]
    if any(isinstance(p, dict) and any(k in p for k in _MARKS) for p in parts):
        return 3
    return 2 if role == "model" else 1


def claims_document(key: str | None, detected: str | None, sample: Sequence[Any]) -> bool:
    """A body under `contents` (or a `/chat save` checkpoint's `history`) whose contents
    all fit is Gemini's even when no content carries a mark yet (a first user turn)."""
    return key in _KEYS and detected in (None, NAME) and bool(sample) and all(map(sniff, sample))


def facts(value: Any) -> RecordFacts:
    if not isinstance(value, dict):
        return OTHER
    parts = value.get("parts")
    role = value.get("role", "user")  # the API takes a content without a role as the user's
    if not isinstance(parts, list) or role not in ROLES:
        return OTHER
    calls: list[CallFact] = []
    outputs: list[OutputFact] = []
    missing: list[tuple[int, str]] = []
    for index, part in enumerate(parts):
        call = part.get("functionCall") if isinstance(part, dict) else None
        response = part.get("functionResponse") if isinstance(part, dict) else None
        if isinstance(call, dict):
            call_id, name = usable_id(call.get("id")), str_or_none(call.get("name")) or None
            if call_id is not None:
                calls.append(CallFact(call_id, index, fix.CALL, name))
            elif name is not None:
                calls.append(CallFact(name, index, fix.CALL_BY_NAME, name))
            else:
                missing.append((index, "functionCall part without an id or a name"))
        elif isinstance(response, dict):
            call_id, name = usable_id(response.get("id")), str_or_none(response.get("name"))
            body = response.get("response")
            status = "error" if isinstance(body, dict) and "error" in body else None
            if call_id is not None:
                outputs.append(OutputFact(call_id, index, fix.RESPONSE, status))
            elif name:
                outputs.append(OutputFact(name, index, fix.RESPONSE_BY_NAME + name, status))
            else:
                missing.append((index, "functionResponse part without an id or a name"))
    only_results = bool(parts) and len(outputs) == len(parts)
    return RecordFacts(
        message_kind(tuple(calls), tuple(outputs)),
        role=role,
        calls=tuple(calls),
        outputs=tuple(outputs),
        missing_ids=tuple(missing),
        only_results=only_results,
    )


# --- pairing parts that carry no id -------------------------------------------------------


def turns(history: History) -> None:
    """One turn a content; then the parts without an id get theirs (see the module)."""
    from context_ls.history.turns import sequential_turns  # it imports the registry

    items = history.items
    items.turns = array("q", sequential_turns(items.kinds))
    if any(c.kind == fix.CALL_BY_NAME for c in history.calls) or any(
        o.kind != fix.RESPONSE for o in history.outputs
    ):
        _pair_by_name(history)


def made_up_id(item: int, block: int) -> str:
    """The id of a part that has none: its place, unique in the history."""
    return f"contents[{item}].parts[{block}]"


def _pair_by_name(history: History) -> None:
    """Made-up ids, settled from the facts alone (a re-read of some lines gives the same):
    a call's from its place, a response's from the call of its name and rank among the
    calls of the turn before that no response of this turn answers by id."""
    turn_of = history.items.turns
    calls: list[Call] = []
    by_turn: dict[int, list[Call]] = defaultdict(list)
    for call in history.calls:
        if call.kind == fix.CALL_BY_NAME:
            call = Call(
                made_up_id(call.item, call.block), call.item, call.block, call.kind, call.tool
            )
        calls.append(call)
        by_turn[turn_of[call.item]].append(call)
    history.calls = calls
    outputs: list[Output] = []
    start = 0
    all_outputs = history.outputs
    while start < len(all_outputs):
        item = all_outputs[start].item
        end = start
        while end < len(all_outputs) and all_outputs[end].item == item:
            end += 1
        outputs.extend(_paired(all_outputs[start:end], by_turn.get(turn_of[item] - 1, [])))
        start = end
    history.outputs = outputs


def _paired(outputs: list[Output], previous: list[Call]) -> list[Output]:
    """The outputs of one record, those without an id given the id of their call."""
    if all(o.kind == fix.RESPONSE for o in outputs):
        return outputs
    by_id = {o.call_id for o in outputs if o.kind == fix.RESPONSE}
    candidates: dict[str | None, list[str]] = defaultdict(list)
    for call in previous:
        if call.kind == fix.CALL_BY_NAME or call.call_id not in by_id:
            candidates[call.tool].append(call.call_id)
    rank: dict[str, int] = defaultdict(int)
    paired: list[Output] = []
    for out in outputs:
        if out.kind != fix.RESPONSE:
            name = out.kind[len(fix.RESPONSE_BY_NAME) :]
            n = rank[name]
            rank[name] += 1
            ids = candidates.get(name, [])
            call_id = ids[n] if n < len(ids) else made_up_id(out.item, out.block)
            out = Output(call_id, out.item, out.block, out.kind, out.status)
        paired.append(out)
    return paired


def subject(value: Any, block: int) -> Any:
    """The `functionCall` of a call part; a response's `functionResponse`, its `response`
    shown as the output (hovers)."""
    part = get_path(value, "parts", block)
    if not isinstance(part, dict):
        return part
    if isinstance(part.get("functionCall"), dict):
        return part["functionCall"]
    response = part.get("functionResponse")
    if isinstance(response, dict):
        return {**response, "output": response.get("response")}
    return part


DIALECT = Dialect(
    name=NAME,
    what="Gemini API `generateContent`",
    shape='`{"contents": […]}` or array of contents',
    sniff=sniff,
    facts=facts,
    claims_document=claims_document,
    subject=subject,
    turns=turns,
    content_path=fix.PARTS,
    api=ApiErrors(
        missing_output=lambda call: COUNT_ERROR,
        orphan=lambda call_id: COUNT_ERROR,
        duplicate_call=f"Gemini pairs responses by id, then answers: {COUNT_ERROR}",
        not_adjacent=lambda call_id: COUNT_ERROR,
        misplaced_call_turn=MISPLACED_CALL_TURN,
    ),
    adjacency=True,
    default_text=DEFAULT_SYNTHETIC_TEXT,
    synthesize=fix.synthesize,
    deliver_block=fix.deliver_block,
    keep_whole=fix.settle_moves,
    record_edits=fix.record_edits,
    move_titles={
        "blocks": "Move the response of {call_id} into the turn after its call "
        "(the turn it leaves keeps its other parts)",
    },
    first_role="user",
)
