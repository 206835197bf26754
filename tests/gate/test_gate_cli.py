"""`rai gate` and `rai policy`: exit codes 0/1/2, the printed table, the verdict file."""

from __future__ import annotations

import json

from rai.audit.gate import loader as L
from rai.audit.result import AuditResult, write_audit

DPR = "fairness.demographic_parity_ratio"


def write(tmp_path, name, *records):
    r = AuditResult(subject={"model": "m", "inputs": []})
    for metric, value, ci, details in records:
        r.add_metric(metric, value, section=metric.split(".")[0], ci=ci, details=details)
    path = tmp_path / name
    write_audit(path, r)
    return path


def policy_file(tmp_path, body):
    p = tmp_path / "policy.yaml"
    p.write_text("name: mine\nrules:\n" + body)
    return p


def test_gate_pass_prints_table_and_writes_verdict(rai, tmp_path):
    audit = write(tmp_path, "a.json", (DPR, 0.9, (0.85, 0.95), {"attribute": "sex"}), (DPR, 0.82, (0.79, 0.86), {"attribute": "race"}))
    policy = policy_file(tmp_path, f"  - metric: {DPR}\n    min: 0.8\n")
    code, out, err = rai("gate", audit, "--policy", policy, "--verdict", tmp_path / "v.json")
    assert code == 0, err
    import hashlib

    sha = hashlib.sha256(policy.read_bytes()).hexdigest()
    assert out.splitlines()[0] == f"policy mine: {policy}, sha256 {sha}"  # which rules judged, exactly
    lines = out.splitlines()[2:]
    assert lines[0].split() == ["rule", "record", "observed", "[interval]", "threshold", "status", "why"]
    assert f"{DPR}" in lines[2] and " sex " in lines[2] and "0.9 [0.85, 0.95]" in lines[2] and ">= 0.8" in lines[2] and "PASS" in lines[2]
    assert " race " in lines[3] and "0.82 [0.79, 0.86]" in lines[3]
    assert out.rstrip().endswith("PASS: policy mine, 1 rule(s): 1 pass")
    verdict = json.loads((tmp_path / "v.json").read_text())
    assert verdict["policy"]["sha256"] == sha
    assert verdict["passed"] is True and [r["label"] for r in verdict["rules"][0]["records"]] == ["attribute=sex", "attribute=race"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp file left behind


def test_gate_fail_exits_1_and_missing_metric_fails_closed(rai, tmp_path):
    audit = write(tmp_path, "a.json", (DPR, 0.9, None, {}))
    policy = policy_file(tmp_path, f"  - metric: {DPR}\n    min: 0.8\n  - metric: privacy.dp.epsilon\n    max: 8\n")
    code, out, _ = rai("gate", audit, "--policy", policy)
    assert code == 1
    assert "MISSING" in out and "metric privacy.dp.epsilon is not in the audit" in out


def test_gate_bundled_policy_by_name(rai, tmp_path):
    audit = write(tmp_path, "a.json", (DPR, 0.9, None, {}))
    code, out, _ = rai("gate", audit, "--policy", "fairness-ci")
    # equalized odds is absent: a required warn rule still fails closed
    assert code == 1 and "fairness.equalized_odds_difference" in out and "FAIL: policy fairness-ci" in out


def test_gate_regression_against_baseline(rai, tmp_path):
    old = write(tmp_path, "old.json", (DPR, 0.95, None, {"attribute": "sex"}))
    new = write(tmp_path, "new.json", (DPR, 0.90, None, {"attribute": "sex"}))
    policy = policy_file(tmp_path, f"  - metric: {DPR}\n    max_regression: 0.02\n")
    code, out, _ = rai("gate", new, "--policy", policy, "--baseline", old)
    assert code == 1 and "regression 0.05 from baseline 0.95 exceeds 0.02" in out
    code, out, _ = rai("gate", new, "--policy", policy, "--baseline", new)
    assert code == 0


def test_gate_input_errors_exit_2_with_one_line(rai, tmp_path):
    audit = write(tmp_path, "a.json", (DPR, 0.9, None, {}))
    bad = policy_file(tmp_path, f"  - metric: {DPR}\n    minn: 0.8\n  - metric: fairness.nope\n    max: 1\n")
    code, out, err = rai("gate", audit, "--policy", bad, "--verdict", tmp_path / "v.json")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert err.strip() == "rai: error: " + "; ".join([
        f"{bad}:3: " + L.ERR_NO_THRESHOLD.format(where="rules[0]"),
        f"{bad}:4: " + L.ERR_UNKNOWN_KEY.format(where="rules[0]", key="minn", allowed="metric, name, description, min, max, bound, "
                                                "severity, required, max_regression, min_n, details"),
        f"{bad}:5: " + L.ERR_UNKNOWN_METRIC.format(where="rules[1].metric", metric="fairness.nope"),
    ])
    assert not (tmp_path / "v.json").exists()
    code, _, err = rai("gate", tmp_path / "nope.json", "--policy", "default")
    assert code == 2 and "audit file not found" in err
    (tmp_path / "broken.json").write_text('{"schema": "rai.audit/1"')
    code, _, err = rai("gate", tmp_path / "broken.json", "--policy", "default")
    assert code == 2 and "not valid JSON" in err
    code, _, err = rai("gate", audit)
    assert code == 2 and "--policy" in err
    code, _, err = rai("gate", audit, "--policy", "no-such-policy")
    assert code == 2 and "no bundled policy named 'no-such-policy'" in err


def test_gate_prints_hostile_labels_without_control_characters(rai, tmp_path):
    audit = write(tmp_path, "a.json", (DPR, 0.5, None, {"attribute": "s\x1b[2J\nrm", "g": "a\u202egnp"}))
    code, out, _ = rai("gate", audit, "--policy", policy_file(tmp_path, f"  - metric: {DPR}\n    min: 0.8\n"))
    assert code == 1
    assert "\x1b" not in out and "\u202e" not in out and "[U+001B]" in out and "[U+202E]" in out
    assert len(out.splitlines()) == 7  # policy line, blank, header, rule line, one record row, blank, summary


def test_policy_check_list_show(rai, tmp_path):
    code, out, _ = rai("policy", "list")
    assert code == 0 and [line.split()[0] for line in out.splitlines()] == ["default", "fairness-ci", "strict"]
    code, out, _ = rai("policy", "check", "default", "strict", "fairness-ci")
    assert code == 0 and out.count(": ok (policy ") == 3
    code, out, _ = rai("policy", "show", "default")
    assert code == 0 and out.startswith("# rai-suite `default` policy") and "four-fifths" in out.lower()
    good = policy_file(tmp_path, f"  - metric: {DPR}\n    min: 0.8\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"name: b\nrules:\n  - metric: {DPR}\n    min: 0.9\n    max: 0.8\n")
    code, out, err = rai("policy", "check", good, bad)
    assert code == 2 and f"{good}: ok" in out
    assert err.strip() == f"rai: error: {bad}:5: " + L.ERR_MIN_GT_MAX.format(where="rules[0]", min=0.9, max=0.8)
    code, _, err = rai("policy", "frobnicate")
    assert code == 2 and "invalid choice" in err



def test_policy_takes_quiet_and_debug_after_its_action_as_every_command_does(rai):
    for argv in (("list", "--quiet"), ("check", "default", "--debug"), ("show", "strict", "--quiet", "--debug"),
                 ("--quiet", "list")):
        code, out, err = rai("policy", *argv)
        assert (code, err) == (0, ""), argv
