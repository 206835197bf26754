"""Gate semantics, table-driven: each case is a policy, an audit (and maybe a baseline), and the
expected status of the rule, of each record, and the reason given."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest

from rai.audit.gate import Status, evaluate, parse_policy_text, validate_policy_text
from rai.audit.gate.evaluate import WARN_EXPIRED, WARN_UNUSED, WHY_NO_BASELINE, WHY_NO_CI, WHY_NO_N, WHY_SMALL_N
from rai.audit.result import AuditResult

TODAY = dt.date(2026, 11, 29)
DPR = "fairness.demographic_parity_ratio"
EOD = "fairness.equalized_odds_difference"


def audit_of(*records: tuple) -> AuditResult:
    """records: (metric id, value, ci or None, details or None[, why_null])."""
    r = AuditResult()
    for rec in records:
        metric, value, ci, details = rec[:4]
        r.add_metric(metric, value, section=metric.split(".")[0], ci=ci, details=details, why_null=rec[4] if len(rec) > 4 else None)
    return r


@dataclass
class Case:
    id: str
    rule: str  # the YAML of one rule (under `rules:`), indented 4
    records: list[tuple]
    status: Status
    record_statuses: list[Status] = field(default_factory=list)
    why: str = ""
    waivers: str = ""
    baseline: list[tuple] | None = None
    passed: bool | None = None
    warnings: list[str] = field(default_factory=list)


WAIVER_ACTIVE = f"""  - metric: {DPR}
    reason: "label noise in the evaluation set"
    approved_by: data-governance
    expires: 2027-03-01
"""
WAIVER_EXPIRED = WAIVER_ACTIVE.replace("2027-03-01", "2026-11-28")
WAIVER_TODAY = WAIVER_ACTIVE.replace("2027-03-01", "2026-11-29")
WAIVER_RACE_ONLY = WAIVER_ACTIVE + "    details: {attribute: race}\n"

CASES = [
    Case("pass", f"  - metric: {DPR}\n    min: 0.8\n", [(DPR, 0.85, None, {})], Status.PASS, [Status.PASS], "value 0.85 >= 0.8", passed=True),
    Case("pass-at-the-limit", f"  - metric: {DPR}\n    min: 0.8\n", [(DPR, 0.8, None, {})], Status.PASS, [Status.PASS], passed=True),
    Case("fail", f"  - metric: {DPR}\n    min: 0.8\n", [(DPR, 0.41, None, {})], Status.FAIL, [Status.FAIL], "value 0.41 is not >= 0.8",
         passed=False),
    Case("fail-max", "  - metric: pii.records_with_pii\n    max: 0\n", [("pii.records_with_pii", 3, None, {})], Status.FAIL,
         [Status.FAIL], "value 3 is not <= 0", passed=False),
    Case("warn", f"  - metric: {EOD}\n    max: 0.1\n    severity: warn\n", [(EOD, 0.2, None, {})], Status.WARN, [Status.WARN],
         "value 0.2 is not <= 0.1", passed=True),
    Case("missing", f"  - metric: {DPR}\n    min: 0.8\n", [(EOD, 0.05, None, {})], Status.MISSING, [],
         f"metric {DPR} is not in the audit", passed=False),
    Case("missing-warn-rule-still-blocks", f"  - metric: {EOD}\n    max: 0.1\n    severity: warn\n", [], Status.MISSING, [],
         f"metric {EOD} is not in the audit", passed=False),
    Case("absent-not-required", f"  - metric: {DPR}\n    min: 0.8\n    required: false\n", [], Status.SKIPPED, [],
         "the rule is not required", passed=True),
    Case("filter-excludes-every-record", f"  - metric: {DPR}\n    min: 0.8\n    details: {{attribute: age}}\n",
         [(DPR, 0.9, None, {"attribute": "sex"})], Status.MISSING, [], f"no record of {DPR} has details attribute=age", passed=False),
    Case("filter-selects-one-record", f"  - metric: {DPR}\n    min: 0.8\n    details: {{attribute: race}}\n",
         [(DPR, 0.4, None, {"attribute": "sex"}), (DPR, 0.9, None, {"attribute": "race"})], Status.PASS, [Status.PASS], passed=True),
    Case("waived", f"  - metric: {DPR}\n    min: 0.8\n", [(DPR, 0.41, None, {})], Status.WAIVED, [Status.WAIVED],
         "waived: label noise in the evaluation set (approved by data-governance, until 2027-03-01)", waivers=WAIVER_ACTIVE, passed=True),
    Case("waiver-valid-through-its-date", f"  - metric: {DPR}\n    min: 0.8\n", [(DPR, 0.41, None, {})], Status.WAIVED, [Status.WAIVED],
         waivers=WAIVER_TODAY, passed=True),
    Case("expired-waiver-ignored", f"  - metric: {DPR}\n    min: 0.8\n", [(DPR, 0.41, None, {})], Status.FAIL, [Status.FAIL],
         "value 0.41 is not >= 0.8", waivers=WAIVER_EXPIRED, passed=False,
         warnings=[WARN_EXPIRED.format(metric=DPR, approved_by="data-governance", expires="2026-11-28")]),
    Case("waiver-never-covers-missing", f"  - metric: {DPR}\n    min: 0.8\n", [], Status.MISSING, [], waivers=WAIVER_ACTIVE, passed=False,
         warnings=[WARN_UNUSED.format(metric=DPR, approved_by="data-governance", expires="2027-03-01")]),
    Case("waiver-for-one-attribute", f"  - metric: {DPR}\n    min: 0.8\n",
         [(DPR, 0.5, None, {"attribute": "race"}), (DPR, 0.6, None, {"attribute": "sex"})], Status.FAIL, [Status.WAIVED, Status.FAIL],
         "worst of 2 records (attribute=sex): value 0.6 is not >= 0.8", waivers=WAIVER_RACE_ONLY, passed=False),
    Case("ci-bound-judges-lower-end", f"  - metric: {DPR}\n    min: 0.8\n    bound: ci\n", [(DPR, 0.85, (0.78, 0.92), {})], Status.FAIL,
         [Status.FAIL], "ci low 0.78 is not >= 0.8", passed=False),
    Case("point-bound-judges-value", f"  - metric: {DPR}\n    min: 0.8\n    bound: value\n", [(DPR, 0.85, (0.78, 0.92), {})], Status.PASS,
         [Status.PASS], "value 0.85 >= 0.8", passed=True),
    Case("ci-bound-judges-upper-end-for-max", f"  - metric: {EOD}\n    max: 0.1\n    bound: ci\n", [(EOD, 0.05, (0.01, 0.12), {})],
         Status.FAIL, [Status.FAIL], "ci high 0.12 is not <= 0.1", passed=False),
    Case("ci-bound-passes-inside", f"  - metric: {DPR}\n    min: 0.8\n    max: 1\n    bound: ci\n", [(DPR, 0.9, (0.82, 0.97), {})],
         Status.PASS, [Status.PASS], "ci low 0.82 >= 0.8; ci high 0.97 <= 1", passed=True),
    Case("ci-bound-without-interval-fails-closed", f"  - metric: {DPR}\n    min: 0.8\n    bound: ci\n", [(DPR, 0.95, None, {})],
         Status.FAIL, [Status.FAIL], WHY_NO_CI, passed=False),
    Case("ci-bound-null-end", f"  - metric: {DPR}\n    min: 0.8\n    bound: ci\n", [(DPR, 0.95, (None, 0.99), {})], Status.FAIL,
         [Status.FAIL], "the interval's lower end is undefined (null)", passed=False),
    Case("null-value-fails-required", "  - metric: privacy.dp.epsilon\n    max: 8\n",
         [("privacy.dp.epsilon", None, None, {}, "trained without differential privacy")], Status.FAIL, [Status.FAIL],
         "value is undefined (null) (trained without differential privacy)", passed=False),
    Case("null-value-fails-warn-rule-too", "  - metric: privacy.dp.epsilon\n    max: 8\n    severity: warn\n",
         [("privacy.dp.epsilon", None, None, {})], Status.FAIL, [Status.FAIL], "value is undefined (null)", passed=False),
    Case("null-value-skips-optional", "  - metric: toxicity.probability\n    max: 0.1\n    required: false\n",
         [("toxicity.probability", None, None, {})], Status.SKIPPED, [Status.SKIPPED], "value is undefined (null)", passed=True),
    Case("multiple-records-worst-decides", f"  - metric: {DPR}\n    min: 0.8\n",
         [(DPR, 0.9, None, {"attribute": "sex"}), (DPR, 0.5, None, {"attribute": "race"}), (DPR, 0.95, None, {"attribute": "age"})],
         Status.FAIL, [Status.PASS, Status.FAIL, Status.PASS], "worst of 3 records (attribute=race): value 0.5 is not >= 0.8", passed=False),
    Case("multiple-records-null-among-passes", f"  - metric: {DPR}\n    min: 0.8\n",
         [(DPR, 0.9, None, {"attribute": "sex"}), (DPR, None, None, {"attribute": "race"})], Status.FAIL, [Status.PASS, Status.FAIL],
         passed=False),
    Case("regression-within-limit", f"  - metric: {DPR}\n    max_regression: 0.02\n", [(DPR, 0.78, None, {})], Status.PASS, [Status.PASS],
         "regression 0.02 from baseline 0.8 <= 0.02", baseline=[(DPR, 0.80, None, {})], passed=True),
    Case("regression-too-large", f"  - metric: {DPR}\n    max_regression: 0.02\n", [(DPR, 0.75, None, {})], Status.FAIL, [Status.FAIL],
         "regression 0.05 from baseline 0.8 exceeds 0.02", baseline=[(DPR, 0.80, None, {})], passed=False),
    Case("regression-direction-lower-is-better", f"  - metric: {EOD}\n    max_regression: 0.02\n", [(EOD, 0.10, None, {})], Status.FAIL,
         [Status.FAIL], "regression 0.05 from baseline 0.05 exceeds 0.02", baseline=[(EOD, 0.05, None, {})], passed=False),
    Case("improvement-is-no-regression", f"  - metric: {EOD}\n    max_regression: 0.0\n", [(EOD, 0.01, None, {})], Status.PASS,
         [Status.PASS], baseline=[(EOD, 0.05, None, {})], passed=True),
    Case("regression-matches-records-by-attribute", f"  - metric: {DPR}\n    max_regression: 0.02\n",
         [(DPR, 0.9, None, {"attribute": "sex", "worst_group": "F"}), (DPR, 0.7, None, {"attribute": "race", "worst_group": "B"})],
         Status.FAIL, [Status.PASS, Status.FAIL], baseline=[(DPR, 0.91, None, {"attribute": "race", "worst_group": "A"}),
                                                            (DPR, 0.90, None, {"attribute": "sex", "worst_group": "M"})], passed=False),
    Case("regression-without-baseline-is-missing", f"  - metric: {DPR}\n    max_regression: 0.02\n", [(DPR, 0.9, None, {})],
         Status.MISSING, [Status.MISSING], WHY_NO_BASELINE, passed=False),
    Case("regression-without-baseline-optional", f"  - metric: {DPR}\n    max_regression: 0.02\n    required: false\n",
         [(DPR, 0.9, None, {})], Status.SKIPPED, [Status.SKIPPED], WHY_NO_BASELINE, passed=True),
    Case("regression-baseline-lacks-record", f"  - metric: {DPR}\n    max_regression: 0.02\n", [(DPR, 0.9, None, {})], Status.MISSING,
         [Status.MISSING], f"the baseline has no matching record of {DPR}", baseline=[(EOD, 0.1, None, {})], passed=False),
    Case("threshold-and-regression-both-judged", f"  - metric: {DPR}\n    min: 0.8\n    max_regression: 0.02\n", [(DPR, 0.85, None, {})],
         Status.FAIL, [Status.FAIL], "regression 0.1 from baseline 0.95 exceeds 0.02", baseline=[(DPR, 0.95, None, {})], passed=False),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_gate_semantics(case: Case):
    text = "name: t\nrules:\n" + case.rule + ("waivers:\n" + case.waivers if case.waivers else "")
    policy = parse_policy_text(text, "t.yaml")
    baseline = audit_of(*case.baseline) if case.baseline is not None else None
    verdict = evaluate(policy, audit_of(*case.records), baseline=baseline, today=TODAY)
    (rule,) = verdict.rules
    assert rule.status is case.status, rule.why
    assert [r.status for r in rule.records] == case.record_statuses
    assert case.why in rule.why
    assert verdict.passed is case.passed
    assert list(verdict.warnings) == case.warnings


def test_verdict_lists_every_rule_and_counts():
    policy = parse_policy_text(f"name: t\nrules:\n  - metric: {DPR}\n    min: 0.8\n  - metric: {EOD}\n    max: 0.1\n    severity: warn\n"
                               "  - metric: pii.records_with_pii\n    max: 0\n", "t.yaml")
    verdict = evaluate(policy, audit_of((DPR, 0.9, (0.85, 0.95), {"attribute": "sex"}), (EOD, 0.3, None, {})), today=TODAY)
    assert [r.rule.metric for r in verdict.rules] == [DPR, EOD, "pii.records_with_pii"]
    assert verdict.counts == {"pass": 1, "warn": 1, "waived": 0, "skipped": 0, "missing": 1, "fail": 0}
    d = verdict.to_dict()
    assert d["schema"] == "rai.verdict/1" and d["passed"] is False and d["status"] == "fail"
    first = d["rules"][0]
    assert first["threshold"] == ">= 0.8" and first["records"][0]["ci"] == [0.85, 0.95]
    assert first["records"][0]["details"] == {"attribute": "sex"} and first["records"][0]["label"] == "attribute=sex"


def test_default_today_is_used_for_waivers():
    policy = parse_policy_text("name: t\nrules:\n" + f"  - metric: {DPR}\n    min: 0.8\n" + "waivers:\n" + WAIVER_ACTIVE.replace("2027-03-01", "2000-01-01"), "t.yaml")
    verdict = evaluate(policy, audit_of((DPR, 0.5, None, {})))
    assert verdict.rules[0].status is Status.FAIL and "expired on 2000-01-01" in verdict.warnings[0]


@pytest.mark.parametrize("field_", ["value", "ci", "baseline"])
def test_non_finite_numbers_in_a_read_audit_fail_closed(field_):
    """NaN compares false against every limit: an audit.json edited to hold NaN must not pass."""
    from rai.audit.result import MetricRecord

    nan = float("nan")
    policy = parse_policy_text(f"name: t\nrules:\n  - metric: {DPR}\n    min: 0.8\n" + ("    bound: ci\n" if field_ == "ci" else "")
                               + ("    max_regression: 0.02\n" if field_ == "baseline" else ""), "t.yaml")
    audit, baseline = AuditResult(), AuditResult()
    audit.metrics.append(MetricRecord(DPR, nan if field_ == "value" else 0.9, "fairness", ci=(nan, 0.95) if field_ == "ci" else None))
    baseline.metrics.append(MetricRecord(DPR, nan, "fairness"))
    verdict = evaluate(policy, audit, baseline=baseline if field_ == "baseline" else None, today=TODAY)
    assert verdict.rules[0].status is Status.FAIL and verdict.passed is False
    assert "nan" not in str(verdict.to_dict())


def test_each_null_record_gives_its_own_reason_from_why_null():
    """The gate reads each record's why_null (audit.json), not the first warning that names the metric."""
    audit = audit_of((DPR, None, None, {"attribute": "sex"}, "a single group"),
                     (DPR, None, None, {"attribute": "race"}, "no positive predictions"))
    audit.warnings = []  # the reasons do not live in the warnings
    verdict = evaluate(parse_policy_text(f"name: p\nrules:\n  - metric: {DPR}\n    min: 0.8\n"), audit, today=TODAY)
    assert [r.why for r in verdict.rules[0].records] == ["value is undefined (null) (a single group)",
                                                         "value is undefined (null) (no positive predictions)"]


def test_min_n_fails_closed_on_too_few_examples():
    """The privacy audit that kept 14 of 60 non-members: a rule with min_n judges such a record insufficient evidence."""
    auc = "privacy.mia.auc"
    audit = AuditResult()
    for n, run in ((20, "small"), (200, "large"), (None, "unsized")):
        audit.add_metric(auc, 0.52, section="privacy", ci=(0.4, 0.64), n=n, details={"run": run})
    rule = f"name: t\nrules:\n  - metric: {auc}\n    max: 0.6\n    min_n: 100\n    details: {{run: RUN}}\n"
    expected = {"small": (Status.FAIL, WHY_SMALL_N.format(n=20, min_n=100)), "large": (Status.PASS, "n 200 >= 100; value 0.52 <= 0.6"),
                "unsized": (Status.FAIL, WHY_NO_N.format(min_n=100))}
    for run, (status, why) in expected.items():
        (result,) = evaluate(parse_policy_text(rule.replace("RUN", run), "t.yaml"), audit, today=TODAY).rules
        assert (result.status, result.records[0].why) == (status, why), run
    optional = parse_policy_text(rule.replace("RUN", "small") + "    required: false\n", "t.yaml")
    (result,) = evaluate(optional, audit, today=TODAY).rules
    assert result.status is Status.SKIPPED  # not required: too little evidence skips, as a null value does
    assert result.rule.threshold_text() == "<= 0.6, n >= 100" and result.to_dict()["min_n"] == 100
    ci = parse_policy_text(rule.replace("RUN", "large").replace("min_n: 100", "bound: ci"), "t.yaml")
    assert evaluate(ci, audit, today=TODAY).rules[0].status is Status.FAIL  # the interval's bound: 0.64 > 0.6


@pytest.mark.parametrize("value", ["0", "2.5", "true", "many"])
def test_min_n_must_be_a_positive_integer(value):
    problems = validate_policy_text(f"name: t\nrules:\n  - metric: {DPR}\n    min: 0.8\n    min_n: {value}\n", "t.yaml")
    assert len(problems) == 1 and "min_n" in str(problems[0]), problems
