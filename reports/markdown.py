"""The Markdown summary, for CI job summaries ($GITHUB_STEP_SUMMARY) and pull-request comments.

Every user- or model-supplied string goes through `rai.reports.safety.markdown_text`: no table break,
no link or image (an image would make GitHub fetch a URL), no raw HTML, no @mention.
"""

from __future__ import annotations

from rai.core.formatting import details_label, format_observed
from rai.audit.gate.verdict import Verdict
from rai.audit.result import AuditResult
from rai.reports.compare import Comparison
from rai.reports.safety import markdown_text as md
from rai.reports.view import build_view

STATUS_MARK = {"pass": "✅ pass", "fail": "❌ fail", "missing": "❌ missing", "warn": "⚠️ warn", "waived": "➖ waived", "skipped": "➖ skipped"}
MAX_WARNINGS = 20


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _comparison(cmp: Comparison) -> list[str]:
    lines = [f"### Compared with {md(cmp.baseline_path)}", ""]
    if cmp.rules:
        lines += [f"{len(cmp.changed_rules)} of {len(cmp.rules)} rule(s) changed status.", ""]
        lines += [_row(["rule", "baseline", "this audit"]), _row(["---"] * 3)]
        lines += [_row([("**" + md(r.rule) + "**") if r.changed else md(r.rule), STATUS_MARK.get(r.baseline, r.baseline),
                        STATUS_MARK.get(r.current, r.current)]) for r in cmp.rules]
        lines.append("")
    lines += [_row(["metric", "record", "this audit", "baseline", "change"]), _row(["---"] * 5)]
    lines += [_row([md(m.metric), md(m.record), m.current, m.baseline, m.delta]) for m in cmp.metrics]
    return lines + [""]


def render_markdown(audit: AuditResult, verdict: Verdict | None = None, *, audit_path: str | None = None,
                    comparison: Comparison | None = None) -> str:
    """A short summary: verdict, one line per area, the gate table, the comparison, the other metrics, warnings."""
    view = build_view(audit, verdict, audit_path=audit_path, comparison=comparison)
    lines: list[str] = []
    if verdict is None:
        lines.append("## rai audit: no gate verdict")
        lines.append("")
        lines.append("No policy was evaluated; pass `--policy` to gate this audit.")
    else:
        mark = "✅ PASS" if verdict.passed else "❌ FAIL"
        lines.append(f"## rai gate: {mark} (policy {md(verdict.policy)})")
        lines.append("")
        lines.append(md(verdict.summary()))
        lines += ["", f"Policy file: {md(verdict.policy_source)}" + (f" · SHA-256 `{verdict.policy_sha256}`" if verdict.policy_sha256 else "")]
    lines += ["", f"Model: {md(view.model) if view.model is not None else 'not recorded'} · audit created {md(view.created)} · {md(view.tool)}", ""]
    lines += [f"- **{c.title}**: {md(c.headline)} {c.value}" + (f" ({c.interval})" if c.interval else "")
              + (f", {STATUS_MARK.get(c.status, c.status)} {md(c.rule)}" if c.rule else "") + f". {md(c.meaning)}" for c in view.cards]
    lines.append("")
    if view.gate_rows:
        lines += [_row(["rule", "record", "observed [interval]", "threshold", "status", "why"]), _row(["---"] * 6)]
        for row in view.gate_rows:
            lines.append(_row([md(row.rule) if row.first else "↳", md(row.record), row.observed,
                               row.threshold + (" (warn)" if row.severity == "warn" else ""),
                               STATUS_MARK[row.status], md(row.why)]))
        lines.append("")
    if comparison is not None:
        lines += _comparison(comparison)
    gated = {r.rule.metric for r in verdict.rules} if verdict is not None else set()
    ungated = [m for m in audit.metrics if m.id not in gated]
    if ungated:
        lines += ["<details><summary>Other metrics in the audit</summary>", ""]
        lines += [_row(["metric", "details", "value [interval]"]), _row(["---"] * 3)]
        for m in ungated:
            lines.append(_row([md(m.id), md(details_label(m.details)), format_observed(m.value, m.ci)]))
        lines += ["", "</details>", ""]
    if view.warnings:
        lines.append(f"**Warnings** ({len(view.warnings)})")
        lines.append("")
        lines += [f"- {md(w)}" for w in view.warnings[:MAX_WARNINGS]]
        if len(view.warnings) > MAX_WARNINGS:
            lines.append(f"- … {len(view.warnings) - MAX_WARNINGS} more in the HTML report")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
