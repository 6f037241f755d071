"""What each rule's fix asks of a repair plan (`Rule.fixer`). A finding made by hand,
without its call and output, has them looked up by id."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from context_ls.history.findings import Finding
    from context_ls.history.normalize import Plan


def insert_synthetic_output(plan: Plan, finding: Finding) -> None:
    """H001: an output for the call, the way the dialect's own program writes one."""
    call = finding.call or plan.call_of(finding.call_id)
    if call is not None:
        plan.synthesize(call)


def remove_output(plan: Plan, finding: Finding) -> None:
    """H002, H004: the output goes (its block, or its whole record)."""
    output = finding.output or plan.output_at(finding)
    if output is not None:
        plan.remove_output(output)


def move_output(plan: Plan, finding: Finding) -> None:
    """H005, H006: the output goes next to its call."""
    output = finding.output or plan.output_at(finding)
    call = finding.call or (plan.call_of(output.call_id) if output else None)
    if output is not None and call is not None:
        plan.move_output(output, call)


def drop_record(plan: Plan, finding: Finding) -> None:
    """H007: the half-written last record goes."""
    plan.remove_items.add(finding.item)


def relink_parent(plan: Plan, finding: Finding) -> None:
    """H009: the record names the nearest earlier record as its parent."""
    plan.parent_override[finding.item] = plan.previous_uuid(finding.item)


def results_to_front(plan: Plan, finding: Finding) -> None:
    """H011: the message's result blocks go to its front, in their order."""
    plan.results_to_front(finding.item)


def remove_text_block(plan: Plan, finding: Finding) -> None:
    """H012: the blank text block goes (the one the finding covers)."""
    plan.remove_text_block(finding.item, finding.span)
