"""Finding messages: what is wrong, and the error the API will answer with."""

from __future__ import annotations

from context_ls.history.model import Call, DialectName


def api_error_missing_output(dialect: DialectName | None, call: Call) -> str:
    if dialect in ("anthropic", "claude-code"):
        return f"`tool_use` ids were found without `tool_result` blocks immediately after: {call.call_id}"
    if dialect == "openai-chat":
        return (
            "An assistant message with 'tool_calls' must be followed by tool messages responding "
            "to each 'tool_call_id'. The following tool_call_ids did not have response messages: "
            f"{call.call_id}"
        )
    if dialect == "native":
        return "every tool_call needs a tool_output; readers of the native format stop here"
    what = "custom tool call" if call.kind == "custom_tool_call" else "function call"
    return f"No tool output found for {what} {call.call_id}."


def api_error_orphan(dialect: DialectName | None, call_id: str) -> str:
    if dialect in ("anthropic", "claude-code"):
        return f"unexpected `tool_use_id` found in `tool_result` blocks: {call_id}"
    if dialect == "openai-chat":
        return (
            "Invalid parameter: messages with role 'tool' must be a response to a preceeding "
            "message with 'tool_calls'."
        )
    if dialect == "native":
        return "a tool_output must answer a tool_call"
    return f"No tool call found for function call output with call_id {call_id}."


def api_error_not_adjacent(dialect: DialectName | None, call_id: str) -> str:
    if dialect == "openai-chat":
        return api_error_missing_output(dialect, Call(call_id, -1, -1, "tool_call"))
    return f"`tool_use` ids were found without `tool_result` blocks immediately after: {call_id}"


def api_error_duplicate_call(dialect: DialectName | None) -> str:
    if dialect in ("anthropic", "claude-code"):
        return "Anthropic answers: `tool_use` ids must be unique"
    if dialect == "native":
        return "readers of the native format pair the first call only"
    return "the API pairs outputs with calls by id, so one of the two calls goes unanswered"


def tool_label(call: Call) -> str:
    return f" ({call.tool})" if call.tool else ""
