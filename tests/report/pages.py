"""One HTML checker for the report tests: tags balance, and what a page links to, loads
and names."""

from __future__ import annotations

from html.parser import HTMLParser

VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


class Page(HTMLParser):
    """Fails on a closing tag that does not close the innermost open element (void
    elements have none); collects the text, the ids, the links (`<a href>`) and every
    resource the page would load (`src`, `srcset`, `href` on anything but `<a>`)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.text: list[str] = []
        self.ids: list[str] = []
        self.links: list[str] = []
        self.resources: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.append(values["id"] or "")
        for key in ("src", "srcset"):
            if values.get(key):
                self.resources.append(values[key] or "")
        if values.get("href"):
            (self.links if tag == "a" else self.resources).append(values["href"] or "")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID or not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else 'nothing'}>")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse_page(html: str) -> Page:
    """The page, parsed; its tags must balance."""
    page = Page()
    page.feed(html)
    page.close()
    assert page.errors == [], page.errors
    assert page.stack == [], page.stack
    return page
