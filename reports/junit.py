"""JUnit XML: one test case per policy rule, so any CI system shows the gate like a test run.

Mapping (docs/reports.md):
- pass → a plain <testcase>;
- fail and missing (they block the release) → <failure type="fail|missing">;
- warn, waived, skipped (they do not block) → <skipped message="warn: …|waived: …|skipped: …">,
  so CI shows them apart from passes without failing the job.
The document is a single <testsuite> valid under the strict Apache Ant JUnit schema (properties,
system-out and system-err present; at most one outcome element per test case), which the other
common JUnit schemas (Jenkins, GitLab, pytest's) also accept.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from rai.audit.gate.verdict import Status, Verdict
from rai.audit.result import AuditResult
from rai.reports.safety import neutralize

FAILURE_STATUSES = (Status.FAIL, Status.MISSING)
SKIPPED_STATUSES = (Status.WARN, Status.WAIVED, Status.SKIPPED)


def _t(text: object) -> str:
    return neutralize(str(text))


def _timestamp(created: str) -> str:
    """The audit's creation time (UTC) as the schema wants it: YYYY-MM-DDTHH:MM:SS, no zone.

    An unreadable `created` gives the epoch rather than an invalid file (the real value is in the audit).
    """
    try:
        when = dt.datetime.fromisoformat(created.replace("Z", "+00:00"))
    except ValueError:
        return "1970-01-01T00:00:00"
    if when.tzinfo is not None:
        when = when.astimezone(dt.timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%S")


def render_junit(audit: AuditResult, verdict: Verdict, *, audit_path: str | None = None) -> str:
    counts = verdict.counts
    suite = ET.Element("testsuite", {
        "name": _t(f"rai gate: {verdict.policy}"),
        "tests": str(len(verdict.rules)),
        "failures": str(sum(counts[s.value] for s in FAILURE_STATUSES)),
        "errors": "0",
        "skipped": str(sum(counts[s.value] for s in SKIPPED_STATUSES)),
        "time": "0",
        "timestamp": _timestamp(str(audit.created)),
        "hostname": "localhost",
    })
    props = ET.SubElement(suite, "properties")
    model = audit.subject.get("model") if isinstance(audit.subject, dict) else None
    for name, value in (("verdict", "pass" if verdict.passed else "fail"), ("policy", verdict.policy), ("policy_source", verdict.policy_source),
                        ("policy_sha256", verdict.policy_sha256 or ""),
                        ("audit", audit_path or ""), ("baseline", verdict.baseline or ""), ("model", model or ""),
                        ("waivers_judged_on", verdict.today.isoformat())):
        ET.SubElement(props, "property", {"name": name, "value": _t(value)})
    seen: dict[str, int] = {}
    for rr in verdict.rules:
        name = rr.rule.label
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            name = f"{name} (rule {seen[name]})"
        case = ET.SubElement(suite, "testcase", {"name": _t(name), "classname": _t(f"rai.gate.{verdict.policy}"), "time": "0"})
        detail = "\n".join(
            [f"{rr.rule.metric}: threshold {rr.rule.threshold_text()}, severity {rr.rule.severity.value}, required {str(rr.rule.required).lower()}"]
            + [f"- {rec.label or 'record'}: {rec.observed} -> {rec.status.value}: {rec.why}" for rec in rr.records])
        if rr.status in FAILURE_STATUSES:
            el = ET.SubElement(case, "failure", {"type": rr.status.value, "message": _t(rr.why)})
            el.text = _t(detail)
        elif rr.status in SKIPPED_STATUSES:
            el = ET.SubElement(case, "skipped", {"message": _t(f"{rr.status.value}: {rr.why}")})
            el.text = _t(detail)
    out = ET.SubElement(suite, "system-out")
    out.text = _t("\n".join([verdict.summary()] + [f"warning: {w}" for w in list(audit.warnings) + list(verdict.warnings)]))
    ET.SubElement(suite, "system-err").text = ""
    ET.indent(suite)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"
