"""Report rendering: HTML (jinja2, autoescaped), Markdown and JUnit XML from an audit result and a verdict."""

from rai.reports.html import render_html
from rai.reports.junit import render_junit
from rai.reports.markdown import render_markdown
from rai.reports.text import render_text

__all__ = ["render_html", "render_junit", "render_markdown", "render_text"]
