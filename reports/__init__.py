"""Report rendering: HTML (jinja2, autoescaped), Markdown and JUnit XML from an audit result."""
