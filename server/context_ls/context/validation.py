"""Is a context state well formed? Data must be a JSON object whose known keys have the
types the service writes, under the size limit, and versions never go back. Checked on
every update and on load, so a bad state is refused before it spreads to the store."""

from __future__ import annotations

from typing import Any

from context_ls.context.errors import InvalidState
from context_ls.context.model import DEFAULT_MAX_SIZE, ContextKind, ContextState, decode_data

__all__ = ["KNOWN_KEYS", "validate_state"]

# Known top-level keys per kind and the JSON type each must have; others are allowed.
KNOWN_KEYS: dict[ContextKind, dict[str, type | tuple[type, ...]]] = {
    ContextKind.WORKSPACE: {
        "folders": list,
        "documents": dict,
        "last_validation": (dict, type(None)),
        "active": (str, type(None)),
    },
    ContextKind.USER: {
        "client": dict,
        "locale": (str, type(None)),
        "trace": (str, type(None)),
        "settings": dict,
    },
    ContextKind.TOOL: {
        "agents": dict,
        "tools": dict,
        "documents": dict,
        "events": dict,
        "sessions": dict,
        "session_globs": list,
        "pending": dict,
    },
}

_JSON_TYPE_NAMES = {dict: "an object", list: "an array", str: "a string", type(None): "null"}


def _type_names(expected: type | tuple[type, ...]) -> str:
    types = expected if isinstance(expected, tuple) else (expected,)
    return " or ".join(_JSON_TYPE_NAMES.get(t, t.__name__) for t in types)


def validate_state(
    state: ContextState,
    kind: ContextKind,
    *,
    previous: ContextState | None = None,
    max_size: int = DEFAULT_MAX_SIZE,
) -> dict[str, Any]:
    """The decoded data of a valid state; InvalidState saying what to fix otherwise."""
    if state.version < 0:
        raise InvalidState(f"The {kind.value} context has a negative version ({state.version}).")
    if previous is not None and state.version < previous.version:
        raise InvalidState(
            f"The {kind.value} context would go back from version {previous.version} "
            f"to {state.version}; versions only go up."
        )
    if len(state.data) > max_size:
        raise InvalidState(
            f"The {kind.value} context is {len(state.data):,} bytes, over the "
            f"{max_size:,}-byte limit; keep contexts to summaries."
        )
    try:
        value = decode_data(state.data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidState(f"The {kind.value} context data is not a JSON object: {exc}.") from exc
    for key, expected in KNOWN_KEYS.get(kind, {}).items():
        if key in value and not isinstance(value[key], expected):
            raise InvalidState(
                f"The {kind.value} context key {key!r} must be {_type_names(expected)}, "
                f"not {type(value[key]).__name__}."
            )
    return value
