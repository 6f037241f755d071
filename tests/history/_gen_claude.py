"""Claude Code lines for the generators in `_gen`: the event renderer in both styles (2.0
one chain, 2.1 results hanging off their call's line) and a builder for hand-written lines."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Event = tuple[str, Any]


CC_BASE = {
    "isSidechain": False,
    "userType": "external",
    "cwd": "/Users/dev/proj",
    "sessionId": "5f2b8c1e-9a47-4d3b-8e61-0c7d2a9f4b15",
    "version": "2.0.14",
    "gitBranch": "main",
}


def cc_line(
    uuid: str, parent: str | None, kind: str, content: object, mid: str | None = None, **extra: Any
) -> dict[str, Any]:
    """One hand-written Claude Code line, for cases the event renderer cannot express."""
    message: dict[str, Any] = {"role": kind, "content": content}
    if mid:
        message["id"] = mid
    return {
        "parentUuid": parent,
        **CC_BASE,
        "type": kind,
        "message": message,
        "uuid": uuid,
        **extra,
    }


def _claude_code(events: Sequence[Event], style: str = "2.0") -> list[Any]:
    """Claude Code lines chained by parentUuid. `style` "2.0": one linear chain, each line
    the child of the one before. "2.1" (FORMATS.md 5b): each result line hangs off its own
    call's line and names it (`sourceToolAssistantUUID`), carries a `toolUseResult`, and the
    next line hangs off the last result written; hook lines are `progress` lines."""
    modern = style == "2.1"
    lines: list[Any] = [{"type": "summary", "summary": "a session", "leafUuid": "x"}]
    parent: str | None = None
    counter = 0
    call_lines: dict[str, str] = {}  # call id -> uuid of the line that holds its tool_use

    def line(kind: str, message: dict[str, Any], **extra: Any) -> str:
        nonlocal parent, counter
        counter += 1
        uuid = f"00000000-0000-4000-8000-{counter:012d}"
        lines.append(
            {
                "parentUuid": extra.pop("parent", parent),
                **CC_BASE,
                "type": kind,
                "message": message,
                "uuid": uuid,
                "timestamp": f"2025-10-08T09:14:{counter % 60:02d}.000Z",
                **extra,
            }
        )
        parent = uuid
        return uuid

    for n, (kind, body) in enumerate(events):
        if kind == "system":  # a hook/system line chained into the conversation
            counter += 1
            uuid = f"00000000-0000-4000-8000-{counter:012d}"
            if modern:
                lines.append(
                    {
                        "parentUuid": parent,
                        **CC_BASE,
                        "type": "progress",
                        "data": {"type": "hook_progress", "hookEvent": "PostToolUse"},
                        "uuid": uuid,
                        "timestamp": f"2025-10-08T09:14:{counter % 60:02d}.000Z",
                    }
                )
            else:
                lines.append(
                    {
                        "parentUuid": parent,
                        **CC_BASE,
                        "type": "system",
                        "subtype": "informational",
                        "content": body,
                        "isMeta": False,
                        "uuid": uuid,
                        "level": "info",
                    }
                )
            parent = uuid
        elif kind == "user":
            line("user", {"role": "user", "content": body})
        elif kind == "assistant":
            line(
                "assistant",
                {
                    "id": f"msg_{n:04d}",
                    "role": "assistant",
                    "content": [{"type": "text", "text": body}],
                },
            )
        elif kind == "calls":
            # One API reply split over several lines with one message.id: text, then a tool_use a line.
            line(
                "assistant",
                {
                    "id": f"msg_{n:04d}",
                    "role": "assistant",
                    "content": [{"type": "text", "text": "Looking."}],
                },
            )
            for c in body:
                block = {"type": "tool_use", "id": c, "name": "Bash", "input": {"command": "ls"}}
                call_lines[c] = line(
                    "assistant", {"id": f"msg_{n:04d}", "role": "assistant", "content": [block]}
                )
        elif kind == "outputs":
            for c in body:  # consecutive result lines, one tool_result each
                message = {
                    "role": "user",
                    "content": [{"tool_use_id": c, "type": "tool_result", "content": "ok"}],
                }
                if modern and c in call_lines:
                    line(
                        "user",
                        message,
                        parent=call_lines[c],
                        toolUseResult={"stdout": "ok", "stderr": "", "interrupted": False},
                        sourceToolAssistantUUID=call_lines[c],
                    )
                else:
                    line("user", message)
    return lines
