"""The rule registry: each rule is one `Rule` object (code, name, default severity, docs,
message templates, fix title and fixer, defined just above the rules) and drives the
validator's messages, the normalizer's fixes, `context-ls explain`, the README reference, LSP `codeDescription`,
quick-fix titles and the CLI. A new rule is one object here (and its check in
`validate.py`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from context_ls.history.findings import Severity

if TYPE_CHECKING:
    from context_ls.history.findings import Finding
    from context_ls.history.normalize import Plan


# How a message quotes the API's answer to a broken history (its templates end so).
API_ANSWER = '; the API will answer: "{api_error}"'


class ReaderEffect(str):
    """The `api_error` text of a dialect no provider's API reads (the native one): what goes
    wrong for the program that reads the file. A message says it as such, never quoted as
    an answer (see `Rule.message`)."""


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    name: str
    severity: Severity
    summary: str
    why: str
    example: str
    fix: str
    # What a finding says: "" the usual message, other keys its variants. Fields in
    # braces are filled in by the check (`message`).
    messages: Mapping[str, str] = field(default_factory=dict)
    # The title of its quick fix ({call_id}: the call it is about); None: "Fix CODE (name)".
    fix_title: str | None = None
    # What its fix asks of a repair plan; None: no automatic fix.
    fixer: Callable[[Plan, Finding], None] | None = field(default=None, repr=False)
    # A fix that moves an output: where to (move titles say it).
    moves_to: str | None = None

    def message(self, variant: str = "", **fields: Any) -> str:
        """A finding's message from its template (a `ReaderEffect` is not quoted as an API's
        answer)."""
        template = self.messages[variant]
        if isinstance(fields.get("api_error"), ReaderEffect):
            template = template.replace(API_ANSWER, "; {api_error}")
        return template.format(**fields)

    @property
    def anchor(self) -> str:
        """The README heading anchor of this rule's section (GitHub slug of `H001 missing-output`)."""
        return f"{self.code.lower()}-{self.name}"

    @property
    def url(self) -> str:
        """This rule's section of the rule page (`context_ls.docs`: shipped, or public)."""
        from context_ls.docs import rules_page_url

        return f"{rules_page_url()}#{self.anchor}"

    def explain(self) -> str:
        """The rule's documentation as `context-ls explain` prints it (Markdown)."""
        return (
            f"# {self.code} {self.name}\n\n"
            f"Default severity: {self.severity}\n\n"
            f"## What it does\n{self.summary}\n\n"
            f"## Why is this bad?\n{self.why}\n\n"
            f"## Example\n{self.example}\n\n"
            f"## Fix\n{self.fix}\n"
        )


# --- what each rule's fix asks of a repair plan (a finding made by hand, without its call
# and output, has them looked up by id) ------------------------------------------------


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


_RULES = (
    Rule(
        "H001",
        "missing-output",
        "error",
        "Finds a tool call that has no output anywhere in the history.",
        "Every call must be answered before the history is sent again. The APIs refuse it:\n"
        "OpenAI: `No tool output found for function call call_….`; Anthropic: "
        "``tool_use ids were found without tool_result blocks immediately after: toolu_…``;\n"
        "Chat Completions: `An assistant message with 'tool_calls' must be followed by tool "
        "messages responding to each 'tool_call_id'.` The session cannot be resumed.",
        '{"type":"function_call","name":"shell","arguments":"{}","call_id":"call_A"}\n'
        "(no function_call_output with call_id call_A follows)",
        "Safe fix: insert a synthetic output right after the call, the way Codex does itself "
        "(`aborted` for Codex/Responses, an `is_error` tool_result for Anthropic and Claude Code, "
        "a tool message for Chat Completions, status `canceled` for the native dialect). "
        "The text is configurable (`syntheticOutputText`).",
        messages={
            "": 'call {call_id}{tool} has no output; the API will answer: "{api_error}"',
            "pending": "call {call_id}{tool} is waiting for output",
        },
        fix_title="Insert a synthetic output for {call_id}",
        fixer=insert_synthetic_output,
    ),
    Rule(
        "H002",
        "orphan-output",
        "error",
        "Finds a tool output whose call id matches no call in the history.",
        "An output must answer a call. OpenAI: `No tool call found for function call output "
        "with call_id call_….`; Anthropic: ``unexpected `tool_use_id` found in `tool_result` "
        "blocks: toolu_…``; Chat Completions: `messages with role 'tool' must be a response "
        "to a preceeding message with 'tool_calls'.`",
        '{"type":"function_call_output","call_id":"call_gone","output":"ok"}  (no call_gone call)',
        "Safe fix: remove the orphan output (the snapshot taken before the write keeps it).",
        messages={
            "": "output names call {call_id}, which no call has; the API will answer: "
            '"{api_error}"',
        },
        fix_title="Remove the orphan output {call_id}",
        fixer=remove_output,
    ),
    Rule(
        "H003",
        "duplicate-call-id",
        "error",
        "Finds two tool calls that share one id.",
        "Outputs are matched to calls by id, so a shared id makes the pairing ambiguous. "
        "Anthropic answers ``messages.N.content.M: `tool_use` ids must be unique``.",
        "Two function_call records with call_id call_A.",
        "No automatic fix: which call the outputs belong to cannot be known. Rename one id by hand.",
        messages={
            "": "call id {call_id} is used by another call ({first}); outputs cannot be "
            "matched: {api_error}",
        },
    ),
    Rule(
        "H004",
        "duplicate-output",
        "error",
        "Finds a call that has more than one output.",
        "The APIs expect exactly one output per call; extra outputs are refused or confuse "
        "the model. Codex keeps only the first.",
        "Two function_call_output records with call_id call_A.",
        "Safe fix: keep the first output, remove the later ones.",
        messages={
            "": "call {call_id}{tool} has more than one output; the first ({kept}) is kept",
        },
        fix_title="Remove the duplicate output of {call_id}",
        fixer=remove_output,
    ),
    Rule(
        "H005",
        "output-before-call",
        "error",
        "Finds an output that comes before its call.",
        "The API reads the history in order: an output before its call is an output without "
        "a call (`No tool call found for function call output with call_id call_….`) and the "
        "call later is a call without an output.",
        "function_call_output call_A … then function_call call_A",
        "Safe fix: move the output right after its call (its bytes unchanged).",
        messages={
            "": "output of call {call_id} comes before its call ({call}); the API will "
            'answer: "{api_error}"',
        },
        fix_title="Move the output of {call_id} right after its call",
        fixer=move_output,
        moves_to="right after its call",
    ),
    Rule(
        "H006",
        "output-not-adjacent",
        "error",
        "Finds an output that is not where its dialect requires: Anthropic and Claude Code "
        "want the tool_result in the very next message; Chat Completions wants the tool "
        "messages directly after the assistant message.",
        "Anthropic: ``tool_use ids were found without tool_result blocks immediately after``; "
        "Chat Completions: `An assistant message with 'tool_calls' must be followed by tool "
        "messages responding to each 'tool_call_id'.`",
        "assistant tool_use toolu_A, user text, user tool_result toolu_A",
        "Safe fix: move the output into the message right after its call. A record that "
        "holds nothing else moves whole, byte for byte (a Claude Code line keeps its uuid, "
        "timestamp and `toolUseResult`; only `parentUuid` links change).",
        messages={
            "": "output of call {call_id} is not in the message right after its call "
            '({call}); the API will answer: "{api_error}"',
        },
        fix_title="Move the output of {call_id} next to its call",
        fixer=move_output,
        moves_to="next to its call",
    ),
    Rule(
        "H007",
        "malformed-record",
        "error",
        "Finds a line or item that is not valid JSON (such as the half-written last line "
        "a crash leaves), and calls or outputs that carry no id.",
        "Agents refuse to load the file or drop the record silently; a call without an id "
        "can never be answered.",
        '{"timestamp":"2026-01-01T00:00:02Z","type":"response_it   (the process was killed)',
        "Safe fix for a truncated last line: drop it. A malformed line in the middle of a "
        "file is reported, never guessed at.",
        messages={
            "": "{where} is not valid JSON{hint}: {error}; agents refuse to load the file",
            "no-id": "{what}: it can never be paired with its partner",
            "not-conversation": "{where} is not a conversation ({error}); a data set line "
            'is one object with a "messages" list',
        },
        fix_title="Drop the truncated line",
        fixer=drop_record,
    ),
    Rule(
        "H008",
        "invalid-status",
        "warning",
        "Native dialect: finds a tool output whose status is not one of success, failed, "
        "canceled, timeout.",
        "Consumers of the native format branch on the status; an unknown one is treated "
        "as a failure or crashes the reader.",
        '{"type":"tool_output","call_id":"c1","status":"done","content":"…"}',
        "No automatic fix: the right status cannot be guessed.",
        messages={
            "": "output of call {call_id} has status {status!r}; expected one of {statuses}",
        },
    ),
    Rule(
        "H009",
        "broken-parent-link",
        "error",
        "Claude Code: finds a line whose `parentUuid` names a uuid that is not in the file. "
        "A sub-agent file's first lines may name lines of the session that launched it: "
        "those links are checked against `<session>.jsonl` beside its `subagents/` folder, "
        "and left alone when that file is not there.",
        "Claude Code rebuilds the conversation by following `parentUuid`; a broken link cuts "
        "the conversation and breaks `--resume`.",
        '{"type":"user","uuid":"b","parentUuid":"gone", …}',
        "Safe fix: re-link the line to the line before it.",
        messages={
            "": "parentUuid {parent} names a line that {where}; Claude Code cuts the "
            "conversation here and `--resume` loses everything before it",
        },
        fix_title="Re-link the parent to the previous line",
        fixer=relink_parent,
    ),
    Rule(
        "H010",
        "secret-in-history",
        "warning",
        "Finds values that look like secrets (API keys, bearer tokens, private keys) in a history.",
        "Transcripts are shared, attached to bug reports and synced; a leaked key is a "
        "leaked account.",
        '"output": "OPENAI_API_KEY=sk-proj-…"',
        "No automatic fix: rotate the key, then remove it from the file.",
        messages={
            "": "this looks like {article} {kind}: transcripts get shared and synced; "
            "rotate the key and remove it from the history",
        },
    ),
    Rule(
        "H014",
        "invalid-arguments",
        "error",
        "Finds a tool call whose `function.arguments` is not a string holding a JSON object "
        "(fine-tuning data sets).",
        "The API sends and expects arguments as a JSON string; a data set whose arguments are "
        "an object, or a string that is not a JSON object, is rejected at upload or teaches "
        "the model to emit arguments it cannot parse.",
        '"function": {"name": "get_price", "arguments": {"ticker": "MSFT"}}',
        "Arguments that are a JSON object become the string that holds them; a string that "
        "is not a JSON object is reported, never guessed at.",
        messages={
            "": "arguments of call {call_id}{tool} {problem}; the API expects a string "
            "holding a JSON object",
        },
    ),
    Rule(
        "H015",
        "unknown-tool",
        "error",
        "Finds a tool call naming a function that is not in its line's `tools` (fine-tuning "
        "data sets whose lines list their tools).",
        "The model is taught to call a function it is never offered: at best a wasted "
        "example, at worst calls to a tool that does not exist.",
        '{"tools": [{"type": "function", "function": {"name": "get_price"}}], '
        '"messages": [… {"tool_calls": [{"function": {"name": "get_prices"}}]}]}',
        "No automatic fix: add the function to `tools` or rename the call; a name is never "
        "guessed at.",
        messages={
            "": "call {call_id} names function {tool!r}, which is not in this line's tools "
            "({known})",
        },
    ),
    Rule(
        "H016",
        "invalid-message",
        "error",
        "Finds a message the fine-tuning upload rejects: not an object, a role it does not "
        "know, a tool message whose content is not a string.",
        "The upload of the whole file fails (OpenAI names the line and message; Azure says "
        "only that the file contains invalid schema).",
        '{"role": "tool", "tool_call_id": "call_1", "content": {"price": 420}}',
        "No automatic fix: the message is reported, never guessed at.",
        messages={
            "": "{problem}",
        },
    ),
)

RULES: dict[str, Rule] = {rule.code: rule for rule in _RULES}
RULES_BY_NAME: dict[str, Rule] = {rule.name: rule for rule in _RULES}


# A move of a whole record, in dialects that do not say more (`Dialect.move_titles`).
_MOVE_TITLE = "Move the output of {call_id} {where} (the whole record, byte for byte)"


def fix_template(code: str) -> str:
    """The title of a rule's quick fix, with `{call_id}` to fill in."""
    rule = RULES.get(code)
    if rule is None:
        return f"Fix {code}"
    return rule.fix_title or f"Fix {code} ({rule.name})"


def move_title(code: str, titles: Mapping[str, str], how: str, call_id: str) -> str:
    """The title of a move (H005/H006): `how` is "record" (the whole record moves) or
    "blocks" (blocks leave a record that stays); `titles`: the dialect's own."""
    template = titles.get(how) or _MOVE_TITLE
    return template.format(call_id=call_id, where=RULES[code].moves_to or "next to its call")


def get_rule(code_or_name: str) -> Rule | None:
    """Look a rule up by code (`H001`, case-insensitive) or name (`missing-output`)."""
    key = code_or_name.strip()
    return RULES.get(key.upper()) or RULES_BY_NAME.get(key.lower())


def reference_markdown() -> str:
    """The README's rule reference: one anchored section per rule, from this registry."""
    parts = []
    for rule in RULES.values():
        parts.append(
            f"### {rule.code} {rule.name}\n\n"
            f"Default severity: **{rule.severity}**\n\n"
            f"**What it does.** {rule.summary}\n\n"
            f"**Why is this bad?** {rule.why}\n\n"
            f"**Example.**\n\n```\n{rule.example}\n```\n\n"
            f"**Fix.** {rule.fix}\n"
        )
    return "\n".join(parts)
