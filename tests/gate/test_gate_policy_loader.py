"""Policy validation: every problem at once, each with file:line, in the documented words."""

from __future__ import annotations

import datetime as dt

import pytest

from rai import policies
from rai.audit.gate import Bound, Severity, load_policy, parse_policy_text, policy_from_dict, validate_policy_text
from rai.audit.gate import loader as L
from rai.core.errors import InputError

GOOD = """\
name: release
description: Gates a model for release.
rules:
  - metric: fairness.demographic_parity_ratio
    min: 0.8            # the four-fifths rule
    bound: ci
    severity: block
  - metric: privacy.dp.epsilon
    max: 8
  - metric: pii.records_with_pii
    max: 0
  - metric: fairness.equalized_odds_difference
    max: 0.1
    severity: warn
    required: false
    details: {attribute: sex}
waivers:
  - metric: fairness.equalized_odds_difference
    reason: Known label noise in the evaluation set; fix tracked separately.
    approved_by: data-governance
    expires: 2027-03-01
"""


def test_design_example_parses():
    p = parse_policy_text(GOOD, "release.yaml")
    assert p.name == "release" and len(p.rules) == 4 and len(p.waivers) == 1
    r = p.rules[0]
    assert (r.metric, r.min, r.max, r.bound, r.severity, r.required, r.line) == \
        ("fairness.demographic_parity_ratio", 0.8, None, Bound.CI, Severity.BLOCK, True, 4)
    assert p.rules[1].bound is Bound.VALUE and p.rules[1].severity is Severity.BLOCK  # defaults
    assert p.rules[3].required is False and p.rules[3].details == {"attribute": "sex"}
    w = p.waivers[0]
    assert w.expires == dt.date(2027, 3, 1) and w.approved_by == "data-governance" and w.line == 18


def problems(text: str) -> list[str]:
    return [str(p) for p in validate_policy_text(text, "p.yaml")]


def test_every_problem_is_reported_with_its_line_in_one_go():
    text = """\
name: bad
rules:
  - metric: fairness.demographic_parity_ratio
    min: 0.9
    max: 0.8
    bound: interval
  - metric: fairness.no_such_metric
    maxx: 3
  - metric: privacy.dp.delta
    max: 1e-5
    required: yes please
waivers:
  - metric: pii.records_with_pii
    reason: ok
    expires: 2027-02-30
extra: 1
"""
    assert problems(text) == [
        "p.yaml:5: " + L.ERR_MIN_GT_MAX.format(where="rules[0]", min=0.9, max=0.8),
        "p.yaml:6: " + L.ERR_CHOICE.format(where="rules[0].bound", choices="value, ci", got="interval"),
        "p.yaml:7: " + L.ERR_NO_THRESHOLD.format(where="rules[1]"),
        "p.yaml:7: " + L.ERR_UNKNOWN_METRIC.format(where="rules[1].metric", metric="fairness.no_such_metric"),
        "p.yaml:8: " + L.ERR_UNKNOWN_KEY.format(where="rules[1]", key="maxx",
                                                allowed="metric, name, description, min, max, bound, severity, required, max_regression, min_n, details"),
        "p.yaml:10: " + L.ERR_TYPE.format(where="rules[2].max", expected="a number", got="string '1e-5'") + L.HINT_EXPONENT,
        "p.yaml:11: " + L.ERR_TYPE.format(where="rules[2].required", expected="true or false", got="string 'yes please'"),
        "p.yaml:13: " + L.ERR_REQUIRED.format(where="waivers[0]", key="approved_by"),
        "p.yaml:13: " + L.ERR_UNUSED_WAIVER.format(where="waivers[0]", metric="pii.records_with_pii"),
        "p.yaml:15: " + L.ERR_DATE.format(where="waivers[0].expires", got="2027-02-30"),
        "p.yaml:16: " + L.ERR_UNKNOWN_KEY.format(where="the policy", key="extra", allowed="name, description, rules, waivers, monitoring"),
    ]
    with pytest.raises(InputError) as exc:
        parse_policy_text(text, "p.yaml")
    message = str(exc.value)
    assert "\n" not in message and message == "; ".join(problems(text))


@pytest.mark.parametrize("text, expected", [
    ("name: x\nrules: []\n", "p.yaml:2: " + L.ERR_EMPTY.format(where="rules")),
    ("rules:\n  - metric: pii.records_with_pii\n    max: 0\n", "p.yaml:1: " + L.ERR_REQUIRED.format(where="the policy", key="name")),
    ("name: x\nrules:\n  - pii.records_with_pii\n", "p.yaml:3: " + L.ERR_TYPE.format(where="rules[0]", expected="a mapping",
                                                                                      got="string 'pii.records_with_pii'")),
    ("name: x\nrules:\n  - metric: pii.records_with_pii\n    max: true\n",
     "p.yaml:4: " + L.ERR_TYPE.format(where="rules[0].max", expected="a number", got="boolean True")),
    ("name: x\nrules:\n  - metric: pii.records_with_pii\n    max: .nan\n",
     "p.yaml:4: " + L.ERR_NOT_FINITE.format(where="rules[0].max", got="nan")),
    ("name: x\nrules:\n  - metric: pii.records_with_pii\n    max_regression: -1\n",
     "p.yaml:4: " + L.ERR_MINIMUM.format(where="rules[0].max_regression", minimum=0, got=-1)),
    ("name: x\nrules:\n  - metric: pii.records_with_pii\n    severity: fatal\n    max: 0\n",
     "p.yaml:4: " + L.ERR_CHOICE.format(where="rules[0].severity", choices="block, warn", got="fatal")),
    ("name: x\nrules:\n  - metric: pii.records_with_pii\n    max: 0\n    max: 1\n",
     "p.yaml:5: " + L.ERR_DUPLICATE_KEY.format(where="rules[0]", key="max")),
    ("name: x\nrules:\n  - metric: pii.records_with_pii\n    max: 0\nwaivers:\n  - metric: pii.records_with_pii\n"
     "    reason: r\n    approved_by: a\n    expires: next week\n",
     "p.yaml:9: " + L.ERR_DATE.format(where="waivers[0].expires", got="next week")),
    ("name: x\nrules:\n  - metric: pii.records_with_pii\n    max: 0\n    details: {}\n", "p.yaml:5: " + L.ERR_EMPTY.format(where="rules[0].details")),
    ("name: x\nrules:\n  - metric: [\n", "p.yaml:4: " + L.ERR_YAML.format(problem="expected the node content, but found '<stream end>'")),
    ("- just\n- a list\n", "p.yaml:1: " + L.ERR_NOT_MAPPING),
    ("", "p.yaml: " + L.ERR_NOT_MAPPING),
])
def test_single_problem_messages_verbatim(text, expected):
    assert problems(text) == [expected]


def test_unknown_metric_ids_in_wildcard_families_are_checked_per_segment():
    ok = "name: x\nrules:\n  - metric: pii.findings.email\n    max: 0\n  - metric: toxicity.rate.insult\n    max: 0.1\n"
    assert problems(ok) == []
    assert problems("name: x\nrules:\n  - metric: pii.findings.email.extra\n    max: 0\n") == [
        "p.yaml:3: " + L.ERR_UNKNOWN_METRIC.format(where="rules[0].metric", metric="pii.findings.email.extra")]


def test_regression_rule_needs_a_direction(monkeypatch):
    from rai.audit.metric_ids import MetricSpec, Range

    text = "name: x\nrules:\n  - metric: fairness.demographic_parity_ratio\n    max_regression: 0.02\n"
    assert problems(text) == []
    # every documented id has a direction today; an id without one cannot carry a regression rule
    monkeypatch.setattr(L, "lookup", lambda m: MetricSpec(m, "a count", Range(0.0, count=True), "none"))
    assert problems(text) == ["p.yaml:4: " + L.ERR_NO_DIRECTION.format(where="rules[0]", metric="fairness.demographic_parity_ratio")]


def test_policy_from_dict_validates_without_lines():
    with pytest.raises(InputError) as exc:
        policy_from_dict({"name": "nb", "rules": [{"metric": "fairness.nope", "min": 1}]}, source="notebook")
    assert str(exc.value) == "notebook: " + L.ERR_UNKNOWN_METRIC.format(where="rules[0].metric", metric="fairness.nope")
    p = policy_from_dict({"name": "nb", "rules": [{"metric": "pii.records_with_pii", "max": 0}]})
    assert p.rules[0].max == 0


@pytest.mark.parametrize("name", ["default", "strict", "fairness-ci"])
def test_bundled_policies_validate_and_justify_every_threshold(name):
    path = policies.path(name)
    text = path.read_text(encoding="utf-8")
    assert validate_policy_text(text, str(path)) == []
    policy = load_policy(name)
    assert policy.name == name and policy.description
    lines = text.splitlines()
    for rule in policy.rules:  # the line above each rule's first line is a comment (its source)
        above = lines[rule.line - 2].strip()
        assert above.startswith("#"), f"{name}.yaml:{rule.line}: rule on {rule.metric} has no comment giving its source"


def test_bundled_policies_are_listed_and_unknown_names_refused():
    assert policies.names() == ["default", "fairness-ci", "strict"]
    with pytest.raises(InputError) as exc:
        load_policy("defualt")
    assert str(exc.value) == policies.ERR_UNKNOWN_POLICY.format(name="defualt", names="default, fairness-ci, strict")
    with pytest.raises(InputError, match="policy file not found"):
        load_policy("missing/policy.yaml")
