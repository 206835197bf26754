"""Two audits side by side (`rai report AUDIT --compare BASELINE`): the DP model against its non-DP
baseline, or this release against the last one. Metric records are matched by id and by what tells
them apart (attribute, label, attack, ...); the policy is evaluated on both and every rule whose
status differs is listed.
"""

from __future__ import annotations

from dataclasses import dataclass

from rai.audit.gate.verdict import Verdict
from rai.audit.result import AuditResult, MetricRecord
from rai.core.formatting import format_number, format_observed
from rai.reports.sections import short_label
from rai.reports.stats import stat


@dataclass(frozen=True)
class MetricDelta:
    metric: str
    record: str
    current: str
    baseline: str
    delta: str  # current − baseline, "" when either is undefined
    gated: bool


@dataclass(frozen=True)
class RuleChange:
    rule: str
    baseline: str  # status under the baseline audit
    current: str
    changed: bool


@dataclass(frozen=True)
class Comparison:
    baseline_path: str
    baseline_model: str
    baseline_created: str
    metrics: tuple[MetricDelta, ...]
    rules: tuple[RuleChange, ...]
    only_current: int  # metric records without a counterpart in the baseline
    only_baseline: int

    @property
    def changed_rules(self) -> tuple[RuleChange, ...]:
        return tuple(r for r in self.rules if r.changed)

    def change(self, rule: str) -> RuleChange | None:
        """The rule's status under both audits (for the gate table's baseline column)."""
        return next((r for r in self.rules if r.rule == rule), None)


def _key(m: MetricRecord) -> tuple[str, str]:
    return m.id, short_label(m.details)


def _delta(a: MetricRecord, b: MetricRecord) -> str:
    x, y = stat(a).value, stat(b).value
    if x is None or y is None:
        return ""
    d = x - y
    return "0" if d == 0 else f"{'+' if d > 0 else '−'}{format_number(abs(d))}"


def compare(audit: AuditResult, baseline: AuditResult, verdict: Verdict | None, baseline_verdict: Verdict | None, *,
            baseline_path: str) -> Comparison:
    """Every metric record found in both audits with its change, and the policy's rules judged on each."""
    old = {}
    for m in baseline.metrics:
        old.setdefault(_key(m), m)
    gated = {rr.rule.metric for rr in verdict.rules} if verdict is not None else set()
    seen, rows = set(), []
    for m in audit.metrics:
        key = _key(m)
        if key in seen or key not in old or (m.value is None and old[key].value is None):  # null in both: nothing to compare
            continue
        seen.add(key)
        b = old[key]
        rows.append(MetricDelta(m.id, key[1], format_observed(m.value, m.ci), format_observed(b.value, b.ci), _delta(m, b), m.id in gated))
    rows.sort(key=lambda r: not r.gated)  # what the policy judges first, otherwise in audit order
    rules = []
    if verdict is not None and baseline_verdict is not None:
        before = {rr.rule.label: rr.status.value for rr in baseline_verdict.rules}
        for rr in verdict.rules:
            was = before.get(rr.rule.label, "absent")
            rules.append(RuleChange(rr.rule.label, was, rr.status.value, was != rr.status.value))
    subject = baseline.subject if isinstance(baseline.subject, dict) else {}
    current_keys = {_key(m) for m in audit.metrics}
    return Comparison(baseline_path=baseline_path, baseline_model=str(subject.get("model") or "not recorded"),
                      baseline_created=str(baseline.created), metrics=tuple(rows), rules=tuple(rules),
                      only_current=len(current_keys - set(old)), only_baseline=len(set(old) - current_keys))
