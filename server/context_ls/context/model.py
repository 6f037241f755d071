"""The values of the context system: states, snapshots, kinds, configuration, audit entries.

attrs classes, frozen so a state handed out can never change under its holder; cattrs
turns them into plain dicts (for `show`, settings and logs) and back.
"""

from __future__ import annotations

import base64
import enum
import json
from typing import Any

import attrs
import cattrs

from context_ls.context.snapshots import ContextSnapshot

__all__ = [
    "DEFAULT_MAX_SIZE",
    "AuditEntry",
    "ContextConfig",
    "ContextKind",
    "ContextSnapshot",
    "ContextState",
    "converter",
    "decode_data",
    "encode_data",
]

DEFAULT_MAX_SIZE = 1_000_000  # bytes: contexts are summaries, not transcripts
EMPTY_DATA = b"{}"


class ContextKind(str, enum.Enum):
    """The three contexts the server keeps."""

    WORKSPACE = "workspace"
    USER = "user"
    TOOL = "tool"


@attrs.frozen
class ContextState:
    """One version of a context. `data` is UTF-8 JSON (an object)."""

    version: int
    last_updated: int  # ms since the epoch
    data: bytes = EMPTY_DATA

    @classmethod
    def initial(cls) -> ContextState:
        return cls(version=0, last_updated=0, data=EMPTY_DATA)

    def decoded(self) -> dict[str, Any]:
        return decode_data(self.data)


@attrs.frozen
class AuditEntry:
    """One accepted update, as the audit table keeps it (summary already redacted)."""

    time: int
    context: str
    version: int
    actor: str
    summary: str


@attrs.frozen
class ContextConfig:
    """How one tracker behaves. The defaults suit a language server."""

    kind: ContextKind = ContextKind.WORKSPACE
    context_id: str | None = None  # None: the kind's name
    max_size: int = DEFAULT_MAX_SIZE
    batch_interval_ms: int = (
        200  # at most one store write per context per interval; 0: write at once
    )
    sync_retries: int = 5
    sync_backoff_ms: int = 20  # doubled per retry, with jitter
    snapshot_retention: int = 20

    @property
    def id(self) -> str:
        return self.context_id or self.kind.value


def encode_data(value: dict[str, Any]) -> bytes:
    """Canonical JSON: sorted keys, no spaces, so equal contexts have equal bytes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def decode_data(data: bytes) -> dict[str, Any]:
    """The JSON object in `data` (ValueError when it is not one)."""
    value = json.loads(data) if data else {}
    if not isinstance(value, dict):
        raise ValueError(f"context data must be a JSON object, not {type(value).__name__}")
    return value


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter()
    conv.register_unstructure_hook(bytes, lambda b: base64.b64encode(b).decode("ascii"))
    conv.register_structure_hook(bytes, lambda v, _: base64.b64decode(v))
    return conv


converter = _make_converter()
