"""A fine-tuning data set opened in the editor: each line's findings sit on that line, at
the message or call they are about (pushed for VS Code, pulled for Neovim)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from lsprotocol import types

from dataset_rows import DONE, USER
from dataset_rows import ask as _ask
from dataset_rows import call as _call
from dataset_rows import tool as _tool

from .conftest import Session


def _line(messages: list[Any], **extra: Any) -> str:
    return json.dumps({**extra, "messages": messages}, separators=(",", ":"))


TOOLS = [{"type": "function", "function": {"name": "get_price", "parameters": {}}}]


async def test_a_data_set_opens_with_diagnostics_on_the_right_lines(session: Session) -> None:
    dangling = _call("call_1", "get_price")
    unknown = _call("call_1", "get_prices", {"ticker": "MSFT"})
    lines = [
        # Healthy: the target call has no output by design; ids repeat from line to line.
        _line([USER, _ask(_call("call_1", "get_price"))], tools=TOOLS),
        _line([USER, _ask(dangling), USER, DONE], tools=TOOLS),
        _line([USER, _ask(unknown)], tools=TOOLS),
        "not json",
    ]
    text = "\n".join(lines) + "\n"
    path = session.workspace / "train.jsonl"
    path.write_text(text, encoding="utf-8")
    editor = session.editor
    uri = editor.open(path)
    found = await editor.diagnostics(uri)
    got = sorted((d.range.start.line, d.range.start.character, str(d.code)) for d in found)
    dangling_at = lines[1].index(json.dumps(dangling, separators=(",", ":")))
    unknown_at = lines[2].index(json.dumps(unknown, separators=(",", ":")))
    assert got == [
        (1, dangling_at, "H001"),
        (2, unknown_at, "H014"),
        (2, unknown_at, "H015"),
        (3, 0, "H007"),
    ]
    by_code = {str(d.code): d for d in found}
    assert by_code["H001"].message.startswith("line 2, message 2: call call_1 (get_price)")
    assert by_code["H015"].message.startswith("line 3, message 2: call call_1 names function")
    assert by_code["H001"].range.end.line == 1


@pytest.mark.parametrize(
    ("name", "codes"),
    [("one.jsonl", []), ("one.json", ["H001"])],
    ids=["data-set", "request-body"],
)
async def test_a_one_line_file_reads_as_check_reads_it(
    session: Session, name: str, codes: list[str]
) -> None:
    """One `{"messages": …}` line: in a `.jsonl` file a data set line (its target's call
    needs no output), in a `.json` file a request body (the call does) — as `check` says."""
    path = session.workspace / name
    path.write_text(_line([USER, _ask(_call("call_1", "get_price"))]) + "\n", encoding="utf-8")
    uri = session.editor.open(path)
    found = await session.editor.diagnostics(uri)
    assert [str(d.code) for d in found] == codes


async def test_the_outline_lists_the_conversations_with_their_calls(session: Session) -> None:
    lines = [
        _line([USER, _ask(_call("call_1", "get_price")), _tool("call_1"), DONE], tools=TOOLS),
        _line([USER, _ask(_call("call_1", "get_price")), USER, DONE], tools=TOOLS),
        "",
        _line([USER, _ask(_call("call_7", "get_price"))], tools=TOOLS),
        "not json",
    ]
    path = session.workspace / "train.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    editor = session.editor
    uri = editor.open(path)
    await editor.settle(uri)
    symbols = await editor.symbols(uri)
    if symbols and isinstance(symbols[0], types.SymbolInformation):  # a flat outline
        names = [s.name for s in symbols if s.container_name is None]
        assert names == ["Line 1", "Line 2", "Line 4", "Line 5"]
        return
    assert [s.name for s in symbols] == ["Line 1", "Line 2", "Line 4", "Line 5"]
    assert [s.range.start.line for s in symbols] == [0, 1, 3, 4]
    assert [s.detail for s in symbols] == [
        "4 messages · 1 call",
        "4 messages · 1 call · H001",
        "2 messages · 1 call",
        "0 messages · 0 calls · H007",
    ]
    statuses = [[c.detail for c in s.children or []] for s in symbols]
    assert statuses == [
        ["answered · call_1"],
        ["missing output · call_1"],
        ["training target · call_7"],
        [],
    ]
    dangling = symbols[1].children[0]
    start = lines[1].index('{"id":"call_1"')
    assert (dangling.selection_range.start.line, dangling.selection_range.start.character) == (
        1,
        start,
    )


async def test_quick_fixes_repair_their_own_line_only(session: Session) -> None:
    lines = [
        _line([USER, _ask(_call("call_1", "get_price")), USER, DONE], tools=TOOLS),
        _line([USER, _tool("call_9"), DONE], tools=TOOLS),
        _line([USER, _ask(_call("call_1", "get_price", {"t": "MSFT"})), _tool("call_1"), DONE]),
        _line([USER, _ask(_call("call_1", "get_price")), USER, DONE], tools=TOOLS),
    ]
    path = session.workspace / "train.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    editor = session.editor
    uri = editor.open(path)
    found = await editor.diagnostics(uri)
    assert sorted((d.range.start.line, str(d.code)) for d in found) == [
        (0, "H001"),
        (1, "H002"),
        (2, "H014"),
        (3, "H001"),
    ]
    for line_no, code in ((3, "H001"), (1, "H002"), (2, "H014")):
        found = await editor.diagnostics(uri)
        target = next(d for d in found if d.range.start.line == line_no and d.code == code)
        before = editor.texts[uri].split("\n")
        [fix] = await editor.code_actions(
            uri, target.range, [target], [types.CodeActionKind.QuickFix]
        )
        assert fix.edit is not None and editor.apply_workspace_edit(fix.edit)
        after = editor.texts[uri].split("\n")
        changed = [n for n, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
        assert changed == [line_no]
        json.loads(after[line_no])  # still one JSON conversation
    found = await editor.wait_for(uri, lambda ds: len(ds) == 1)
    assert [(d.range.start.line, str(d.code)) for d in found] == [(0, "H001")]
    repaired = editor.texts[uri].split("\n")
    assert json.loads(repaired[2])["messages"][1]["tool_calls"][0]["function"]["arguments"] == (
        '{"t":"MSFT"}'  # the object's own text, now a string
    )
    assert [m["role"] for m in json.loads(repaired[1])["messages"]] == ["user", "assistant"]


def test_a_big_data_set_lists_its_conversations_without_reading_them_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Past `DETAILED_RECORDS` conversations a symbol carries its line and findings only."""
    from context_ls.history.api import analyze
    from context_ls.lsp.documents import TextSnapshot
    from context_ls.lsp.features import symbols

    lines = [_line([USER, _ask(_call("call_1", "get_price")), USER, DONE])] * 3
    data = ("\n".join(lines) + "\n").encode()
    analysis, text = analyze(data), TextSnapshot.from_bytes(data, 1)
    detailed = symbols.conversations(analysis, text)
    assert [s.detail for s in detailed] == ["4 messages · 1 call · H001"] * 3
    monkeypatch.setattr(symbols, "DETAILED_RECORDS", 2)
    brief = symbols.conversations(analysis, text)
    assert [(s.name, s.detail, s.children) for s in brief] == [
        (f"Line {n}", "H001", []) for n in (1, 2, 3)
    ]
