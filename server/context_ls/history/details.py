"""What a hover shows about a call or an output: decoded on demand from its record only."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

import msgspec

from context_ls.history.dialects import DIALECTS
from context_ls.history.facts import DECODE_ERRORS, get_path
from context_ls.history.model import Call, DialectName, Output
from context_ls.history.stamps import Stamp

SUMMARY_CHARS = 200


@dataclass(slots=True, frozen=True)
class CallDetails:
    tool: str | None
    arguments_summary: str
    timestamp: str | int | float | None


@dataclass(slots=True, frozen=True)
class OutputDetails:
    status: str | None
    size: int  # bytes of the output text
    first_line: str
    timestamp: str | int | float | None
    is_error: bool


def _decode(record: bytes) -> Any:
    try:
        return msgspec.json.decode(record)
    except DECODE_ERRORS:
        return None


def _block(dialect: DialectName | None, value: Any, block: int) -> Any:
    """The part of a record that is the call or output itself."""
    return value if dialect is None else DIALECTS[dialect].subject(value, block)


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1] + "…"


def _as_text(value: Any) -> str:
    """Output content as text: strings as they are, content parts joined."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        parts = []
        for part in value:
            text = get_path(part, "text") if isinstance(part, dict) else part
            parts.append(text if isinstance(text, str) else msgspec.json.encode(part).decode())
        return "\n".join(parts)
    return msgspec.json.encode(value).decode()


def _unwrap_shell_output(text: str) -> str:
    """Codex stores shell results as a JSON string `{"output": …, "metadata": …}`."""
    if text.startswith('{"output"'):
        with contextlib.suppress(*DECODE_ERRORS):
            inner = msgspec.json.decode(text)
            if isinstance(inner, dict) and isinstance(inner.get("output"), str):
                return str(inner["output"])
    return text


def _first_present(block: Any, keys: tuple[str, ...]) -> Any:
    """The value of the first of `keys` the block has (dialects name the same thing apart)."""
    if isinstance(block, dict):
        for key in keys:
            if key in block:
                return block[key]
    return None


def call_details(
    dialect: DialectName | None, record: bytes, call: Call, timestamp: Stamp = None
) -> CallDetails:
    block = _block(dialect, _decode(record), call.block)
    arguments = _first_present(block, ("arguments", "input", "args", "action"))
    if arguments is None and isinstance(block, dict) and isinstance(block.get("function"), dict):
        arguments = block["function"].get("arguments")
    if isinstance(arguments, str):  # Responses and Chat keep arguments as a JSON string
        with contextlib.suppress(*DECODE_ERRORS):
            arguments = msgspec.json.decode(arguments)
    summary = arguments if isinstance(arguments, str) else msgspec.json.encode(arguments).decode()
    return CallDetails(call.tool, _shorten(summary if arguments is not None else ""), timestamp)


def output_details(
    dialect: DialectName | None, record: bytes, output: Output, timestamp: Stamp = None
) -> OutputDetails:
    block = _block(dialect, _decode(record), output.block)
    content = _first_present(block, ("output", "content", "tools", "result"))
    text = _unwrap_shell_output(_as_text(content))
    first = next((line for line in text.splitlines() if line.strip()), "")
    is_error = output.status in ("error", "failed", "timeout") or (
        isinstance(block, dict) and block.get("is_error") is True
    )
    return OutputDetails(
        output.status,
        len(text.encode("utf-8", "surrogatepass")),
        _shorten(first),
        timestamp,
        is_error,
    )
