"""Gemini API `contents`: `functionCall` parts of a model turn answered by
`functionResponse` parts of the next turn, paired by `id`, or else by name and order.
Both spellings proto3 JSON takes are read (`functionCall`, `function_call`).

Parts without an id get one made up once every record is in (`turns`). The responses in the
user turns after a call turn (up to the next model turn) answer its calls by name and rank
(the first `get_weather` response the first `get_weather` call); those not in the turn right
after it are then out of place (H006: Gemini counts that one turn, it merges none). A response whose id no
call has answers an id-less call the same way: until 2026-05 the Gemini CLI sent calls
without ids and made up ids for their responses. An id-less call with no such response is
named by its place, so made-up ids never repeat across turns. Repairs are in
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
from context_ls.history.items import KIND_CODES, ItemKind
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
# proto3 JSON parsers take the field names in snake_case too (google-genai writes them so).
_MARKS = (
    *("functionCall", "functionResponse", "thoughtSignature", "inlineData", "fileData"),
    *("function_call", "function_response", "thought_signature", "inline_data", "file_data"),
)
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
        call, response = fix.part_call(part), fix.part_response(part)
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
                kind = fix.RESPONSE_WITH_ID + (name or "")
                outputs.append(OutputFact(call_id, index, kind, status))
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
        o.kind.startswith(fix.RESPONSE_BY_NAME) for o in history.outputs
    ):
        pair_by_name(history)


def made_up_id(item: int, block: int) -> str:
    """The id of a part that has none: its place, unique in the history. The content is
    named by its index in the file's array, whose key (`contents`, `history` or none) the
    facts do not hold, so no key is named."""
    return f"turn {item}, part {block}"


def pair_by_name(history: History) -> None:
    """Made-up ids, settled from the facts alone (a re-read of some lines gives the same):
    the ids of id-less parts are never read, as those a re-read copies are already settled.

    The responses of the user turns after a call turn answer it (`_Run`). An id-less call
    answered by a response whose id no call has takes that id (the CLI made it up); any
    other id-less call is named by its place; an id-less response takes the id of its call,
    or else its own place."""
    items = history.items
    real_ids = {c.call_id for c in history.calls if c.kind == fix.CALL}
    answered = {o.call_id for o in history.outputs if fix.carries_id(o.kind)} & real_ids
    calls_of: dict[int, list[int]] = defaultdict(list)  # item -> indexes in history.calls
    for n, call in enumerate(history.calls):
        calls_of[call.item].append(n)
    outputs_of: dict[int, list[int]] = defaultdict(list)
    for n, out in enumerate(history.outputs):
        outputs_of[out.item].append(n)
    pairs: dict[int, int] = {}  # index in history.outputs -> index in history.calls
    run: _Run | None = None
    calls_code = KIND_CODES[ItemKind.CALLS]
    for item in sorted(calls_of.keys() | outputs_of.keys()):
        if run is not None and not _user_turns_between(items, run.last, item):
            run = None
        if run is not None:
            for n in outputs_of.get(item, ()):
                run.answer(n, history.outputs[n], real_ids, pairs)
        if items.kinds[item] == calls_code:
            run = _Run(item, calls_of[item], [history.calls[n] for n in calls_of[item]], answered)
        elif items.roles[item] not in fix.REPLY_ROLES:
            run = None
        if run is not None:
            run.last = item
    _settle(history, pairs)


def _user_turns_between(items: Any, first: int, last: int) -> bool:
    """Only user turns stand between records `first` and `last`: responses in `last` may
    still answer the call turn a run began with (what lies after `first` goes by once)."""
    turns, roles = items.turns, items.roles
    return all(turns[at] < 0 or roles[at] in fix.REPLY_ROLES for at in range(first + 1, last))


class _Run:
    """A call turn the user turns after it answer: its calls left to pair, by name."""

    def __init__(self, item: int, indexes: list[int], calls: list[Call], answered: set[str]):
        self.last = item
        self.free: dict[str | None, list[tuple[int, bool]]] = defaultdict(list)
        for n, call in zip(indexes, calls, strict=True):
            id_less = call.kind == fix.CALL_BY_NAME
            if id_less or call.call_id not in answered:
                self.free[call.tool].append((n, id_less))

    def answer(self, n: int, out: Output, real_ids: set[str], pairs: dict[int, int]) -> None:
        """Pair output `n` with the first free call of its name (an id-less call only, when
        the output carries an id the file's calls lack)."""
        by_name = out.kind.startswith(fix.RESPONSE_BY_NAME)
        if not by_name and out.call_id in real_ids:
            return
        free = self.free.get(fix.response_name(out.kind))
        for k, (call, id_less) in enumerate(free or ()):
            if by_name or id_less:
                pairs[n] = call
                del free[k]  # type: ignore[union-attr]
                return


def _settle(history: History, pairs: dict[int, int]) -> None:
    """The ids `pairs` (output -> call) give to parts without one."""
    given: dict[int, str] = {}  # call -> the response id it takes
    taken: set[str] = set()
    for n, c in pairs.items():
        out = history.outputs[n]
        if not out.kind.startswith(fix.RESPONSE_BY_NAME) and out.call_id not in taken:
            given[c] = out.call_id
            taken.add(out.call_id)
    calls: list[Call] = []
    for c, call in enumerate(history.calls):
        if call.kind == fix.CALL_BY_NAME:
            call_id = given.get(c) or made_up_id(call.item, call.block)
            call = Call(call_id, call.item, call.block, call.kind, call.tool)
        calls.append(call)
    history.calls = calls
    outputs: list[Output] = []
    for n, out in enumerate(history.outputs):
        if out.kind.startswith(fix.RESPONSE_BY_NAME):
            paired = pairs.get(n)
            call_id = (
                calls[paired].call_id if paired is not None else made_up_id(out.item, out.block)
            )
            out = Output(call_id, out.item, out.block, out.kind, out.status)
        outputs.append(out)
    history.outputs = outputs


def subject(value: Any, block: int) -> Any:
    """The `functionCall` of a call part; a response's `functionResponse`, its `response`
    shown as the output (hovers)."""
    part = get_path(value, "parts", block)
    call, response = fix.part_call(part), fix.part_response(part)
    if isinstance(call, dict):
        return call
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
        orphan=lambda output: COUNT_ERROR,
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
