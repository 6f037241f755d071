"""The rule documentation every finding links to. A page generated from the rule registry
ships inside the package (`rules.html`), so a link works wherever the tool is installed,
offline included; a public page is linked instead once `pyproject.toml` names one
(`[project.urls] Rules = "https://…/rules.html"`), read back from the installed metadata."""

from __future__ import annotations

import html
import re
from functools import cache
from importlib import metadata
from pathlib import Path

__all__ = ["PAGE", "public_rules_url", "render_rules_html", "rules_page_url"]

PAGE = Path(__file__).resolve().parent / "rules.html"
_URL_LABEL = "rules"


def public_rules_url() -> str | None:
    """The `Rules` entry of the installed package's project URLs, if one is configured."""
    try:
        entries = metadata.metadata("context-ls").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        return None
    for entry in entries:
        label, _, url = entry.partition(",")
        if label.strip().lower() == _URL_LABEL and url.strip().startswith("https://"):
            return url.strip()
    return None


@cache
def rules_page_url() -> str:
    """Where rule links point (without an anchor): the public page, else the shipped one."""
    return public_rules_url() or PAGE.as_uri()


def _inline(text: str) -> str:
    """Escaped text with Markdown code spans (`x`, ``x``) as <code>, newlines as <br>."""
    parts = re.split(r"(``.+?``|`[^`\n]+`)", text)
    out = []
    for part in parts:
        if part.startswith("``") and part.endswith("``") and len(part) > 4:
            out.append(f"<code>{html.escape(part[2:-2])}</code>")
        elif part.startswith("`") and part.endswith("`") and len(part) > 2:
            out.append(f"<code>{html.escape(part[1:-1])}</code>")
        else:
            out.append(html.escape(part))
    return "".join(out).replace("\n", "<br>\n")


def render_rules_html() -> str:
    """The rule page: one section per rule, its id the rule's anchor (as in the README)."""
    from context_ls.history.rules import RULES

    sections = []
    for rule in RULES.values():
        sections.append(
            f'<section id="{html.escape(rule.anchor)}">\n'
            f"<h2>{html.escape(rule.code)} {html.escape(rule.name)}</h2>\n"
            f"<p>Default severity: <strong>{html.escape(rule.severity)}</strong></p>\n"
            f"<p><strong>What it does.</strong> {_inline(rule.summary)}</p>\n"
            f"<p><strong>Why is this bad?</strong> {_inline(rule.why)}</p>\n"
            f"<p><strong>Example.</strong></p>\n<pre>{html.escape(rule.example)}</pre>\n"
            f"<p><strong>Fix.</strong> {_inline(rule.fix)}</p>\n"
            "</section>\n"
        )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        "<title>context-ls rules</title>\n"
        "<style>body{font-family:sans-serif;max-width:50em;margin:2em auto;padding:0 1em}"
        "pre{background:#f4f4f4;padding:.5em;white-space:pre-wrap}"
        "section:target{outline:2px solid #888}</style>\n"
        "</head>\n<body>\n"
        "<!-- generated from server/context_ls/history/rules.py by "
        "`python -m context_ls.docs`; tests/test_rule_links.py keeps it in sync -->\n"
        "<h1>context-ls rules</h1>\n"
        "<p>Every finding links here. <code>context-ls explain CODE</code> prints the same text.</p>\n"
        + "".join(sections)
        + "</body>\n</html>\n"
    )
