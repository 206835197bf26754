"""Make user- and model-supplied strings inert before they reach a report, a terminal or XML.

HTML escaping is jinja2's autoescape; this module handles what escaping does not: unicode
direction overrides (which reorder what a reader sees, e.g. U+202E), control characters (which
garble terminals and are illegal in XML), and Markdown's own syntax.
"""

from __future__ import annotations

import re

# C0/C1 controls except tab and newline, and every bidi embedding / override / isolate / mark.
_INVISIBLE = re.compile("[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# Code points XML 1.0 forbids even as character references (besides the controls above).
_NOT_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")
# Markdown (GFM) syntax characters: emphasis, code, links and images, raw HTML and entities, table
# pipes, headings, mentions and math; and ':' and '.', whose escapes break GitHub's extended autolinks
# (`https://…`, `www.…`, `user@host.org`, bare domains in other renderers), which need them unescaped.
# All are ASCII punctuation, which CommonMark lets us backslash-escape.
_MARKDOWN_SYNTAX = frozenset("\\`*_~[]()!<>&|#@$:.")


def neutralize(text: str) -> str:
    """Show direction overrides and control characters as visible `[U+202E]` markers instead of obeying them."""
    text = _INVISIBLE.sub(lambda m: f"[U+{ord(m.group()):04X}]", text)
    return _NOT_XML.sub(lambda m: f"[U+{ord(m.group()):04X}]", text)


def one_line(text: str) -> str:
    """Neutralized and on one line (for table cells and terminal rows)."""
    return " ".join(neutralize(text).split())


def markdown_text(text: object) -> str:
    """A user string as inert Markdown text, safe inside a GitHub table cell.

    Every Markdown syntax character is backslash-escaped, so no link (autolinks included), image,
    raw HTML, entity, emphasis, math or table pipe survives; '@' also gets a word joiner so GitHub does not turn a
    group name into a mention.
    """
    out = []
    for ch in one_line(str(text)):
        if ch in _MARKDOWN_SYNTAX:
            out.append("\\" + ch + ("\u2060" if ch == "@" else ""))
        else:
            out.append(ch)
    return "".join(out)
