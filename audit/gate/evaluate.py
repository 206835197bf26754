"""Judge an audit result against a policy: pure function, no I/O (the founding design, "Policies and gates").

Semantics (docs/policies.md has the user-facing version):
- A rule applies to every record of its metric id (and of its `details` filter); each record is
  judged and listed; the worst record decides the rule's status.
- A threshold violation is `fail` (severity block) or `warn` (severity warn).
- Evidence that is absent fails closed: no record → `missing`; a null value, a missing interval
  under `bound: ci`, or a regression check without a matching baseline record → `fail`/`missing`
  when the rule is required, `skipped` when it says `required: false`.
- An active waiver turns a record's `fail`/`warn` into `waived`; it never covers absent evidence.
  An expired waiver is ignored with a warning.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, replace

from rai.audit.gate.policy import Bound, Policy, Rule, Severity, Waiver, matches
from rai.core.formatting import details_label, format_number
from rai.audit.gate.verdict import RecordResult, RuleResult, Status, Verdict
from rai.audit.metric_ids import lookup
from rai.audit.result import AuditResult, MetricRecord, finite_or_none

# Float noise allowance when comparing a regression to its limit (0.80 - 0.78 = 0.0200000000000000018).
REGRESSION_TOLERANCE = 1e-9

WHY_ABSENT = "metric {metric} is not in the audit"
WHY_FILTERED = "no record of {metric} has details {filter}"
WHY_NOT_REQUIRED = "; the rule is not required"
WHY_NULL = "value is undefined (null)"
WHY_NO_CI = "the audit has no interval for this record, and the rule judges the interval (bound: ci)"
WHY_NULL_CI_END = "the interval's {end} end is undefined (null)"
WHY_NO_N = "the record has no sample size n, and the rule requires n >= {min_n}"
WHY_SMALL_N = "n {n} is below the rule's min_n {min_n}: too few examples to judge"
WHY_NO_BASELINE = "max_regression needs a baseline audit (--baseline)"
WHY_NO_BASELINE_RECORD = "the baseline has no matching record of {metric}"
WHY_NULL_BASELINE = "the baseline value is undefined (null)"
WARN_EXPIRED = "waiver for {metric} (approved by {approved_by}) expired on {expires} and is ignored"
WARN_UNUSED = "waiver for {metric} (approved by {approved_by}, until {expires}) covered no failing record"


@dataclass(frozen=True)
class _Finding:
    status: Status
    text: str


def _undefined(rule: Rule, text: str) -> _Finding:
    return _Finding(Status.FAIL if rule.required else Status.SKIPPED, text)


def _absent(rule: Rule, text: str) -> _Finding:
    return _Finding(Status.MISSING if rule.required else Status.SKIPPED, text)


def _violation(rule: Rule, text: str) -> _Finding:
    return _Finding(Status.FAIL if rule.severity is Severity.BLOCK else Status.WARN, text)


def _threshold_findings(rule: Rule, rec: MetricRecord) -> list[_Finding]:
    if rule.min is None and rule.max is None:
        return []
    if rule.bound is Bound.VALUE:
        if rec.value is None:
            return [_undefined(rule, WHY_NULL + (f" ({rec.why_null})" if rec.why_null else ""))]
        lo = hi = rec.value
        lo_name = hi_name = "value"
    else:
        if rec.ci is None:
            return [_undefined(rule, WHY_NO_CI)]
        lo, hi = rec.ci
        lo_name, hi_name = "ci low", "ci high"
    out = []
    for limit, x, name, end, bad, sign in ((rule.min, lo, lo_name, "lower", lambda a, b: a < b, ">="),
                                           (rule.max, hi, hi_name, "upper", lambda a, b: a > b, "<=")):
        if limit is None:
            continue
        if x is None:
            out.append(_undefined(rule, WHY_NULL_CI_END.format(end=end)))
        elif bad(x, limit):
            out.append(_violation(rule, f"{name} {format_number(x)} is not {sign} {format_number(limit)}"))
        else:
            out.append(_Finding(Status.PASS, f"{name} {format_number(x)} {sign} {format_number(limit)}"))
    return out


def _sample_findings(rule: Rule, rec: MetricRecord) -> list[_Finding]:
    """`min_n`: a record measured on too few examples is insufficient evidence, judged like a null value."""
    if rule.min_n is None:
        return []
    if rec.n is None:
        return [_undefined(rule, WHY_NO_N.format(min_n=rule.min_n))]
    if rec.n < rule.min_n:
        return [_undefined(rule, WHY_SMALL_N.format(n=rec.n, min_n=rule.min_n))]
    return [_Finding(Status.PASS, f"n {rec.n} >= {rule.min_n}")]


def match_baseline(rec: MetricRecord, candidates: list[MetricRecord]) -> MetricRecord | None:
    """The baseline record to compare `rec` with: same id, and the details that agree most.

    Identical details win; a single candidate is taken as is; otherwise the candidate sharing the
    most detail values (e.g. the same `attribute`, whatever its worst group now is), if unique.
    """
    if not candidates:
        return None
    exact = [c for c in candidates if c.details == rec.details]
    if len(exact) == 1:
        return exact[0]
    if len(candidates) == 1:
        return candidates[0]
    scored = sorted(((sum(k in c.details and c.details[k] == v for k, v in rec.details.items()), i) for i, c in enumerate(candidates)), reverse=True)
    best, runner_up = scored[0], scored[1]
    return candidates[best[1]] if best[0] > 0 and best[0] > runner_up[0] else None


def _regression_finding(rule: Rule, rec: MetricRecord, baseline: AuditResult | None) -> tuple[list[_Finding], float | int | None, float | None]:
    if rule.max_regression is None:
        return [], None, None
    if baseline is None:
        return [_absent(rule, WHY_NO_BASELINE)], None, None
    base = match_baseline(rec, baseline.metric_values(rec.id))
    if base is None:
        return [_absent(rule, WHY_NO_BASELINE_RECORD.format(metric=rec.id))], None, None
    base_value = finite_or_none(base.value)  # a hand-edited NaN/inf is undefined, never a pass
    if base_value is None:
        return [_undefined(rule, WHY_NULL_BASELINE)], None, None
    if rec.value is None:
        return [_undefined(rule, WHY_NULL)], base_value, None
    better = lookup(rec.id).better  # the loader guarantees a direction for regression rules
    regression = (base_value - rec.value) if better == "higher" else (rec.value - base_value)
    text = f"regression {format_number(regression)} from baseline {format_number(base_value)}"
    if regression > rule.max_regression + REGRESSION_TOLERANCE:
        return [_violation(rule, f"{text} exceeds {format_number(rule.max_regression)}")], base_value, regression
    return [_Finding(Status.PASS, f"{text} <= {format_number(rule.max_regression)}")], base_value, regression


def _judge_record(rule: Rule, rec: MetricRecord, baseline: AuditResult | None,
                  waivers: list[Waiver], used: set[int]) -> RecordResult:
    # NaN/inf (a hand-edited or foreign audit.json) compare false against any limit: judge them as null.
    rec = replace(rec, value=finite_or_none(rec.value), ci=None if rec.ci is None else (finite_or_none(rec.ci[0]), finite_or_none(rec.ci[1])))
    findings = _sample_findings(rule, rec)
    base_value = regression = None
    if all(f.status is Status.PASS for f in findings):  # too few examples: no threshold is judged on them
        findings += _threshold_findings(rule, rec)
        regression_findings, base_value, regression = _regression_finding(rule, rec, baseline)
        findings += regression_findings
    status = max((f.status for f in findings), key=lambda s: s.rank)
    why = "; ".join(f.text for f in findings if f.status is status or status is Status.PASS)
    waiver = None
    if status in (Status.FAIL, Status.WARN):
        for i, w in enumerate(waivers):
            if w.metric == rule.metric and matches(rec.details, w.details):
                used.add(i)
                waiver = {"reason": w.reason, "approved_by": w.approved_by, "expires": w.expires.isoformat()}
                why = f"{why}; waived: {w.reason} (approved by {w.approved_by}, until {w.expires.isoformat()})"
                status = Status.WAIVED
                break
    return RecordResult(details=dict(rec.details), value=rec.value, ci=rec.ci, status=status, why=why,
                        baseline_value=base_value, regression=regression, waiver=waiver)


def _judge_rule(rule: Rule, audit: AuditResult, baseline: AuditResult | None, waivers: list[Waiver], used: set[int]) -> RuleResult:
    all_records = audit.metric_values(rule.metric)
    records = [m for m in all_records if matches(m.details, rule.details)]
    if not records:
        why = WHY_FILTERED.format(metric=rule.metric, filter=details_label(rule.details)) if all_records else WHY_ABSENT.format(metric=rule.metric)
        finding = _absent(rule, why + ("" if rule.required else WHY_NOT_REQUIRED))
        return RuleResult(rule=rule, status=finding.status, why=finding.text)
    results = tuple(_judge_record(rule, rec, baseline, waivers, used) for rec in records)
    worst = max(results, key=lambda r: r.status.rank)
    why = worst.why if len(results) == 1 else f"worst of {len(results)} records ({worst.label or 'no details'}): {worst.why}"
    return RuleResult(rule=rule, status=worst.status, why=why, records=results)


def evaluate(policy: Policy, audit: AuditResult, *, baseline: AuditResult | None = None, today: _dt.date | None = None,
             audit_path: str | None = None, baseline_path: str | None = None) -> Verdict:
    """The verdict of `policy` on `audit` (and `baseline` for max_regression rules) as of `today` (UTC)."""
    today = today or _dt.datetime.now(_dt.timezone.utc).date()
    warnings = [WARN_EXPIRED.format(metric=w.metric, approved_by=w.approved_by, expires=w.expires.isoformat())
                for w in policy.waivers if not w.active(today)]
    active = [w for w in policy.waivers if w.active(today)]
    used: set[int] = set()
    results = tuple(_judge_rule(rule, audit, baseline, active, used) for rule in policy.rules)
    warnings += [WARN_UNUSED.format(metric=w.metric, approved_by=w.approved_by, expires=w.expires.isoformat())
                 for i, w in enumerate(active) if i not in used]
    return Verdict(policy=policy.name, policy_source=policy.source, policy_sha256=policy.sha256,
                   policy_description=policy.description, rules=results,
                   warnings=tuple(warnings), today=today, audit=audit_path, baseline=baseline_path)
