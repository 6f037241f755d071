"""Trimming: keep the last N conversation records, never splitting a call from its output."""

from __future__ import annotations

from context_ls.history.dialects import dialect_of
from context_ls.history.edits import plan_edits
from context_ls.history.items import CONVERSATION
from context_ls.history.model import History, ItemKind, TextEdit
from context_ls.history.normalize import Plan


def trim_cut(history: History, keep: int) -> int:
    """Index of the first item kept. Records before the first conversation record (session
    headers) are always kept; the cut moves later until no kept output lost its call (and
    no kept call lost an output that stood before it), and, when the dialect says which
    role starts a conversation (Anthropic: the user), until the kept part starts with it.
    When that leaves a request body empty (no user message after the cut: an empty
    `messages` is no request), the cut goes back to the last user message before it (or
    else the last place that can start it), keeping more than `keep`."""
    conversation = history.items.rows_of(CONVERSATION)
    if keep < 0:
        raise ValueError("keep must be zero or more")
    if len(conversation) <= keep:
        return 0
    if not keep:
        return _settled(history, len(history.items))
    wanted = conversation[len(conversation) - keep]
    cut = _settled(history, wanted)
    if cut <= conversation[-1] or not history.document:
        return cut  # (a log may keep nothing: it is no request)
    items = history.items
    earlier = [row for row in reversed(conversation) if row < wanted]
    prompts = [row for row in earlier if items[row].kind is ItemKind.MESSAGE]
    for start in [row for row in prompts if items[row].role == "user"] + earlier:
        if _settled(history, start) == start:
            return start
    return 0  # no place to start at: nothing is trimmed


def _settled(history: History, cut: int) -> int:
    """The first place at or after `cut` where the kept part splits no pair, no message,
    and starts with the dialect's first role."""
    # Pairs on abandoned rows hold the cut back too: a kept result of an abandoned call
    # whose line goes would be read as live (and orphan) once its parent is gone.
    first_call: dict[str, int] = {}
    for call in history.calls:
        first_call.setdefault(call.call_id, call.item)
    outputs_by_id: dict[str, list[int]] = {}
    for output in history.outputs:
        outputs_by_id.setdefault(output.call_id, []).append(output.item)
    first_role = dialect_of(history.dialect).first_role
    moved = True
    while moved and cut < len(history.items):
        moved = False
        for output in history.outputs:
            call_item = first_call.get(output.call_id)
            if output.item >= cut and call_item is not None and call_item < cut:
                cut, moved = output.item + 1, True
        for call in history.calls:
            if call.item >= cut and any(o < cut for o in outputs_by_id.get(call.call_id, ())):
                cut, moved = call.item + 1, True
        if first_role is not None:
            start = _starts_with(history, cut, first_role)
            cut, moved = start, moved or start != cut
        whole = _whole_message(history, cut)
        cut, moved = whole, moved or whole != cut
    return cut


def _whole_message(history: History, cut: int) -> int:
    """Move the cut past the rest of a message it would split (a Claude Code answer is
    several lines of one turn): a kept part of the latest assistant message would have lost
    thinking blocks the API wants as they were, and a part of a message is not one."""
    items = history.items
    before = next((i for i in items.views(range(cut - 1, -1, -1)) if i.kind in CONVERSATION), None)
    if before is None or before.turn < 0:
        return cut
    end = cut
    for item in items.views(range(cut, len(items))):
        if item.kind not in CONVERSATION or item.thread != before.thread:
            continue
        if item.turn == before.turn:
            end = item.index + 1  # its results may stand between its lines
        elif item.turn > before.turn + 1:
            break
    return end


def _first_conversation(history: History) -> int:
    """Where trimming may start: after headers, and after the leading messages the dialect
    keeps (Chat: the system and developer instructions stay)."""
    kept = dialect_of(history.dialect).leading_roles
    for item in history.items:
        if item.kind in CONVERSATION and item.role not in kept:
            return item.index
    return len(history.items)


def _starts_with(history: History, cut: int, role: str) -> int:
    """Move the cut on to a message from `role` (a message that only carries tool results
    cannot start a conversation either)."""
    items = history.items
    while cut < len(items) and not (
        items[cut].kind is ItemKind.MESSAGE and items[cut].role == role
    ):
        cut += 1
    return cut


def trim_plan(history: History, data: bytes, keep: int) -> Plan:
    plan = Plan(history, data, {})
    cut = trim_cut(history, keep)
    if cut == 0:
        return plan
    first = _first_conversation(history)
    plan.remove_items.update(range(first, cut))
    return plan


def trim_edits_for(history: History, data: bytes, keep: int) -> list[TextEdit]:
    """The edits that trim a history: the dialect's own way for a log it rewrites
    (`Dialect.trim`), else the records before the cut removed."""
    if keep < 0:
        raise ValueError("keep must be zero or more")
    own = dialect_of(history.dialect).trim
    if own is not None and not history.document:
        return own(history, data, keep)
    return plan_edits(trim_plan(history, data, keep))
