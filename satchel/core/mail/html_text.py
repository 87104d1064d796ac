"""The plain-text alternative PocketBase derives from an HTML mail body.

A module of its own so that :mod:`html.parser` (~2 % of the instructions of
``satchel serve``'s start-up) is imported when the first mail is written, not at start-up.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

__all__ = ["html_to_text"]

# a new line starts before these (when the current line has text)
_BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "fieldset", "figcaption",
    "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav",
    "ol", "p", "pre", "section", "table", "td", "th", "title", "tr", "ul",
})
_SKIPPED_TAGS = frozenset({"style", "script", "noscript", "template"})
_VOID_TAGS = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
                        "track", "wbr"})
_WS = re.compile(r"[\t\n\f\r ]+")  # Go's \s: ASCII only (no \v, no NBSP)
# what Go's strings.TrimSpace removes (unicode.IsSpace)
_GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
            "\u2028\u2029\u202f\u205f\u3000"


class _TextBuilder(HTMLParser):
    """Text nodes with runs of white space collapsed, a CRLF before each block,
    links as ``[label](href)`` and the contents of style/script dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.line_has_text = False
        self.skip_depth = 0
        self.links: list[tuple[str | None, list[str]]] = []

    def _sink(self) -> list[str]:
        return self.links[-1][1] if self.links else self.out

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS:
            self.skip_depth += 1
            return
        if self.skip_depth:
            return
        if tag in _BLOCK_TAGS and self.line_has_text:
            self.out.append("\r\n")
            self.line_has_text = False
        if tag == "li":
            self._sink().append("- ")
        if tag == "a":
            href = next((v for k, v in attrs if k == "href"), None)
            self.links.append((href, []))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID_TAGS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            self.skip_depth = max(0, self.skip_depth - 1)
            return
        if self.skip_depth or tag != "a" or not self.links:
            return
        href, parts = self.links.pop()
        label = "".join(parts).strip(_GO_SPACE) or "LINK"
        self._sink().append(f"[{label}]" + (f"({href})" if href else ""))

    def handle_data(self, data: str) -> None:
        if self.skip_depth:
            return
        text = _WS.sub(" ", data)
        if not self.line_has_text:
            text = text.lstrip(" ")
        if text:
            self._sink().append(text)
            self.line_has_text = True

    def result(self) -> str:
        while self.links:  # an unclosed <a>
            self.handle_endtag("a")
        return "".join(self.out).strip(_GO_SPACE)


def html_to_text(body: str) -> str:
    """The plain-text alternative of an HTML body."""
    builder = _TextBuilder()
    builder.feed(body.replace("\r\n", "\n").replace("\r", "\n"))
    builder.close()
    return builder.result()
