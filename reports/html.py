"""The HTML report: one self-contained file (inline CSS and SVG, no external request) that prints well.

Rendered by jinja2 with autoescape always on and `StrictUndefined`; templates never use `|safe`
on data. The environment's `finalize` also neutralizes unicode direction overrides and control
characters in every printed value, and a Content-Security-Policy meta tag forbids scripts and
any fetch, as a second wall should a string ever slip through.
"""

from __future__ import annotations

import functools
from typing import Any

import jinja2
from markupsafe import Markup

from rai.audit.gate.verdict import Verdict
from rai.audit.result import AuditResult
from rai.reports.compare import Comparison
from rai.reports.safety import neutralize
from rai.reports.view import build_view

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


def _finalize(value: Any) -> Any:
    if isinstance(value, Markup):
        return Markup(neutralize(str(value)))
    if isinstance(value, str):
        return neutralize(value)
    return value


@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("rai.reports", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def render_html(audit: AuditResult, verdict: Verdict | None = None, *, audit_path: str | None = None,
                comparison: Comparison | None = None) -> str:
    """The report of `audit` (and the gate `verdict`, when a policy was evaluated; and a `comparison`
    with a baseline audit) as one HTML document."""
    view = build_view(audit, verdict, audit_path=audit_path, comparison=comparison)
    return environment().get_template("report.html.j2").render(view=view, csp=CSP)
