"""`rai demo --quick` end to end: the real MiniLM, real audits, gate and report (the one slow test of the demo)."""

import json

import pytest


@pytest.mark.slow
def test_quick_demo_runs_every_step_and_explains_the_verdict(tmp_path, rai):
    out = tmp_path / "demo"
    code, stdout, err = rai("demo", "--quick", "--out", out, "--quiet")
    assert code == 0, err
    audit = json.loads((out / "audit.json").read_text())
    assert set(audit["sections"]) >= {"fairness", "pii", "privacy", "toxicity"}
    ids = {m["id"] for m in audit["metrics"]}
    assert {"privacy.dp.epsilon", "privacy.mia.auc", "fairness.demographic_parity_ratio", "pii.records_with_pii",
            "toxicity.rate"} <= ids
    planted = next(m for m in audit["metrics"] if m["id"] == "pii.records_with_pii")
    assert planted["value"] == 5  # the five planted synthetic records, no more
    eps = next(m for m in audit["metrics"] if m["id"] == "privacy.dp.epsilon")
    assert 0 < eps["value"] <= 8.0 + 1e-9
    one_run = next(m for m in audit["metrics"] if m["id"] == "privacy.audit.epsilon_lower_bound")
    assert one_run["details"]["m"] == 64 and 0 <= one_run["value"] <= eps["value"]  # the audit canaries of the DP run
    assert "one-run ε lower bound" in (out / "report.html").read_text(encoding="utf-8")
    baseline = json.loads((out / "audit-baseline.json").read_text())
    assert next(m for m in baseline["metrics"] if m["id"] == "privacy.dp.epsilon")["value"] is None
    verdict = json.loads((out / "verdict.json").read_text())
    for name in ("report.html", "summary.md", "junit.xml", "commands.sh"):
        assert (out / name).stat().st_size > 0
    assert ("Verdict: PASS" if verdict["passed"] else "Verdict: FAIL") in stdout
    assert str(out / "report.html") in stdout and "exits 0 because it ran" in stdout
    assert "One-run audit (64 audit canaries" in stdout
    # Raw values of the planted PII never reach the outputs.
    for name in ("audit.json", "report.html", "summary.md", "junit.xml"):
        body = (out / name).read_text(encoding="utf-8")
        assert "maria.lopez@example.org" not in body and "4111 1111 1111 1111" not in body


def test_demo_refuses_to_overwrite_a_directory_it_did_not_write(tmp_path, rai):
    (tmp_path / "precious.txt").write_text("keep me")
    code, _, err = rai("demo", "--quick", "--out", tmp_path)
    assert code == 2 and "is not a complete previous output of `rai demo` (no demo.json)" in err
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_demo_refuses_an_out_that_is_a_file(tmp_path, rai):
    target = tmp_path / "notes.txt"
    target.write_text("keep me")
    code, _, err = rai("demo", "--quick", "--out", target)
    assert code == 2 and "is a file (--out); expected a directory" in err
    assert target.read_text() == "keep me"


def test_demo_stopped_by_sigterm_removes_its_output(tmp_path, rai, monkeypatch):
    import os
    import signal
    import time

    from rai.demo import ERR_DEMO_STOPPED
    from rai.training.checkpoint import LoopState

    finish_step = LoopState.finish_step

    def finish_and_signal(self, *args):  # SIGTERM during the first training step of the demo
        finish_step(self, *args)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.05)

    monkeypatch.setattr(LoopState, "finish_step", finish_and_signal)
    out = tmp_path / "demo"
    code, _, err = rai("demo", "--quick", "--out", out, "--quiet")
    assert code == 128 + signal.SIGTERM
    assert err == ERR_DEMO_STOPPED.format(out=out) + "\n"
    assert not out.exists()
