"""The repairs of Gemini CLI sessions and fine-tuning data sets, each importing its module
(`gemini_cli_fix`, `gemini_cli_trim`, `finetune_fix`) when a repair is made: reading and
checking make none, and `check` starts ~2 ms sooner without them (JSON, regexes, classes).
The dialects name these functions in their `DIALECT`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from context_ls.history.findings import Finding
    from context_ls.history.model import Call, History, TextEdit
    from context_ls.history.normalize import Plan


def gemini_cli_note_missing(plan: Plan, call: Call) -> None:
    from context_ls.history.dialects import gemini_cli_fix

    gemini_cli_fix.note_missing(plan, call)


def gemini_cli_fix_in_record(plan: Plan, finding: Finding) -> None:
    from context_ls.history.dialects import gemini_cli_fix

    gemini_cli_fix.fix(plan, finding)


def gemini_cli_record_edits(plan: Plan) -> list[TextEdit]:
    from context_ls.history.dialects import gemini_cli_fix

    return gemini_cli_fix.edits(plan)


def gemini_cli_trim(history: History, data: bytes, keep: int) -> list[TextEdit]:
    from context_ls.history.dialects import gemini_cli_trim

    return gemini_cli_trim.trim_edits(history, data, keep)


def finetune_fix_in_record(plan: Plan, finding: Finding) -> None:
    from context_ls.history.dialects import finetune_fix

    finetune_fix.fix(plan, finding)


def finetune_record_edits(plan: Plan) -> list[TextEdit]:
    from context_ls.history.dialects import finetune_fix

    return finetune_fix.edits(plan)
