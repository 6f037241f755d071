"""The rule documentation every finding links to. A page generated from the rule registry
ships inside the package (`rules.html`), so a link works wherever the tool is installed,
offline included; a public page is linked instead once `pyproject.toml` names one
(`[project.urls] Rules = "https://…/rules.html"`), read back from the installed metadata."""

from __future__ import annotations

import html
import os
import re
import sys
from functools import cache
from pathlib import Path

__all__ = ["PAGE", "public_rules_url", "render_rules_html", "rules_page_url"]

PAGE = Path(__file__).resolve().parent / "rules.html"
_URL_LABEL = "rules"


def public_rules_url() -> str | None:
    """The `Rules` entry of the installed package's project URLs, if one is configured."""
    for line in (installed_metadata() or "").split("\n"):
        if not line.strip():
            break  # the headers end at the first blank line; the description follows
        name, _, entry = line.partition(":")
        if name.strip().lower() != "project-url":
            continue
        label, _, url = entry.partition(",")
        if label.strip().lower() == _URL_LABEL and url.strip().startswith("https://"):
            return url.strip()
    return None


def installed_metadata() -> str | None:
    """The installed package's METADATA text, found on `sys.path` as importlib.metadata
    would find it, without importing it: its distribution search cost the server's first
    diagnostics ~170 ms and ~4 MB here."""
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if name.startswith("context_ls-") and name.endswith(".dist-info"):
                try:
                    return Path(entry or ".", name, "METADATA").read_text(encoding="utf-8")
                except OSError:
                    continue
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


def _section(explained: str, anchor: str) -> str:
    """One rule's section from the text `context-ls explain` prints (`Rule.explain`): its
    `#` title, a preamble, then `##` parts; the example stays preformatted."""
    title, _, rest = explained.partition("\n")
    preamble, *parts = re.split(r"^## (.+)\n", rest, flags=re.M)
    out = [f'<section id="{html.escape(anchor)}">\n<h2>{html.escape(title[2:])}</h2>\n']
    out.append(f"<p>{_inline(preamble.strip())}</p>\n")
    for heading, body in zip(parts[::2], parts[1::2], strict=True):
        out.append(f"<h3>{html.escape(heading)}</h3>\n")
        body = body.strip("\n")
        out.append(
            f"<pre>{html.escape(body)}</pre>\n"
            if heading == "Example"
            else f"<p>{_inline(body)}</p>\n"
        )
    out.append("</section>\n")
    return "".join(out)


def render_rules_html() -> str:
    """The rule page: one section per rule, its id the rule's anchor (as in the README)."""
    from context_ls.history.rules import RULES

    sections = [_section(rule.explain(), rule.anchor) for rule in RULES.values()]
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
