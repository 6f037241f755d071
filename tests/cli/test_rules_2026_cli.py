"""H011 and H012 from the command line: `check` names line, column and the API's answer,
`explain` documents them, `normalize --write` repairs the example and keeps its thinking."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from .conftest import EXAMPLES, Run

EXAMPLE = "anthropic-blocks.json"


def test_check_reports_both_with_their_place_and_answer(cli: Run) -> None:
    result = cli("check", EXAMPLES / EXAMPLE)
    assert result.code == 1
    lines = [line for line in result.out.splitlines() if " [" in line]
    assert [line.split(" ")[1] for line in lines] == ["H011", "H012"]
    assert lines[0].endswith(
        'the API will answer: "`tool_use` ids were found without `tool_result` blocks '
        'immediately after: toolu_01HqN4vX8bTz2KcR7mWfJd3E"'
    )
    assert f"{EXAMPLE}:85:26: H011 [results-not-first]" in lines[0]
    assert f"{EXAMPLE}:121:9: H012 [empty-text] the text block at content[1] is empty" in lines[1]
    assert "2 fixable" in result.out


def test_explain_documents_the_new_rules(cli: Run) -> None:
    for code, name in (("H011", "results-not-first"), ("H012", "empty-text")):
        result = cli("explain", code)
        assert result.code == 0
        assert result.out.startswith(f"# {code} {name}\n")
        assert f"#{code.lower()}-{name}" in result.out  # the rule page's anchor
    assert cli("explain", "empty-text").out.startswith("# H012 empty-text\n")


def test_normalize_write_repairs_and_keeps_every_thinking_block(cli: Run, tmp_path: Path) -> None:
    path = tmp_path / EXAMPLE
    shutil.copyfile(EXAMPLES / EXAMPLE, path)
    before = json.loads(path.read_bytes())["messages"]
    assert cli("normalize", "--write", path).code == 0
    after = json.loads(path.read_bytes())["messages"]
    assert [m for m in after if m["role"] == "assistant"] == [
        m for m in before if m["role"] == "assistant"
    ]
    assert cli("check", path).code == 0
