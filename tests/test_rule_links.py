"""Every rule link the tool emits leads somewhere that exists, offline included: the
diagnostics' `codeDescription.href`, `context-ls explain`, and the HTML report all point
at the rule page shipped in the package (or a public one once pyproject.toml names it)."""

from __future__ import annotations

import re
from email.message import Message
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from context_ls import docs
from context_ls.cli.main import main
from context_ls.history.api import analyze_path
from context_ls.history.rules import RULES
from context_ls.lsp.convert import to_diagnostic
from context_ls.lsp.documents import TextSnapshot
from context_ls.report.html import render_report

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
FILES = sorted(p for p in EXAMPLES.glob("*.json*") if p.name != "EXPECTED.json")


def follow(link: str) -> None:
    """Fail unless `link` is a file: URI whose file exists and holds the anchor."""
    parts = urlsplit(link)
    assert parts.scheme == "file", link
    path = Path(unquote(parts.path))
    assert path.is_file(), f"{link}: no such file"
    assert parts.fragment, f"{link}: no anchor"
    assert f'id="{parts.fragment}"' in path.read_text(encoding="utf-8"), f"{link}: no anchor"


def test_the_shipped_page_is_generated_from_the_registry() -> None:
    text = docs.PAGE.read_text(encoding="utf-8")
    assert text == docs.render_rules_html(), "run `python -m context_ls.docs`"
    for rule in RULES.values():
        follow(rule.url)


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_diagnostic_links_lead_to_the_rule(path: Path) -> None:
    analysis = analyze_path(path)
    snapshot = TextSnapshot.from_bytes(path.read_bytes(), 1)
    diagnostics = [to_diagnostic(f, snapshot, path.as_uri()) for f in analysis.findings]
    for diagnostic in diagnostics:
        assert diagnostic.code_description is not None
        follow(diagnostic.code_description.href)
        fragment = urlsplit(diagnostic.code_description.href).fragment
        assert fragment.startswith(f"{str(diagnostic.code).lower()}-")


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_report_links_lead_to_the_rule(path: Path) -> None:
    page = render_report(analyze_path(path), path.name)
    for link in re.findall(r'href="([^"#][^"]*)"', page):
        follow(link.replace("&amp;", "&"))


def test_explain_links_to_the_rule(capsys: pytest.CaptureFixture[str]) -> None:
    for code in RULES:
        assert main(["explain", code]) == 0
        links = re.findall(r"^Docs: (\S+)$", capsys.readouterr().out, re.M)
        assert len(links) == 1
        follow(links[0])


def test_a_configured_public_page_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    meta = Message()
    meta["Metadata-Version"] = "2.4"
    meta["Name"] = "context-ls"
    meta["Project-URL"] = "Documentation, https://example.org/readme"
    meta["Project-URL"] = "Rules, https://example.org/context-ls/rules.html"
    meta.set_payload("Project-URL: Rules, https://example.org/not-a-header\n")
    monkeypatch.setattr(docs, "installed_metadata", lambda: meta.as_string())
    assert docs.public_rules_url() == "https://example.org/context-ls/rules.html"
    del meta["Project-URL"]
    assert docs.public_rules_url() is None  # a line of the description is no header


def test_the_installed_metadata_is_the_package_s() -> None:
    from importlib import metadata

    assert docs.installed_metadata() == metadata.distribution("context-ls").read_text("METADATA")


def test_no_configured_page_means_the_shipped_one() -> None:
    assert docs.public_rules_url() is None, "pyproject.toml names a Rules URL: drop this test"
    assert docs.rules_page_url() == docs.PAGE.as_uri()
