"""The context service the language server calls: one method per editor event, each
turned into an update of the workspace, user or tool context. No pygls here: `lsp/`
translates LSP messages into these calls, and the CLI can drive it the same way.

Bad input (an unknown event name) raises StateError; store trouble never does: the
contexts stay right in memory and the error goes to `on_error` (once per message).
"""

from __future__ import annotations

import fnmatch
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

from context_ls.context.errors import InvalidState, PersistenceError, StateError
from context_ls.context.feeds import (
    answered_calls,
    classify_status,
    document_summary,
    empty_counts,
    forget_document_pending,
    live_calls,
    merge_document_pending,
    pending_calls,
    start_live_call,
    sum_counts,
    tool_counts,
)
from context_ls.context.manager import ContextManager, ErrorHandler
from context_ls.context.model import ContextConfig, ContextKind, ContextState
from context_ls.context.stores import ContextStore, InMemoryContextStore
from context_ls.context.tracker import ApplyChange, ContextTracker
from context_ls.history.dialects import agent_of, session_globs
from context_ls.secrets import redact

if TYPE_CHECKING:
    from context_ls.history.api import Analysis

__all__ = ["DEFAULT_SESSION_GLOBS", "ContextService", "state_as_json"]

log = logging.getLogger(__name__)

DEFAULT_SESSION_GLOBS = session_globs()
DOCUMENT_EVENTS = ("open", "change", "save", "close")
FILE_CHANGES = ("created", "changed", "deleted")
TOOL_PHASES = ("started", "finished")


def uri_to_path(uri_or_path: str) -> str:
    """A filesystem path for a `file:` URI (or the path itself)."""
    if uri_or_path.startswith("file:"):
        return unquote(urlparse(uri_or_path).path)
    return uri_or_path


def state_as_json(state: ContextState) -> dict[str, Any]:
    """What `show` returns for one context: the data decoded, not base64."""
    try:
        data: Any = state.decoded()
    except ValueError:
        data = {"undecodable": redact(state.data[:200].decode("utf-8", "replace"))}
    return {"version": state.version, "last_updated": state.last_updated, "data": data}


def _redact_values(value: Any) -> Any:
    """Settings with secret-looking strings redacted (users paste keys into settings)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {str(k): _redact_values(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_values(v) for v in value]
    return value


class ContextService:
    """The three contexts, fed by editor events."""

    def __init__(
        self,
        store: ContextStore | None = None,
        *,
        clock: Callable[[], int] | None = None,
        actor: str = "unknown",
        on_error: ErrorHandler | None = None,
        session_globs: list[str] | None = None,
        batch_interval_ms: int = 200,
        manager: ContextManager | None = None,
    ) -> None:
        """On `manager` when given, else on `store` (default: in memory)."""
        self._manager = manager or ContextManager(
            store or InMemoryContextStore(), clock=clock, actor=actor, on_error=on_error
        )
        self._trackers = {
            kind: self._manager.register(
                ContextConfig(kind=kind, batch_interval_ms=batch_interval_ms)
            )
            for kind in ContextKind
        }
        self._session_globs = list(session_globs or DEFAULT_SESSION_GLOBS)

    @classmethod
    def open(
        cls,
        state_dir: Path | str | None = None,
        *,
        actor: str = "unknown",
        session_globs: list[str] | None = None,
        on_error: ErrorHandler | None = None,
    ) -> ContextService:
        """The service on the shared SQLite store; when that cannot be opened, an
        in-memory one (reported to `on_error`), so the server keeps serving."""
        try:
            manager = ContextManager.open_sqlite(state_dir, actor=actor, on_error=on_error)
        except PersistenceError as exc:
            log.warning("%s", redact(str(exc)))
            if on_error is not None:
                on_error(exc)
            return cls(actor=actor, on_error=on_error, session_globs=session_globs)
        return cls(manager=manager, session_globs=session_globs)

    # -- plumbing --------------------------------------------------------------------------

    @property
    def manager(self) -> ContextManager:
        return self._manager

    def tracker(self, kind: ContextKind) -> ContextTracker:
        return self._trackers[kind]

    def _update(self, kind: ContextKind, change: ApplyChange, summary: str) -> None:
        """Apply a change; a result the context refuses (too big, …) is reported, not raised."""
        try:
            self._trackers[kind].update(change, summary=summary)
        except InvalidState as exc:
            self._manager.report(exc)

    def _is_session_file(self, path: str) -> bool:
        """Matches a session glob; `**/` also matches no folder at all, as in a shell."""
        for glob in self._session_globs:
            pattern = os.path.expanduser(glob)
            if fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(path, pattern.replace("**/", "")):
                return True
        return False

    # -- user context ----------------------------------------------------------------------

    def on_initialize(
        self,
        *,
        client_name: str | None,
        client_version: str | None,
        locale: str | None,
        trace: str | None,
        settings: dict[str, Any],
        folders: list[str],
    ) -> None:
        if client_name and self._manager.actor == "unknown":
            self._manager.actor = client_name
        self._apply_session_settings(settings)
        client = {"name": client_name, "version": client_version}

        def set_user(data: dict[str, Any]) -> dict[str, Any]:
            data.update(client=client, locale=locale, trace=trace)
            data["settings"] = _redact_values(settings)
            return data

        self._update(ContextKind.USER, set_user, f"initialize from {client_name or 'a client'}")
        self._update(
            ContextKind.WORKSPACE,
            lambda data: {**data, "folders": list(dict.fromkeys(folders))},
            f"initialize with {len(folders)} folder(s)",
        )
        self._update(
            ContextKind.TOOL,
            lambda data: {**data, "session_globs": list(self._session_globs)},
            "session folders",
        )

    def on_configuration(self, settings: dict[str, Any]) -> None:
        self._apply_session_settings(settings)
        self._update(
            ContextKind.USER,
            lambda data: {**data, "settings": _redact_values(settings)},
            "configuration changed",
        )
        self._update(
            ContextKind.TOOL,
            lambda data: {**data, "session_globs": list(self._session_globs)},
            "session folders",
        )

    def _apply_session_settings(self, settings: dict[str, Any]) -> None:
        globs = settings.get("sessionGlobs")
        folders = settings.get("sessionFolders")
        chosen: list[str] = []
        if isinstance(globs, list):
            chosen += [g for g in globs if isinstance(g, str)]
        if isinstance(folders, list):
            chosen += [f"{f.rstrip('/')}/**/*.jsonl" for f in folders if isinstance(f, str)]
        if chosen:
            self._session_globs = list(dict.fromkeys(chosen))

    # -- workspace context -----------------------------------------------------------------

    def on_folders_changed(self, added: list[str], removed: list[str]) -> None:
        def change(data: dict[str, Any]) -> dict[str, Any]:
            folders = [f for f in data.get("folders", []) if f not in removed]
            data["folders"] = list(dict.fromkeys(folders + added))
            return data

        self._update(ContextKind.WORKSPACE, change, f"folders +{len(added)} -{len(removed)}")

    def on_document(
        self, uri: str, event: str, version: int | None, analysis: Analysis | None
    ) -> None:
        """A history document was opened, changed, saved or closed (with its validation)."""
        if event not in DOCUMENT_EVENTS:
            raise StateError(
                f"Unknown document event {event!r}; expected one of {DOCUMENT_EVENTS}."
            )
        now = self._manager.clock()
        tracked = analysis is not None and analysis.dialect is not None
        if event == "close" or not tracked:
            self._forget_document(uri, event)
            return
        assert analysis is not None
        summary = document_summary(analysis)
        entry = {**summary, "version": version, "event": event, "updated": now}
        total_findings = sum(summary["findings"].values())

        def workspace(data: dict[str, Any]) -> dict[str, Any]:
            data.setdefault("documents", {})[uri] = entry
            data["last_validation"] = {"uri": uri, "time": now, "findings": total_findings}
            return data

        self._update(ContextKind.WORKSPACE, workspace, f"{event} {uri}")
        counts = tool_counts(analysis)
        pending = pending_calls(analysis)
        agent = summary["dialect"]
        document_path = uri_to_path(uri)

        def in_session(session: str) -> bool:
            """A tool event may name the session by URI or by path."""
            return session == uri or uri_to_path(session) == document_path

        def tool(data: dict[str, Any]) -> dict[str, Any]:
            data.setdefault("documents", {})[uri] = {"agent": agent, "tools": counts}
            agents = data.setdefault("agents", {})
            agents[agent] = {**agents.get(agent, {}), "last_seen": now}
            known = data.get("pending", {})
            data["pending"] = merge_document_pending(
                known,
                session=uri,
                in_session=in_session,
                found=pending,
                answered=answered_calls(analysis, live_calls(known, in_session)),
                now=now,
            )
            return self._retotal(data)

        self._update(ContextKind.TOOL, tool, f"{event} {uri}: {len(pending)} pending")

    def _forget_document(self, uri: str, event: str) -> None:
        def workspace(data: dict[str, Any]) -> dict[str, Any]:
            data.setdefault("documents", {}).pop(uri, None)
            return data

        def tool(data: dict[str, Any]) -> dict[str, Any]:
            data.setdefault("documents", {}).pop(uri, None)
            data["pending"] = forget_document_pending(data.get("pending", {}), uri)
            return self._retotal(data)

        self._update(ContextKind.WORKSPACE, workspace, f"{event} {uri}")
        self._update(ContextKind.TOOL, tool, f"{event} {uri}")

    @staticmethod
    def _retotal(data: dict[str, Any]) -> dict[str, Any]:
        """Per-tool totals: the open documents' counts plus the tool events'."""
        parts = [doc.get("tools", {}) for doc in data.get("documents", {}).values()]
        data["tools"] = sum_counts([*parts, data.get("events", {})])
        return data

    # -- tool context ----------------------------------------------------------------------

    def on_watched_file(self, path: str, change: str) -> None:
        """Files under the session folders become (or stop being) followed sessions."""
        if change not in FILE_CHANGES:
            raise StateError(f"Unknown file change {change!r}; expected one of {FILE_CHANGES}.")
        file_path = uri_to_path(path)
        if not self._is_session_file(file_path):
            return
        now = self._manager.clock()
        agent = agent_of(file_path)

        def tool(data: dict[str, Any]) -> dict[str, Any]:
            sessions = data.setdefault("sessions", {})
            if change == "deleted":
                sessions.pop(file_path, None)
                return data
            sessions[file_path] = {"agent": agent, "change": change, "time": now}
            if agent is not None:
                agents = data.setdefault("agents", {})
                agents[agent] = {**agents.get(agent, {}), "last_seen": now}
            return data

        self._update(ContextKind.TOOL, tool, f"session {change}: {file_path}")

    def on_tool_event(
        self, session: str, call_id: str, tool: str, phase: str, status: str | None
    ) -> None:
        """`contextLs/toolEvent`: an agent started or finished a tool call."""
        if phase not in TOOL_PHASES:
            raise StateError(f"Unknown tool event phase {phase!r}; expected one of {TOOL_PHASES}.")
        for name, value in (("call_id", call_id), ("session", session), ("tool", tool)):
            if not isinstance(value, str) or not value:
                raise StateError(
                    f"A tool event needs a {name} (a non-empty string), not {value!r}."
                )
        if status is not None and not isinstance(status, str):
            raise StateError(f"A tool event's status is a string or null, not {status!r}.")
        now = self._manager.clock()

        def change(data: dict[str, Any]) -> dict[str, Any]:
            events = data.setdefault("events", {})
            counts = events.setdefault(tool, empty_counts())
            pending = data.setdefault("pending", {})
            if phase == "started":
                counts["calls"] += 1
                data["pending"] = start_live_call(
                    pending, session=session, call_id=call_id, tool=tool, now=now
                )
            else:
                pending.pop(call_id, None)
                outcome = classify_status(status)
                if outcome is not None:
                    counts[outcome] += 1
            return self._retotal(data)

        self._update(ContextKind.TOOL, change, f"{tool} {phase} {call_id} {status or ''}")

    # -- activation, display, life cycle ----------------------------------------------------

    def activate(self, uri: str | None) -> None:
        """The active context follows the focused editor (None: nothing focused)."""
        if uri:
            self._manager.activate_context(uri)
        else:
            self._manager.deactivate_context()

    def show(self) -> dict[str, Any]:
        shown: dict[str, Any] = {
            kind.value: state_as_json(self._trackers[kind].get_state()) for kind in ContextKind
        }
        shown["active"] = self._manager.get_active_context()
        return shown

    def flush(self) -> None:
        """Write every pending change now (errors go to `on_error`)."""
        self._manager.flush()

    def close(self) -> None:
        self._manager.close()
