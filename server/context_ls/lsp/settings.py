"""The `contextLs` settings section, read from initializationOptions,
`workspace/configuration` and `workspace/didChangeConfiguration`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from context_ls.history.api import Options

SECTION = "contextLs"

# Where Codex and Claude Code keep their sessions.
DEFAULT_WATCH_GLOBS: tuple[str, ...] = (
    "~/.codex/sessions/**/*.jsonl",
    "~/.claude/projects/**/*.jsonl",
)
SEVERITIES = frozenset({"error", "warning", "info", "hint", "off"})


@dataclass(frozen=True, slots=True)
class Settings:
    enforce_history_invariants: bool = True
    severity: Mapping[str, str] = field(default_factory=dict)
    synthetic_output_text: Mapping[str, str] = field(default_factory=dict)
    pending_grace_seconds: float = 30.0
    trim_keep: int = 500
    snapshot_retention: int = 20
    watch_globs: tuple[str, ...] = DEFAULT_WATCH_GLOBS

    def options(self, *, pending: bool) -> Options:
        """The engine options for one validation (`pending`: the file is still changing)."""
        return Options(
            enforce_invariants=self.enforce_history_invariants,
            trailing_calls_pending=pending,
            severity={k: ("info" if v == "hint" else v) for k, v in self.severity.items()},
            synthetic_output_text=dict(self.synthetic_output_text),
        )

    def as_json(self) -> dict[str, Any]:
        """The settings as the client spells them (what the context service records)."""
        return {
            "enforceHistoryInvariants": self.enforce_history_invariants,
            "severity": dict(self.severity),
            "syntheticOutputText": dict(self.synthetic_output_text),
            "pendingGraceSeconds": self.pending_grace_seconds,
            "trimKeep": self.trim_keep,
            "snapshots": {"retention": self.snapshot_retention},
            "watch": {"globs": list(self.watch_globs)},
            "sessionGlobs": list(self.watch_globs),
        }

    def session_folders(self) -> list[str]:
        """The fixed folder part of each watch glob (before the first wildcard), expanded."""
        folders: list[str] = []
        for glob in self.watch_globs:
            parts = []
            for part in glob.replace("\\", "/").split("/"):
                if any(ch in part for ch in "*?[{"):
                    break
                parts.append(part)
            folder = os.path.expanduser("/".join(parts))
            if folder and os.path.isabs(folder):
                folders.append(os.path.normpath(folder))
        return folders


def _section(raw: Any) -> Mapping[str, Any]:
    """Accept both `{"contextLs": {...}}` and the bare section."""
    if not isinstance(raw, Mapping):
        return {}
    inner = raw.get(SECTION)
    return inner if isinstance(inner, Mapping) else raw


def _number(value: Any, default: float, low: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return default
    return max(low, float(value))


def parse_settings(raw: Any, base: Settings | None = None) -> Settings:
    """Settings from a client's JSON; unknown keys and wrong types fall back to `base`."""
    base = base or Settings()
    section = _section(raw)
    if not section:
        return base
    enforce = section.get("enforceHistoryInvariants", base.enforce_history_invariants)
    severity = section.get("severity", base.severity)
    synthetic = section.get("syntheticOutputText", base.synthetic_output_text)
    snapshots = section.get("snapshots")
    retention = base.snapshot_retention
    if isinstance(snapshots, Mapping):
        retention = int(_number(snapshots.get("retention"), retention, 1))
    watch = section.get("watch")
    globs = base.watch_globs
    if isinstance(watch, Mapping) and isinstance(watch.get("globs"), list):
        globs = tuple(g for g in watch["globs"] if isinstance(g, str))
    return Settings(
        enforce_history_invariants=enforce if isinstance(enforce, bool) else True,
        severity={
            str(k).upper(): str(v).lower()
            for k, v in (severity.items() if isinstance(severity, Mapping) else ())
            if str(v).lower() in SEVERITIES
        },
        synthetic_output_text={
            str(k): v
            for k, v in (synthetic.items() if isinstance(synthetic, Mapping) else ())
            if isinstance(v, str)
        },
        pending_grace_seconds=_number(
            section.get("pendingGraceSeconds"), base.pending_grace_seconds, 0
        ),
        trim_keep=int(_number(section.get("trimKeep"), base.trim_keep, 1)),
        snapshot_retention=retention,
        watch_globs=globs,
    )
