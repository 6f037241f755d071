"""Diagnostics end to end: every dialect of examples/, silence elsewhere, push or pull."""

from __future__ import annotations

import asyncio

from lsprotocol import types

from context_ls.history.rules import get_rule

from .conftest import EXPECTED, Session, Start

HISTORIES = [name for name in EXPECTED if name != "clean-codex-rollout.jsonl"]


async def test_every_dialect_reports_its_planted_findings(session: Session) -> None:
    editor = session.editor
    links = session.declares("code_description_support")
    uris = {name: editor.open(session.copy_example(name)) for name in EXPECTED}
    for name, expected in EXPECTED.items():
        found = await editor.diagnostics(uris[name])
        got = sorted((d.code, (d.data or {}).get("call_id")) for d in found)
        want = sorted((f["code"], f["call_id"]) for f in expected["findings"])
        assert got == want, name
        for diagnostic in found:
            assert diagnostic.source == "context-ls"
            rule = get_rule(str(diagnostic.code))
            assert rule is not None
            assert f"#{str(diagnostic.code).lower()}-" in rule.url
            if not links:
                assert diagnostic.code_description is None
                continue
            assert diagnostic.code_description is not None
            assert diagnostic.code_description.href == rule.url
            assert "call_id" in diagnostic.data
            assert diagnostic.severity in (
                types.DiagnosticSeverity.Error,
                types.DiagnosticSeverity.Warning,
            )


async def test_related_information_points_at_the_partner_record(session: Session) -> None:
    editor = session.editor
    uri = editor.open(session.copy_example("openai-responses-input.json"))
    found = await editor.diagnostics(uri)
    misplaced = next(d for d in found if d.code == "H005")
    assert misplaced.related_information
    call_id = misplaced.data["call_id"]
    related = misplaced.related_information[0]
    assert related.location.uri == uri
    text = editor.texts[uri].split("\n")
    lines = text[related.location.range.start.line : related.location.range.end.line + 1]
    assert call_id in "\n".join(lines)
    assert '"function_call"' in "\n".join(lines)


async def test_a_client_is_sent_only_the_parts_it_declares(start: Start) -> None:
    """Related places, rule links, tags and data go to a client that declares them (in
    publishDiagnostics or diagnostic); one that declares none gets the plain diagnostic."""
    bare = await start(capabilities=types.ClientCapabilities())
    related_only = await start(
        capabilities=types.ClientCapabilities(
            text_document=types.TextDocumentClientCapabilities(
                publish_diagnostics=types.PublishDiagnosticsClientCapabilities(
                    related_information=True
                )
            )
        )
    )
    for session, related in ((bare, False), (related_only, True)):
        uri = session.editor.open(session.copy_example("openai-responses-input.json"))
        found = await session.editor.diagnostics(uri)
        assert {d.code for d in found} >= {"H005"}
        for diagnostic in found:
            assert diagnostic.code_description is None
            assert diagnostic.data is None
        misplaced = next(d for d in found if d.code == "H005")
        assert bool(misplaced.related_information) is related


async def test_non_histories_stay_silent(session: Session) -> None:
    editor = session.editor
    package = session.workspace / "package.json"
    package.write_text('{"name": "x", "version": "1.0.0", "dependencies": {"a": "^1"}}\n')
    log = session.workspace / "events.jsonl"
    log.write_text('{"level": "info", "msg": "started"}\n{"level": "warn", "msg": "slow"}\n')
    for path in (package, log):
        uri = editor.open(path)
        assert await editor.diagnostics(uri) == []
        assert uri not in editor.published
    broken = editor.open_text("untitled:notes.json", "{ not json at all")
    assert await editor.diagnostics(broken) == []


async def test_pull_when_the_client_pulls_push_otherwise(session: Session, preset: str) -> None:
    editor = session.editor
    uri = editor.open(session.copy_example("codex-rollout-crashed.jsonl"))
    await editor.settle(uri)
    if preset == "neovim":  # declares textDocument.diagnostic: pull only, never pushed
        assert editor.pull
        assert editor.published == {}
        report = await session.client.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
        assert len(report.items) == 4
        again = await session.client.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                previous_result_id=report.result_id,
            )
        )
        assert isinstance(again, types.RelatedUnchangedDocumentDiagnosticReport)
    else:
        assert not editor.pull
        assert [p.version for p in editor.published[uri]] == [1]
        assert len(editor.published[uri][-1].diagnostics) == 4


async def test_workspace_diagnostics_cover_unopened_histories(session: Session) -> None:
    for name in EXPECTED:
        session.copy_example(name)
    (session.workspace / "package.json").write_text('{"name": "x"}')
    report = await session.client.workspace_diagnostic_async(
        types.WorkspaceDiagnosticParams(previous_result_ids=[])
    )
    names = {item.uri.rsplit("/", 1)[-1]: item for item in report.items}
    assert set(names) == set(EXPECTED)  # the clean history too (empty), not package.json
    for name in EXPECTED:
        item = names[name]
        assert isinstance(item, types.WorkspaceFullDocumentDiagnosticReport)
        assert sorted(d.code for d in item.items) == sorted(
            f["code"] for f in EXPECTED[name]["findings"]
        )
    previous = [types.PreviousResultId(uri=i.uri, value=i.result_id or "") for i in report.items]
    again = await session.client.workspace_diagnostic_async(
        types.WorkspaceDiagnosticParams(previous_result_ids=previous)
    )
    assert all(isinstance(i, types.WorkspaceUnchangedDocumentDiagnosticReport) for i in again.items)


async def test_severity_and_invariants_follow_configuration(start: Start) -> None:
    session = await start({"severity": {"H001": "warning", "H002": "off"}})
    editor = session.editor
    uri = editor.open(session.copy_example("codex-rollout-crashed.jsonl"))
    found = await editor.diagnostics(uri)
    assert sorted(str(d.code) for d in found) == ["H001", "H001", "H007"]
    assert all(d.severity == types.DiagnosticSeverity.Warning for d in found if d.code == "H001")

    # A change pushed by the client re-validates the open documents.
    session.client.set_configuration(
        {"enforceHistoryInvariants": False, "pendingGraceSeconds": 0}, section="contextLs"
    )
    session.client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings=None)
    )
    found = await editor.wait_for(uri, lambda ds: [d.code for d in ds] == ["H007"])
    assert [d.code for d in found] == ["H007"]

    # Settings pushed in the notification itself (no pull) work too.
    session.client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(
            settings={"contextLs": {"severity": {"H007": "warning"}, "pendingGraceSeconds": 0}}
        )
    )
    found = await editor.wait_for(uri, lambda ds: len(ds) == 4)
    assert sorted(str(d.code) for d in found) == ["H001", "H001", "H002", "H007"]
    assert [d.severity for d in found if d.code == "H007"] == [types.DiagnosticSeverity.Warning]


async def test_a_revalidation_with_the_same_findings_still_answers(start: Start) -> None:
    """A settings change that changes no finding re-validates the same text: the server
    publishes nothing new, and a pull after it is answered (not left waiting)."""
    session = await start()
    editor = session.editor
    uri = editor.open(session.copy_example("codex-rollout-crashed.jsonl"))
    before = await editor.diagnostics(uri)
    pushes = len(editor.published.get(uri, []))
    session.client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(
            settings={"contextLs": {"trimKeep": 7, "pendingGraceSeconds": 0}}
        )
    )
    await asyncio.sleep(0.3)
    after = await asyncio.wait_for(editor.diagnostics(uri), 10)
    assert after == before
    assert len(editor.published.get(uri, [])) == pushes
