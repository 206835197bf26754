"""Gate bypasses of issue 12: each of these made `rai gate` exit 0 on an audit that must not pass.

A bare policy name is a bundled policy, never a file in the working directory; an audit whose
records are impossible (out of range, reversed or non-covering intervals, negative or fractional
counts, a foreign direction, duplicate keys) is refused with exit 2 by every command that reads one.
"""

from __future__ import annotations

import hashlib
import json

import pytest

from rai import policies
from rai.audit import checks as C
from rai.audit.result import AuditResult, write_audit
from rai.core.documents import ERR_DUPLICATE_KEY, ERR_NON_FINITE, ERR_OVERFLOW

DPR = "fairness.demographic_parity_ratio"
PII = "pii.records_with_pii"
EPS = "privacy.dp.epsilon"
LENIENT = f"name: lenient\nrules:\n  - metric: {DPR}\n    min: 0.0\n"


def failing_audit(path):
    """An audit that every bundled policy fails: a ratio far below the four-fifths rule, PII found."""
    r = AuditResult(subject={"model": "m", "inputs": []})
    r.add_metric(DPR, 0.3, section="fairness", ci=(0.2, 0.4), details={"attribute": "sex"})
    r.add_metric(PII, 12, section="pii", n=100)
    write_audit(path, r)
    return path


def test_a_file_named_like_a_bundled_policy_is_never_read(rai, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    audit = failing_audit(tmp_path / "audit.json")
    (tmp_path / "default").write_text(LENIENT)  # what a pull request could add next to the CI workflow
    code, out, _ = rai("gate", audit, "--policy", "default", "--verdict", tmp_path / "v.json")
    assert code == 1 and "FAIL: policy default" in out
    verdict = json.loads((tmp_path / "v.json").read_text())
    bundled = policies.path("default")
    assert verdict["policy"]["source"] == str(bundled)
    assert verdict["policy"]["sha256"] == hashlib.sha256(bundled.read_bytes()).hexdigest()
    code, out, _ = rai("report", audit, "--policy", "default", "--markdown", tmp_path / "s.md")
    assert code == 0 and "FAIL" in (tmp_path / "s.md").read_text()
    code, out, _ = rai("policy", "check", "default")
    assert code == 0 and out.startswith(f"{bundled}: ok (policy default:")


def test_a_policy_file_is_read_only_when_given_as_a_path(rai, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    audit = failing_audit(tmp_path / "audit.json")
    (tmp_path / "default").write_text(LENIENT)
    (tmp_path / "lenient.yaml").write_text(LENIENT)
    for given in ("./default", str(tmp_path / "default"), "lenient.yaml"):
        code, out, err = rai("gate", audit, "--policy", given)
        assert code == 0 and "PASS: policy lenient" in out, (given, err)
    (tmp_path / "mine").write_text(LENIENT)
    code, out, err = rai("gate", audit, "--policy", "mine")
    names = ", ".join(policies.names())
    assert code == 2 and out == ""
    assert err == "rai: error: " + policies.ERR_UNKNOWN_POLICY.format(name="mine", names=names) + "\n"


def test_the_verdict_names_the_sha256_of_a_policy_file(rai, tmp_path):
    audit = failing_audit(tmp_path / "audit.json")
    policy = tmp_path / "lenient.yaml"
    policy.write_text(LENIENT)
    code, out, _ = rai("gate", audit, "--policy", policy, "--verdict", tmp_path / "v.json")
    sha = hashlib.sha256(policy.read_bytes()).hexdigest()
    assert code == 0 and out.splitlines()[0] == f"policy lenient: {policy}, sha256 {sha}"
    assert json.loads((tmp_path / "v.json").read_text())["policy"]["sha256"] == sha
    code, _, _ = rai("report", audit, "--policy", policy, "--html", tmp_path / "r.html", "--junit", tmp_path / "j.xml",
                     "--markdown", tmp_path / "s.md")
    assert code == 0 and sha in (tmp_path / "r.html").read_text() and f'name="policy_sha256" value="{sha}"' in (tmp_path / "j.xml").read_text()
    assert f"SHA-256 `{sha}`" in (tmp_path / "s.md").read_text()


def _tampered(tmp_path, metric, **fields):
    """A valid audit whose one record is then edited by hand (write_audit would refuse the edit)."""
    r = AuditResult(subject={"model": "m", "inputs": []})
    r.add_metric(metric, 0.9 if metric != PII else 0, section=metric.split(".")[0], ci=(0.85, 0.95) if metric == DPR else None)
    d = r.to_dict()
    d["metrics"][0].update(fields)
    path = tmp_path / "tampered.json"
    path.write_text(json.dumps(d))
    return path


TAMPERED = [  # (metric, edited fields, the problem the reader names)
    (DPR, {"value": 0.3, "ci": [0.85, 0.95]}, C.ERR_VALUE_OUTSIDE_CI.format(value=0.3, lo=0.85, hi=0.95)),
    (DPR, {"value": 0.05, "ci": [0.09, 0.01]}, C.ERR_CI_REVERSED.format(lo=0.09, hi=0.01)),
    (DPR, {"value": 7.5, "ci": None}, C.ERR_VALUE_RANGE.format(value=7.5, range="[0, 1]")),
    (DPR, {"value": 0.9, "ci": [-0.5, 0.95]}, C.ERR_CI_RANGE.format(end="low", value=-0.5, range="[0, 1]")),
    (DPR, {"better": "lower"}, C.ERR_BETTER.format(got="lower", want="higher")),
    (DPR, {"n": -3}, C.ERR_N.format(n=-3)),
    (PII, {"value": -1}, C.ERR_VALUE_RANGE.format(value=-1, range="whole number >= 0")),
    (PII, {"value": 0.5}, C.ERR_VALUE_RANGE.format(value=0.5, range="whole number >= 0")),
    (EPS, {"value": -5}, C.ERR_VALUE_RANGE.format(value=-5, range="[0, inf)")),
    (EPS, {"id": "privacy.dp.epsilon_typo"}, C.ERR_UNKNOWN_METRIC),
]


@pytest.mark.parametrize("metric, fields, problem", TAMPERED, ids=[p.split(" ")[0] + "-" + m for m, _, p in TAMPERED])
@pytest.mark.parametrize("policy", ["default", "strict"])
def test_impossible_records_are_refused_never_judged(rai, tmp_path, metric, fields, problem, policy):
    audit = _tampered(tmp_path, metric, **fields)
    shown_id = fields.get("id", metric)
    code, out, err = rai("gate", audit, "--policy", policy, "--verdict", tmp_path / "v.json")
    assert code == 2 and out == ""
    assert err == f"rai: error: {audit}: " + C.ERR_MEANING.format(problems=f"metrics[0] ({shown_id}): {problem}") + "\n"
    assert not (tmp_path / "v.json").exists()


def test_every_problem_is_named_on_one_line(rai, tmp_path):
    audit = _tampered(tmp_path, DPR, value=7.5, ci=[0.9, 0.1], better="none", n=-2)
    code, _, err = rai("gate", audit, "--policy", "default")
    problems = [C.ERR_BETTER.format(got="none", want="higher"), C.ERR_VALUE_RANGE.format(value=7.5, range="[0, 1]"),
                C.ERR_CI_REVERSED.format(lo=0.9, hi=0.1), C.ERR_N.format(n=-2)]
    assert code == 2 and len(err.splitlines()) == 1
    assert err.strip().endswith(C.ERR_MEANING.format(problems="; ".join(f"metrics[0] ({DPR}): {p}" for p in problems)))


def test_duplicate_json_keys_are_refused(rai, tmp_path):
    audit = _tampered(tmp_path, DPR, value=0.3, ci=None)
    text = audit.read_text().replace('"value": 0.3', '"value": 0.3, "value": 0.99')
    assert text.count('"value"') == 2
    audit.write_text(text)
    code, out, err = rai("gate", audit, "--policy", "default")
    assert code == 2 and out == "" and err == f"rai: error: {audit}: {ERR_DUPLICATE_KEY.format(key='value')}\n"


@pytest.mark.parametrize("number, problem", [("1e400", ERR_OVERFLOW.format(text="1e400")), ("Infinity", ERR_NON_FINITE.format(name="Infinity")),
                                             ("NaN", ERR_NON_FINITE.format(name="NaN"))])
def test_numbers_that_are_not_finite_are_refused(rai, tmp_path, number, problem):
    audit = _tampered(tmp_path, EPS, value=4.0)
    audit.write_text(audit.read_text().replace('"value": 4.0', f'"value": {number}'))
    code, out, err = rai("gate", audit, "--policy", "default")
    assert code == 2 and out == "" and err == f"rai: error: {audit}: {problem}\n"


def test_every_reader_of_an_audit_refuses_a_tampered_one(rai, tmp_path):
    """gate --baseline, report, and an audit's --append read through the same strict reader."""
    bad = _tampered(tmp_path, DPR, value=0.3, ci=[0.85, 0.95])
    good = failing_audit(tmp_path / "good.json")
    expected = f"rai: error: {bad}: " + C.ERR_MEANING.format(
        problems=f"metrics[0] ({DPR}): " + C.ERR_VALUE_OUTSIDE_CI.format(value=0.3, lo=0.85, hi=0.95)) + "\n"
    policy = tmp_path / "p.yaml"
    policy.write_text(f"name: p\nrules:\n  - metric: {DPR}\n    max_regression: 0.5\n")
    runs = [
        ("gate", good, "--policy", policy, "--baseline", bad),
        ("report", bad, "--html", tmp_path / "r.html"),
        ("report", good, "--policy", policy, "--baseline", bad, "--markdown", tmp_path / "s.md"),
    ]
    for argv in runs:
        code, _, err = rai(*argv)
        assert (code, err) == (2, expected), argv
    predictions = tmp_path / "p.csv"
    predictions.write_text("label,prediction,sex\n" + "1,1,a\n0,0,a\n1,0,b\n0,1,b\n" * 10)
    before = bad.read_bytes()
    code, _, err = rai("audit", "fairness", predictions, "--sensitive", "sex", "--n-boot", "0", "--out", bad, "--append")
    assert (code, err) == (2, expected) and bad.read_bytes() == before
    assert not (tmp_path / "r.html").exists() and not (tmp_path / "s.md").exists()


def test_audits_write_only_what_the_gate_reads(tmp_path):
    from rai.core.errors import InputError

    r = AuditResult()
    rec = r.add_metric(DPR, 0.5, section="fairness", ci=(0.6, 0.7))  # a skewed bootstrap can leave its value out
    assert rec.ci == (0.5, 0.7)  # widened to hold it: the interval only grows
    r.add_metric(EPS, -5.0, section="privacy")  # e.g. from a hand-edited privacy.json of a run directory
    with pytest.raises(InputError) as err:
        write_audit(tmp_path / "a.json", r)
    assert str(err.value) == f"{tmp_path / 'a.json'} (not written): " + C.ERR_MEANING.format(
        problems=f"metrics[1] ({EPS}): " + C.ERR_VALUE_RANGE.format(value=-5.0, range="[0, inf)"))
    assert not (tmp_path / "a.json").exists()
