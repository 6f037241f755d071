"""Passes about what a message holds beyond its pairing, run by `validate`: H008 (an
output's status), H011 (a message that answers tool calls begins with its results), H012
(blank text blocks, which the dialect's reader notes as problems of their records), and
the place of a Gemini call turn (H006). What the dialect requires comes from its
`Dialect` (`statuses`, `results_first`, `nonempty_text`, `api.misplaced_call_turn`).

What stands on abandoned rows (never sent again) is not judged, whatever the dialect.
The latest assistant message stays as it was: the API refuses a change to its thinking
blocks (FORMATS.md 5b), so a blank text block beside them is reported without a fix."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from context_ls.history.dialects import dialect_of
from context_ls.history.items import (
    CONVERSATION_CODES,
    FLAG_ABANDONED,
    KIND_CODES,
    ItemKind,
    Span,
    next_conversation,
)
from context_ls.history.rules import RULES, THINKING_KEPT

if TYPE_CHECKING:
    from context_ls.history.columns import Records
    from context_ls.history.dialects import Dialect
    from context_ls.history.model import Call, History, Output
    from context_ls.history.validate import _Collector

_OUTPUTS = KIND_CODES[ItemKind.OUTPUTS]
# The record problems reported here rather than as they stand (`validate` leaves them).
OWN_PROBLEMS = frozenset({"H012"})


def message_passes(history: History, dialect: Dialect, out: _Collector) -> None:
    """H008, H011, H012 and a Gemini call turn's place, as the dialect requires them."""
    if dialect.statuses is not None:
        statuses(history, dialect.statuses, out)
    if dialect.results_first and history.outputs:
        results_first(history, dialect, out)
    if dialect.nonempty_text and history.problems:
        blank_texts(history, dialect, out)
    if dialect.api.misplaced_call_turn is not None and history.calls:
        call_turns(history, dialect.api.misplaced_call_turn, out)


def results_first(history: History, dialect: Dialect, out: _Collector) -> None:
    """H011: a message holding results has some other block before one of them."""
    suspects = out_of_order(history.outputs)
    if suspects:
        late_results(history, dialect, out, suspects)


def out_of_order(outputs: list[Output]) -> set[int]:
    """The records that may break H011: those with a result past their first block that
    does not follow results in blocks 0, 1, … (a Claude Code result line holds one, first;
    an Anthropic message its results in a row). One pass, no set per record: it runs on
    every keystroke, and a record whose results lead it in a row has nothing to find."""
    suspects: set[int] = set()
    record, expected = -1, 0
    for output in outputs:
        block = output.block
        if output.item != record:
            record, expected = output.item, 0
        if block == expected:  # results 0 … block-1 stand before it
            expected += 1
        elif block > 0:
            suspects.add(record)
    return suspects


def late_results(history: History, dialect: Dialect, out: _Collector, suspects: set[int]) -> None:
    """H011 for `suspects`, the records that may have results after other blocks."""
    rule, api, items = RULES["H011"], dialect.api, history.items
    results: dict[int, set[int]] = {index: set() for index in suspects}
    by_record: dict[int, list[Output]] = {index: [] for index in suspects}
    for output in history.outputs:
        if output.item in suspects:
            results[output.item].add(output.block)
            by_record[output.item].append(output)
    for index, block, what in history.missing_ids:
        if index in suspects and "result" in what:  # a result without a usable id still is one
            results[index].add(block)
    first_call: dict[str, Call] | None = None
    for index in sorted(suspects):
        item = items[index]
        if item.role != "user" or item.abandoned:
            continue
        leading = 0
        while leading in results[index]:
            leading += 1
        late = [output for output in by_record[index] if output.block > leading]
        if not late:
            continue
        output = min(late, key=lambda o: o.block)
        others = sum(1 for block in range(output.block) if block not in results[index])
        before = "1 other block" if others == 1 else f"{others} other blocks"
        if first_call is None:
            first_call = {}
            for each in history.calls:
                first_call.setdefault(each.call_id, each)
        call = first_call.get(output.call_id)
        error = _not_first_error(api.not_adjacent, api.missing_output, output.call_id, call)
        message = rule.message(call_id=output.call_id, before=before, api_error=error)
        out.add("H011", message, index, output.call_id, fixable=True, call=call, output=output)


def _not_first_error(
    not_adjacent: Callable[[str], str] | None,
    missing_output: Callable[[Call], str],
    call_id: str,
    call: Call | None,
) -> str:
    if not_adjacent is not None:
        return not_adjacent(call_id)
    return missing_output(call) if call is not None else ""


def blank_texts(history: History, dialect: Dialect, out: _Collector) -> None:
    """H012, from the problems the reader noted. A blank block beside the thinking blocks
    of the latest assistant message is not removed; one that is its message's only
    content is, when another fix puts results into that message (Anthropic)."""
    rule = RULES["H012"]
    latest: frozenset[int] | None = None
    filled: set[int] | None = None
    for index, problem in history.problems:
        if problem.code != "H012":
            continue
        fields, variant, fixable = dict(problem.fields), problem.variant, problem.fixable
        if variant == "only" and dialect.results_join_reply:
            if filled is None:
                filled = _getting_results(history, out)
            if index in filled:
                variant, fixable = "", True
        text = rule.message(variant, **fields)
        if fixable and fields.get("thinking"):
            if latest is None:
                latest = latest_assistant(history)
            if index in latest:
                fixable, text = False, text + THINKING_KEPT
        line = out.span_of(index)
        end = line.end if problem.end < 0 else line.start + problem.end
        out.add("H012", text, index, fixable=fixable, span=Span(line.start + problem.start, end))


def _getting_results(history: History, out: _Collector) -> set[int]:
    """The messages other fixes put result blocks into: the message right after the turn of
    the call of a synthetic or moved result."""
    items, found = history.items, set()
    dialect = dialect_of(history.dialect)
    for finding in out.findings:
        if finding.fixable and finding.code in ("H001", "H005", "H006") and finding.call:
            # after the call's whole turn (Anthropic: a run of assistant messages)
            reply = next_conversation(items[dialect.anchor(items[finding.call.item])])
            if reply is not None and reply.role == "user":
                found.add(reply.index)
    return found


def latest_assistant(history: History) -> frozenset[int]:
    """The records of the latest assistant message of the main conversation (a Claude Code
    message may be split over several lines of one turn)."""
    items = history.items
    turns, roles = items.turns, items.roles
    last = next(
        (
            row
            for row in range(len(items) - 1, -1, -1)
            if roles[row] == "assistant" and turns[row] >= 0 and items[row].thread == 0
        ),
        None,
    )
    if last is None:
        return frozenset()
    turn, rows = turns[last], {last}
    for row in range(last - 1, -1, -1):
        if turns[row] < 0 or items[row].thread != 0:
            continue
        if turns[row] != turn:
            if turns[row] < turn:
                break
            continue
        if roles[row] == "assistant":
            rows.add(row)
    return frozenset(rows)


def call_turns(history: History, api_error: str, out: _Collector) -> None:
    """H006 (Gemini): a turn of calls must come right after a user turn or a turn of
    function responses. No fix: which turn belongs before it cannot be known."""
    rule, items = RULES["H006"], history.items
    kinds, flags, roles = items.kinds, items.flags, items.roles
    first_of_record: dict[int, Call] = {}
    for each in history.calls:
        first_of_record.setdefault(each.item, each)

    def judged(row: int) -> bool:  # a turn of the conversation that is sent
        return kinds[row] in CONVERSATION_CODES and not flags[row] & FLAG_ABANDONED

    # Only the rows with calls and the turn before each are read (a keystroke in a big
    # history validates it again): each row is stepped over once, back from the next call.
    last_row, last_previous = -1, -1
    for row in sorted(first_of_record):
        previous, back = -1, row - 1
        while back > last_row and not judged(back):
            back -= 1
        if back > last_row:
            previous = back
        elif last_row >= 0:
            previous = last_row if judged(last_row) else last_previous
        last_row, last_previous = row, previous
        if not judged(row) or _answers_to(items, previous):
            continue
        call = first_of_record[row]
        after = (
            "first in the history"
            if previous < 0
            else f"after a {roles[previous] or 'model'} turn ({out.where(previous)})"
        )
        tool = f" ({call.tool})" if call.tool else ""
        message = rule.message(
            "call-turn", call_id=call.call_id, tool=tool, after=after, api_error=api_error
        )
        out.add("H006", message, row, call.call_id, call=call)


def _answers_to(items: Records, previous: int) -> bool:
    """A turn of calls may follow a user turn or a turn of function responses."""
    if previous < 0:
        return False
    return items.roles[previous] in ("user", "function") or items.kinds[previous] == _OUTPUTS


def statuses(history: History, known: tuple[str, ...], out: _Collector) -> None:
    """H008: an output status the dialect does not know."""
    rule, expected, flags = RULES["H008"], ", ".join(known), history.items.flags
    for output in history.outputs:
        if output.status not in known and not flags[output.item] & FLAG_ABANDONED:
            message = rule.message(call_id=output.call_id, status=output.status, statuses=expected)
            out.add("H008", message, output.item, output.call_id, output=output)
