"""The rule registry: each rule is one `Rule` object (`rule.py`: code, name, default
severity, docs, message templates, fix title and fixer from `fixers.py`) and drives the
validator's messages, the normalizer's fixes, `context-ls explain`, the README reference,
LSP `codeDescription`, quick-fix titles and the CLI. A new rule is one object here (and its
check in `validate.py`, or a pass module it runs)."""

from __future__ import annotations

from collections.abc import Mapping

from context_ls.history.fixers import (
    drop_record,
    insert_synthetic_output,
    move_output,
    relink_parent,
    remove_output,
    remove_text_block,
    results_to_front,
)
from context_ls.history.rule import API_ANSWER as API_ANSWER
from context_ls.history.rule import ReaderEffect as ReaderEffect
from context_ls.history.rule import Rule as Rule

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
        "a tool message for Chat Completions, status `canceled` for the native dialect, an "
        "error `toolResult` in the next user message for Bedrock, an error `functionResponse` "
        "in the next user turn for the Gemini API). Gemini CLI gets what it records for a call "
        "it cancelled: status `cancelled` and a `functionResponse` with an error text in the "
        "call's own message (a call it recorded as `success` or `error` keeps that status, "
        "and the text says the result was lost); a JSONL log gets the message's new version "
        "appended. The text is configurable (`syntheticOutputText`).",
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
        "messages directly after the assistant message. Gemini also wants a turn of "
        "function calls right after a user turn or a function response turn.",
        "Anthropic: ``tool_use ids were found without tool_result blocks immediately after``; "
        "Chat Completions: `An assistant message with 'tool_calls' must be followed by tool "
        "messages responding to each 'tool_call_id'.`; Gemini: `Please ensure that function "
        "call turn comes immediately after a user turn or after a function response turn.`",
        "assistant tool_use toolu_A, user text, user tool_result toolu_A",
        "Safe fix: move the output into the message right after its call. A record that "
        "holds nothing else moves whole, byte for byte (a Claude Code line keeps its uuid, "
        "timestamp and `toolUseResult`; only `parentUuid` links change). A Gemini call turn "
        "in the wrong place is reported, never guessed at.",
        messages={
            "": "output of call {call_id} is not in the message right after its call "
            '({call}); the API will answer: "{api_error}"',
            "call-turn": "the turn with call {call_id}{tool} comes {after}, not right after "
            "a user turn or a function response turn; no automatic fix: what the turn "
            'before it should have been cannot be known; the API will answer: "{api_error}"',
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
        "Some agents refuse to load the file, others skip the record silently (Gemini CLI, "
        "Claude Code since 2.1.121) and lose what it held; a call without an id can never "
        "be answered.",
        '{"timestamp":"2026-01-01T00:00:02Z","type":"response_it   (the process was killed)',
        "Safe fix for a truncated last line: drop it. A malformed line in the middle of a "
        "file is reported, never guessed at.",
        messages={
            "": "{where} is not valid JSON{hint}: {error}; an agent refuses the file or skips "
            "the record (Gemini CLI, Claude Code since 2.1.121), and what it held is lost",
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
        "H011",
        "results-not-first",
        "error",
        "Finds a message that answers tool calls but does not begin with its result blocks: "
        "text or another block stands before a tool_result (Anthropic, Claude Code, Bedrock).",
        "The API takes only the results at the front of the message as the answer to the "
        "calls before it, and refuses the request as if they were missing: ``tool_use ids "
        "were found without tool_result blocks immediately after: toolu_…``.",
        '{"role":"user","content":[{"type":"text","text":"Done."},'
        '{"type":"tool_result","tool_use_id":"toolu_A","content":"ok"}]}',
        "Safe fix: move the result blocks to the front of the message, their bytes and their "
        "order unchanged; the other blocks follow in their order, and every other field of "
        "the record stays (a Claude Code line keeps its uuid, `parentUuid` and "
        "`toolUseResult`).",
        messages={
            "": "the result of call {call_id} comes after {before} in this message; a message "
            "that answers tool calls must begin with its results; the API will answer: "
            '"{api_error}"',
        },
        fix_title="Move the results to the front of the message",
        fixer=results_to_front,
    ),
    Rule(
        "H012",
        "empty-text",
        "error",
        "Finds a text block that is empty, or white space only in a message with no other "
        "text (Anthropic, Claude Code, Bedrock).",
        "The API refuses the whole request: `messages: text content blocks must contain "
        "non-whitespace text` (an empty one: `text content blocks must be non-empty`). A hook "
        "or a tool that returned nothing, or a compaction, leaves such blocks behind.",
        '{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_A",'
        '"content":"ok"},{"type":"text","text":"  "}]}',
        "Safe fix: remove the block (a minimal byte edit; the JSON stays valid). A block that "
        "is its message's only content is reported without a fix (the API refuses an empty "
        "message too), and so is one in the latest assistant message beside thinking blocks "
        "(the API refuses any change to them). A Claude Code assistant line of white space "
        "only is no finding: Claude Code writes it at the start of a streamed answer and "
        "leaves it out when it sends the conversation again.",
        messages={
            "": 'the text block at content[{block}] {what}; the API will answer: "{api_error}"',
            "only": "the text block at content[{block}] {what} and is its message's only "
            "content; no automatic fix: removing it would leave the message empty, which the "
            "API refuses too; "
            'the API will answer: "{api_error}"',
        },
        fix_title="Remove the empty text block",
        fixer=remove_text_block,
    ),
    Rule(
        "H013",
        "empty-error-result",
        "error",
        "Bedrock Converse: finds a `toolResult` whose `status` is `error` and whose "
        "`content` is empty.",
        "Bedrock refuses the whole request: `The content field at messages.N.content.M."
        "toolResult cannot be empty when status value is error.` A tool that failed "
        "without a message leaves such a result behind.",
        '{"toolResult":{"toolUseId":"t1","content":[],"status":"error"}}',
        "No automatic fix: what went wrong is not known; give the result a text.",
        messages={
            "": "{where}: the error toolResult of call {call_id} (content[{block}]) has no "
            'content; the API will answer: "{api_error}"',
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

# Appended to a finding whose fix would change the latest assistant message (FORMATS.md 5b).
THINKING_KEPT = (
    "; no automatic fix: it would change the latest assistant message, whose thinking "
    "blocks the API wants exactly as they were in the response"
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
