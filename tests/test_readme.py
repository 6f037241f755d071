"""The README's rule reference and dialect table are generated from the registries: keep
them equal."""

from __future__ import annotations

import re
from pathlib import Path

from context_ls.history.dialects import NAMES, table_markdown
from context_ls.history.rules import RULES, reference_markdown

README = Path(__file__).resolve().parent.parent / "README.md"


def test_rule_reference_matches_registry() -> None:
    text = README.read_text(encoding="utf-8")
    block = re.search(r"<!-- rules:begin[^>]*-->\n(.*)<!-- rules:end -->", text, re.S)
    assert block is not None, "README lost its rules:begin/rules:end markers"
    assert block.group(1) == reference_markdown()


def test_every_rule_has_an_anchor_the_server_links_to() -> None:
    text = README.read_text(encoding="utf-8")
    headings = {
        re.sub(r"[^a-z0-9 -]", "", line[4:].strip().lower()).replace(" ", "-")
        for line in text.splitlines()
        if line.startswith("### ")
    }
    for rule in RULES.values():
        assert rule.anchor in headings
        assert rule.url.endswith("#" + rule.anchor)


def test_dialect_table_matches_registry() -> None:
    text = README.read_text(encoding="utf-8")
    block = re.search(r"<!-- dialects:begin[^>]*-->\n(.*)<!-- dialects:end -->", text, re.S)
    assert block is not None, "README lost its dialects:begin/dialects:end markers"
    assert block.group(1) == table_markdown()
    assert [row.split("`")[1] for row in block.group(1).splitlines()[2:]] == list(NAMES)


def test_the_dask_recipe_is_the_one_the_datasets_page_runs() -> None:
    """The README shows the recipe that `tests/test_datasets.py` runs from docs/datasets.md."""
    page = (README.parent / "docs" / "datasets.md").read_text(encoding="utf-8")
    recipe = re.findall(r"```python\n(.*?)```", page, re.S)[:2]
    shown = README.read_text(encoding="utf-8")
    assert len(recipe) == 2
    assert all(f"```python\n{block}```" in shown for block in recipe)
