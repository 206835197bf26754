"""Fuzz (hypothesis): the gate never passes an audit that the strict checker rejects.

Documents are generated around a valid audit: each record's value, interval, n and direction
kept or replaced by nearby and impossible numbers, sometimes a duplicated key; policies are
generated from lenient to strict rules on the same metrics, so an unchecked impossible value
would often pass. The rules are restated here, independently of `rai.audit.checks`, as the oracle.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rai.audit.checks import audit_problems
from rai.audit.metric_ids import lookup
from rai.audit.result import AuditResult
from rai.cli.main import main

BASE = [  # (id, value, ci, n, details)
    ("fairness.demographic_parity_ratio", 0.85, (0.8, 0.9), 400, {"attribute": "sex"}),
    ("fairness.equalized_odds_difference", 0.05, (0.02, 0.08), 400, {"attribute": "sex"}),
    ("pii.records_with_pii", 0, None, 1000, {}),
    ("pii.findings.email", 3, None, 1000, {"entity": "email"}),
    ("privacy.dp.epsilon", 4.0, None, None, {}),
    ("privacy.mia.auc", 0.52, (0.49, 0.55), 600, {}),
    ("privacy.canary.exposure_max", 2.5, None, 10, {}),
]


def _base_doc() -> dict:
    r = AuditResult(subject={"model": "m", "inputs": []})
    for metric, value, ci, n, details in BASE:
        r.add_metric(metric, value, section=metric.split(".")[0], ci=ci, n=n, details=details)
    return r.to_dict()


NUMBERS = st.one_of(st.floats(min_value=-2.0, max_value=12.0, allow_nan=False), st.integers(min_value=-3, max_value=20),
                    st.sampled_from([0, 1, 0.0, 1.0, 1e-12, -1e-12, 1 + 1e-12, 1e300]))
MAYBE = st.one_of(st.none(), NUMBERS)


@st.composite
def records(draw, original: dict) -> dict:
    rec = dict(original)
    if draw(st.booleans()):
        return rec  # many records stay valid, so valid documents are generated too
    field = draw(st.sampled_from(["value", "ci", "n", "better", "value+ci"]))
    if field in ("value", "value+ci"):
        rec["value"] = draw(MAYBE)
    if field in ("ci", "value+ci"):
        rec["ci"] = draw(st.one_of(st.none(), st.lists(MAYBE, min_size=2, max_size=2)))
    if field == "n":
        rec["n"] = draw(st.one_of(st.none(), st.integers(min_value=-5, max_value=10_000)))
    if field == "better":
        rec["better"] = draw(st.sampled_from(["higher", "lower", "none"]))
    return rec


@st.composite
def documents(draw) -> tuple[dict, bool]:
    doc = _base_doc()
    doc["metrics"] = [draw(records(m)) for m in doc["metrics"]]
    return doc, draw(st.integers(min_value=0, max_value=9)) == 0  # sometimes a duplicated "value" key


@st.composite
def policies(draw) -> str:
    lines = ["name: fuzz", "rules:"]
    for metric, *_ in draw(st.lists(st.sampled_from(BASE), min_size=1, max_size=4, unique_by=lambda b: b[0])):
        bound = draw(st.sampled_from(["value", "ci"]))
        low = draw(st.sampled_from([None, -1.0e9, 0.0, 0.5, 0.8]))
        high = draw(st.sampled_from([None, 1.0e9, 1.0, 0.1]) if low is None else st.sampled_from([None, 1.0e9]))
        if low is None and high is None:
            high = 1.0e9
        lines += [f"  - metric: {metric}", f"    bound: {bound}", f"    required: {str(draw(st.booleans())).lower()}"]
        lines += [f"    min: {low!r}"] if low is not None else []
        lines += [f"    max: {high!r}"] if high is not None else []
    return "\n".join(lines) + "\n"


def _ok_number(x) -> bool:
    return x is None or (isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x))


def oracle_rejects(doc: dict, duplicate: bool) -> bool:
    """The issue's rules, restated: range, whole counts, ordered covering intervals, n >= 0, direction."""
    if duplicate:
        return True
    for rec in doc["metrics"]:
        spec = lookup(rec["id"])
        low, high = spec.range.low, spec.range.high
        value, ci, n = rec.get("value"), rec.get("ci"), rec.get("n")
        ends = [e for e in (ci or []) if e is not None]
        if rec.get("better", spec.better) != spec.better:
            return True
        if value is not None and (not low <= value <= high or (spec.range.count and value != int(value))):
            return True
        if any(not low <= e <= high for e in ends):
            return True
        if ci is not None and None not in ci and ci[0] > ci[1]:
            return True
        if value is not None and ci is not None and ((ci[0] is not None and value < ci[0]) or (ci[1] is not None and value > ci[1])):
            return True
        if n is not None and n < 0:
            return True
    return False


def _gate(doc: dict, duplicate: bool, policy: str) -> tuple[int, str]:
    text = json.dumps(doc)
    if duplicate:
        text = text.replace('"value": ', '"value": 0.5, "value": ', 1)
    with tempfile.TemporaryDirectory() as tmp:
        audit, pol = Path(tmp) / "audit.json", Path(tmp) / "policy.yaml"
        audit.write_text(text)
        pol.write_text(policy)
        err = io.StringIO()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            code = main(["gate", str(audit), "--policy", str(pol)])
    return code, err.getvalue()


@settings(max_examples=150, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents(), policies())
def test_the_gate_never_passes_an_audit_the_strict_checker_rejects(document, policy):
    doc, duplicate = document
    assert all(_ok_number(x) for rec in doc["metrics"] for x in [rec.get("value"), *(rec.get("ci") or [])])
    rejected = oracle_rejects(doc, duplicate)
    if not duplicate:
        assert bool(audit_problems(doc)) == rejected  # the checker agrees with the restated rules
    code, err = _gate(doc, duplicate, policy)
    if rejected:
        assert code == 2 and len(err.splitlines()) == 1, err
    else:
        assert code in (0, 1), err  # a valid audit is judged, never refused


TOKENS = ["", "~", "-5", "1e999", ".nan", ".inf", "0.8", "[", "{", "&a x", "*a", "<<: *a", "[[[[[[", "'", "\t", "\x1b[2J",
          "null", "true", "2027-13-45", "fairness.nope", "{min: 1}", "[0.1, 0.2]", "x: y: z"]


@st.composite
def policy_texts(draw) -> str:
    """The bundled default policy, line by line: lines dropped, doubled, or with a value replaced by a hostile token."""
    from rai import policies

    lines = policies.path("default").read_text(encoding="utf-8").splitlines()
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        i = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        action = draw(st.sampled_from(["drop", "double", "value", "append"]))
        token = draw(st.sampled_from(TOKENS))
        if action == "drop":
            del lines[i]
        elif action == "double":
            lines.insert(i, lines[i])
        elif action == "value" and ":" in lines[i]:
            lines[i] = lines[i].split(":", 1)[0] + ": " + token
        else:
            lines.insert(i, token)
        if not lines:
            lines = [token]
    return "\n".join(lines) + "\n"


@settings(max_examples=100, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(policy_texts())
def test_a_mangled_policy_is_judged_or_refused_never_a_crash(policy):
    doc = _base_doc()
    code, err = _gate(doc, False, policy)
    assert code in (0, 1, 2) and "internal error" not in err, err
    assert code != 2 or len(err.splitlines()) == 1
