"""ContextService: each editor event shows up in `show()` with the version increased."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from context_ls.context.cli import show_context
from context_ls.context.database import DB_FILENAME
from context_ls.context.errors import ContextError, PersistenceError, StateError
from context_ls.context.model import ContextKind
from context_ls.context.service import ContextService
from context_ls.history.api import Analysis
from context_ls.history.findings import Finding
from context_ls.history.model import Call, History, ItemKind, Output, Records

from .fakes import FakeClock

NEVER = 3_600_000


def make_analysis(*, pending: bool = False, synthetic: bool = False) -> Analysis:
    """A small Codex history: two shell calls (one failed), one canceled apply_patch,
    one synthetic output, and either a dangling call or one still pending."""
    records = [
        b'{"type":"function_call","call_id":"c1","name":"shell"}',
        b'{"type":"function_call_output","call_id":"c1","output":"ok"}',
        b'{"type":"function_call","call_id":"c2","name":"shell"}',
        b'{"type":"function_call_output","call_id":"c2","output":"boom"}',
        b'{"type":"custom_tool_call","call_id":"c3","name":"apply_patch"}',
        b'{"type":"custom_tool_call_output","call_id":"c3","output":"%s"}'
        % (b"aborted" if synthetic else b"stopped by the user"),
        b'{"type":"function_call","call_id":"c4","name":"shell"}',
    ]
    data = b"\n".join(records) + b"\n"
    items, offset = Records(), 0
    for index, record in enumerate(records):
        kind = ItemKind.CALLS if b'_call"' in record else ItemKind.OUTPUTS
        items.append(offset, offset + len(record), index, 0, kind, *[None] * 6, False, 0)
        offset += len(record) + 1
    history = History(
        dialect="codex",
        items=items,
        calls=[
            Call("c1", 0, -1, "function_call", "shell"),
            Call("c2", 2, -1, "function_call", "shell"),
            Call("c3", 4, -1, "custom_tool_call", "apply_patch"),
            Call("c4", 6, -1, "function_call", "shell"),
        ],
        outputs=[
            Output("c1", 1, -1, "function_call_output", None),
            Output("c2", 3, -1, "function_call_output", "failed"),
            Output("c3", 5, -1, "custom_tool_call_output", "canceled"),
        ],
        size=len(data),
    )
    last = items[-1].span
    finding = Finding(
        "H001", "dangling-call", "error", "no output", last, 6, call_id="c4", pending=pending
    )
    return Analysis(data=data, history=history, findings=[finding])


@pytest.fixture
def service(clock: FakeClock) -> Any:
    svc = ContextService(clock=clock, actor="unknown", batch_interval_ms=NEVER)
    yield svc
    svc.close()


def versions(svc: ContextService) -> dict[str, int]:
    shown = svc.show()
    return {k: shown[k]["version"] for k in ("workspace", "user", "tool")}


def test_initialize_fills_user_and_workspace(service: ContextService) -> None:
    service.on_initialize(
        client_name="Neovim",
        client_version="0.11",
        locale="en",
        trace="off",
        settings={"severity": {"H001": "warning"}, "apiKey": "sk-proj-" + "a" * 30},
        folders=["/w/one", "/w/two"],
    )
    shown = service.show()
    assert shown["user"]["data"]["client"] == {"name": "Neovim", "version": "0.11"}
    assert shown["user"]["data"]["locale"] == "en"
    assert shown["user"]["data"]["settings"]["severity"] == {"H001": "warning"}
    assert shown["user"]["data"]["settings"]["apiKey"] == "[REDACTED:openai-key]"
    assert shown["workspace"]["data"]["folders"] == ["/w/one", "/w/two"]
    assert service.manager.actor == "Neovim"
    assert shown["active"] is None


def test_each_event_increases_the_right_version(service: ContextService, clock: FakeClock) -> None:
    before = versions(service)
    service.on_configuration({"trailingCallsPending": True})
    assert versions(service)["user"] == before["user"] + 1

    before = versions(service)
    service.on_folders_changed(added=["/w/new"], removed=[])
    after = versions(service)
    assert after["workspace"] == before["workspace"] + 1
    assert service.show()["workspace"]["data"]["folders"] == ["/w/new"]

    for event in ("open", "change", "save"):
        before = versions(service)
        clock.advance(10)
        service.on_document("file:///w/new/a.jsonl", event, 3, make_analysis())
        after = versions(service)
        assert after["workspace"] == before["workspace"] + 1
        assert after["tool"] == before["tool"] + 1
    doc = service.show()["workspace"]["data"]["documents"]["file:///w/new/a.jsonl"]
    assert doc == {
        "dialect": "codex",
        "records": 7,
        "calls": 4,
        "findings": {"H001": 1},
        "pending": 0,
        "version": 3,
        "event": "save",
        "updated": clock.now,
    }
    assert service.show()["workspace"]["data"]["last_validation"]["findings"] == 1

    before = versions(service)
    service.on_document("file:///w/new/a.jsonl", "close", None, None)
    after = versions(service)
    assert after["workspace"] == before["workspace"] + 1
    assert service.show()["workspace"]["data"]["documents"] == {}


def test_tool_counts_from_validation(service: ContextService) -> None:
    service.on_document("file:///w/a.jsonl", "open", 1, make_analysis())
    tool = service.show()["tool"]["data"]
    assert tool["tools"] == {
        "apply_patch": {"calls": 1, "failures": 0, "cancellations": 1, "synthetic_outputs": 0},
        "shell": {"calls": 3, "failures": 1, "cancellations": 0, "synthetic_outputs": 0},
    }
    assert "codex" in tool["agents"]
    assert tool["pending"] == {}


def test_synthetic_outputs_are_counted(service: ContextService) -> None:
    analysis = make_analysis(synthetic=True)  # Codex's own synthetic output says "aborted"
    service.on_document("file:///w/a.jsonl", "open", 1, analysis)
    counts = service.show()["tool"]["data"]["tools"]["apply_patch"]
    assert counts["synthetic_outputs"] == 1


def test_pending_calls_keep_their_since_and_leave_on_close(
    service: ContextService, clock: FakeClock
) -> None:
    service.on_document("file:///w/a.jsonl", "open", 1, make_analysis(pending=True))
    first_seen = clock.now
    clock.advance(500)
    service.on_document("file:///w/a.jsonl", "change", 2, make_analysis(pending=True))
    pending = service.show()["tool"]["data"]["pending"]
    assert pending == {
        "c4": {
            "tool": "shell",
            "since": first_seen,
            "session": "file:///w/a.jsonl",
            "source": "document",
        }
    }
    assert service.show()["workspace"]["data"]["documents"]["file:///w/a.jsonl"]["pending"] == 1
    service.on_document("file:///w/a.jsonl", "close", None, None)
    assert service.show()["tool"]["data"]["pending"] == {}


def test_tool_events(service: ContextService, clock: FakeClock) -> None:
    before = versions(service)["tool"]
    service.on_tool_event("s1", "k1", "shell", "started", None)
    assert versions(service)["tool"] == before + 1
    tool = service.show()["tool"]["data"]
    assert tool["pending"]["k1"] == {
        "tool": "shell",
        "since": clock.now,
        "session": "s1",
        "source": "event",
    }
    service.on_tool_event("s1", "k1", "shell", "finished", "error")
    service.on_tool_event("s1", "k2", "shell", "started", None)
    service.on_tool_event("s1", "k2", "shell", "finished", "cancelled")
    tool = service.show()["tool"]["data"]
    assert tool["pending"] == {}
    assert tool["tools"]["shell"] == {
        "calls": 2,
        "failures": 1,
        "cancellations": 1,
        "synthetic_outputs": 0,
    }
    with pytest.raises(StateError, match="Unknown tool event phase"):
        service.on_tool_event("s1", "k3", "shell", "paused", None)


DOC = "file:///w/a.jsonl"


def test_a_live_call_outlives_the_analyses_of_its_open_session(
    service: ContextService, clock: FakeClock
) -> None:
    """Issue 13: an analysis replaces the document's own pending calls, not the live ones."""
    service.on_tool_event(DOC, "k9", "shell", "started", None)
    started = clock.now
    clock.advance(100)
    for version, event in enumerate(("open", "change", "save"), start=1):
        service.on_document(DOC, event, version, make_analysis(pending=True))
        pending = service.show()["tool"]["data"]["pending"]
        assert pending["k9"] == {
            "tool": "shell",
            "since": started,
            "session": DOC,
            "source": "event",
        }
        assert pending["c4"]["source"] == "document"
    # The document without its trailing call: c4 goes, the live call stays.
    service.on_document(DOC, "change", 4, make_analysis())
    assert set(service.show()["tool"]["data"]["pending"]) == {"k9"}
    # Closing the editor does not end the agent's call; "finished" does.
    service.on_document(DOC, "close", None, None)
    assert set(service.show()["tool"]["data"]["pending"]) == {"k9"}
    service.on_tool_event(DOC, "k9", "shell", "finished", None)
    assert service.show()["tool"]["data"]["pending"] == {}


@pytest.mark.parametrize("session", [DOC, "/w/a.jsonl"])
def test_a_live_call_goes_when_the_document_shows_its_output(
    service: ContextService, session: str
) -> None:
    """The "finished" event may never come (a crashed client): the output in the
    document ends the call too, whether the event named the session by URI or by path."""
    service.on_tool_event(session, "c2", "shell", "started", None)
    service.on_tool_event(session, "k9", "shell", "started", None)
    service.on_tool_event("another-session", "c3", "apply_patch", "started", None)
    service.on_document(DOC, "open", 1, make_analysis())  # has outputs for c1, c2, c3
    pending = service.show()["tool"]["data"]["pending"]
    assert set(pending) == {"k9", "c3"}  # c3 is another session's call
    assert service.show()["tool"]["data"]["events"]["shell"]["calls"] == 2


def test_a_started_event_for_a_pending_call_keeps_its_since(
    service: ContextService, clock: FakeClock
) -> None:
    service.on_document(DOC, "open", 1, make_analysis(pending=True))
    first_seen = clock.now
    clock.advance(300)
    service.on_tool_event(DOC, "c4", "shell", "started", None)
    entry = service.show()["tool"]["data"]["pending"]["c4"]
    assert entry == {"tool": "shell", "since": first_seen, "session": DOC, "source": "event"}
    # Finished before the agent wrote the output: the next analysis says what the
    # document still shows, a call waiting for its output.
    service.on_tool_event(DOC, "c4", "shell", "finished", None)
    assert service.show()["tool"]["data"]["pending"] == {}
    clock.advance(10)
    service.on_document(DOC, "change", 2, make_analysis(pending=True))
    assert service.show()["tool"]["data"]["pending"]["c4"]["source"] == "document"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((None, "k1", "shell", "started", None), "needs a session"),
        (("s", "", "shell", "started", None), "needs a call_id"),
        (("s", 5, "shell", "started", None), "needs a call_id"),
        (("s", "k1", None, "started", None), "needs a tool"),
        (("s", "k1", "shell", "finished", 7), "status is a string or null"),
    ],
)
def test_malformed_tool_events_are_refused_clearly(
    service: ContextService, args: tuple[Any, ...], message: str
) -> None:
    before = service.show()["tool"]
    with pytest.raises(StateError, match=message):
        service.on_tool_event(*args)
    assert service.show()["tool"] == before


def test_watched_session_files(service: ContextService, tmp_path: Path) -> None:
    service.on_configuration({"sessionFolders": [str(tmp_path / ".codex" / "sessions")]})
    session = tmp_path / ".codex" / "sessions" / "2026" / "11" / "rollout-1.jsonl"
    service.on_watched_file(str(session), "created")
    sessions = service.show()["tool"]["data"]["sessions"]
    assert sessions[str(session)]["agent"] == "codex"
    top_level = tmp_path / ".codex" / "sessions" / "rollout-0.jsonl"
    service.on_watched_file(str(top_level), "changed")
    assert str(top_level) in service.show()["tool"]["data"]["sessions"]
    service.on_watched_file(str(top_level), "deleted")
    before = versions(service)["tool"]
    service.on_watched_file(str(tmp_path / "elsewhere.jsonl"), "created")
    assert versions(service)["tool"] == before  # not a session folder: ignored
    service.on_watched_file(session.as_uri(), "deleted")
    assert service.show()["tool"]["data"]["sessions"] == {}


def test_bad_document_event(service: ContextService) -> None:
    with pytest.raises(StateError, match="Unknown document event"):
        service.on_document("file:///a", "rename", 1, None)


def test_activation_follows_the_focused_editor(service: ContextService) -> None:
    service.activate("file:///w/a.jsonl")
    assert service.show()["active"] == "file:///w/a.jsonl"
    service.activate(None)
    assert service.show()["active"] is None


def test_oversized_update_is_reported_not_raised(clock: FakeClock) -> None:
    reported: list[ContextError] = []
    svc = ContextService(clock=clock, on_error=reported.append, batch_interval_ms=NEVER)
    svc.on_configuration({"huge": "x" * 1_100_000})
    assert svc.show()["user"]["version"] == 0
    assert "over the 1,000,000-byte limit" in str(reported[0])
    svc.close()


def test_persisted_service_and_cli_show(state: Path) -> None:
    svc = ContextService.open(state, actor="vscode")
    svc.on_initialize(
        client_name="vscode",
        client_version="1.99",
        locale="de",
        trace="verbose",
        settings={},
        folders=["/w"],
    )
    svc.on_tool_event("s", "c1", "shell", "started", None)
    svc.close()
    shown = show_context(state)
    assert shown["user"]["data"]["locale"] == "de"
    assert shown["user"]["version"] == 1
    assert shown["workspace"]["data"]["folders"] == ["/w"]
    assert shown["tool"]["data"]["pending"]["c1"]["tool"] == "shell"
    json.dumps(shown)
    reopened = ContextService.open(state)
    assert reopened.show()["user"]["data"]["locale"] == "de"
    reopened.close()


def test_cli_show_without_a_store_creates_nothing(tmp_path: Path) -> None:
    shown = show_context(tmp_path / "none")
    assert shown["workspace"] == {"version": 0, "last_updated": 0, "data": {}}
    assert not (tmp_path / "none").exists()


def test_service_keeps_serving_when_the_store_cannot_open(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    reported: list[ContextError] = []
    svc = ContextService.open(blocker / "state", on_error=reported.append)
    assert isinstance(reported[0], PersistenceError)
    svc.on_folders_changed(["/w"], [])
    assert svc.show()["workspace"]["version"] == 1
    svc.close()


def test_two_services_share_one_store(state: Path) -> None:
    left = ContextService.open(state, actor="vscode")
    right = ContextService.open(state, actor="neovim")
    left.on_tool_event("s", "a", "shell", "started", None)
    right.on_tool_event("s", "b", "grep", "started", None)
    left.flush()
    right.flush()
    left.tracker(ContextKind.TOOL).pull_changes()
    assert set(left.show()["tool"]["data"]["pending"]) == {"a", "b"}
    left.close()
    right.close()
    assert (state / DB_FILENAME).exists()


def test_service_open_reports_a_corrupted_store_and_starts_fresh(state: Path) -> None:
    state.mkdir(mode=0o700)
    (state / DB_FILENAME).write_bytes(b"garbage, not SQLite" * 50)
    reported: list[ContextError] = []
    svc = ContextService.open(state, on_error=reported.append)
    assert [type(e).__name__ for e in reported] == ["RecoveryError"]
    svc.on_folders_changed(["/w"], [])
    svc.close()
    assert show_context(state)["workspace"]["data"]["folders"] == ["/w"]
    assert len(list(state.glob(DB_FILENAME + ".corrupt-*"))) == 1
