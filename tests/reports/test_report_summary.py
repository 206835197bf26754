"""The summary cards, the sentences that explain each finding, the one reader of section values
(`rai.reports.stats.stat`), the per-audit section designs, and `rai report --compare`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rai.audit.gate import evaluate, load_policy
from rai.audit.result import AuditResult, MetricRecord, read_audit, write_audit
from rai.core.outputs import ERR_IS_INPUT
from rai.reports import render_html, render_markdown
from rai.reports.compare import compare
from rai.reports.explain import AREAS, NOT_AUDITED, cards, paragraphs
from rai.reports.stats import Stat, stat
from rai.reports.view import build_view

DATA = Path(__file__).parent / "data"


# --- stat: one reader for every interval convention ------------------------------------------------
@pytest.mark.parametrize("node, key, expected", [
    ({"m": {"value": 0.4, "ci": [0.3, 0.5], "n": 10}}, "m", Stat(0.4, (0.3, 0.5), 10)),
    ({"m": {"value": None, "ci": None, "why_null": "no rows"}}, "m", Stat(None, None, None, "no rows")),
    ({"auc": 0.58, "auc_ci": [0.55, 0.61]}, "auc", Stat(0.58, (0.55, 0.61))),
    ({"auc": 0.58, "ci_auc": [0.55, 0.61]}, "auc", Stat(0.58, (0.55, 0.61))),
    ({"rate": 0.2, "ci": {"rate": [0.1, 0.3]}}, "rate", Stat(0.2, (0.1, 0.3))),
    ({"rate": 0.2, "rate_low": 0.1, "rate_high": 0.3}, "rate", Stat(0.2, (0.1, 0.3))),
    ({"rate": True}, "rate", Stat(None)),
    ({"rate": float("nan")}, "rate", Stat(None)),
    ({"value": 0.9, "ci": [0.8, 1.0]}, None, Stat(0.9, (0.8, 1.0))),
])
def test_stat_reads_every_interval_convention(node, key, expected):
    assert stat(node, key) == expected


def test_stat_of_a_metric_record():
    assert stat(MetricRecord("x", 0.5, "s", ci=(0.4, 0.6), n=7)) == Stat(0.5, (0.4, 0.6), 7)


# --- cards and sentences ---------------------------------------------------------------------------------
def test_one_card_per_area_with_number_interval_rule_and_meaning(sample_audit):
    audit = sample_audit()
    verdict = evaluate(load_policy("default"), audit)
    got = {c.area: c for c in cards(audit, verdict)}
    assert tuple(got) == AREAS
    fair = got["fairness"]
    assert (fair.value, fair.interval, fair.status) == ("0.42", "95% interval 0.36 to 0.48", "fail")
    assert fair.rule == "fairness.demographic_parity_ratio: >= 0.8" and fair.headline == "parity ratio, sex"
    assert fair.meaning.startswith("By sex, Female is selected at 0.42 [0.36, 0.48] times the rate of Male")
    assert got["privacy"].value == "7.50" and "(7.50, 1e-05)-differential privacy" in got["privacy"].meaning
    assert "membership-inference AUC 0.58 [0.55, 0.61]" in got["privacy"].meaning
    assert got["pii"].value == "3" and got["pii"].status == "fail" and "3 of 1000 record(s) (0.3%) hold PII (email 3, phone 1)" in got["pii"].meaning
    assert got["toxicity"].value == "0.01" and got["toxicity"].status == "pass"
    html = render_html(audit, verdict)
    assert html.index('id="summary"') < html.index('id="gate"') and html.count('class="card ') == 4
    assert "By sex, Female is selected at 0.42" in html
    md = render_markdown(audit, verdict)
    assert "- **Fairness**: parity ratio, sex 0.42 (95% interval 0.36 to 0.48), ❌ fail" in md


def test_an_area_without_an_audit_says_so_and_no_policy_judges_nothing():
    audit = AuditResult()
    audit.add_metric("toxicity.rate", 0.2, section="toxicity", ci=(0.1, 0.3), n=50, details={"label": "toxicity", "threshold": 0.5})
    got = {c.area: c for c in cards(audit, None)}
    assert got["privacy"].meaning == NOT_AUDITED.format(area="privacy") and got["privacy"].value == "n/a"
    assert got["toxicity"].status == "none" and got["toxicity"].rule == ""
    assert got["toxicity"].meaning == "20.0% of 50 texts score at or above 0.5 on toxicity."


def test_paragraphs_explain_the_demo_audit_beside_its_baseline():
    audit, baseline = read_audit(DATA / "demo-audit.json"), read_audit(DATA / "demo-baseline.json")
    found = paragraphs(audit, evaluate(load_policy("default"), audit), baseline)
    assert set(found) == {"verdict", "privacy", "one_run", "fairness", "pii", "toxicity"}
    assert found["verdict"].startswith("Verdict: FAIL under the `default` policy (3 blocking rule(s)")
    assert "against 0.55 [0.48, 0.60] for the baseline" in found["privacy"]
    assert found["one_run"].startswith("One-run audit (64 audit canaries") and "beside the claimed 8.00" in found["one_run"]
    assert "5 of 240 record(s)" in found["pii"] and "profanity-check" in found["toxicity"]


# --- section designs -------------------------------------------------------------------------------------
def test_fairness_matrix_colours_cells_by_distance_from_the_reference(sample_audit):
    audit = sample_audit()
    audit.sections["fairness"]["views"][0]["attributes"][1]["groups"].append(
        {"group": "Tiny", "count": 3, "small": True, "missing": False, "metrics": {"selection_rate": {"value": 1.0, "ci": None}}})
    fairness = next(s for s in build_view(audit, None).sections if s.name == "fairness")
    sex, race = (b for b in fairness.blocks if b.kind == "matrix")
    assert sex.columns == ("group", "rows", "selection rate", "true positive rate")
    female, male = sex.rows
    assert male[0].text == "Male (reference)" and {c.tone for c in male[2:]} == {"ref"}
    assert female[2].text == "0.110" and female[2].interval == "[0.090, 0.130]" and female[2].tone == "far"  # 0.11 vs 0.26
    assert female[3].tone == "mid"  # 0.55 vs 0.62
    assert [r[0].text for r in race.rows] == ["White (reference)", "Black"] and "Tiny (n = 3)" in race.note
    assert race.rows[1][3].text == "null" and race.rows[1][3].interval == "no positive labels"


def test_delta_is_not_drawn_on_a_unit_axis_and_pii_examples_stay_masked(sample_audit):
    audit = sample_audit()
    audit.add_metric("privacy.dp.delta", 1e-5, section="privacy")
    html = render_html(audit, evaluate(load_policy("default"), audit))
    assert "privacy.dp.delta" not in [t for t in html.split("<title>")[1:] if t.startswith("privacy.dp.delta")]
    assert "<title>privacy.dp.delta" not in html
    audit.sections["pii"]["examples"] = [{"entity": "email", "column": "text", "record": 3, "score": 1.0, "preview": "j***@e***.com",
                                          "value": "jane@example.com"}]
    assert "jane@example.com" not in render_html(audit) and "j***@e***.com" in render_html(audit)
    audit.sections["pii"]["revealed"] = True  # the audit was run with --reveal: the value is shown, and said so
    html = render_html(audit)
    assert "jane@example.com" in html and "RAW values" in html


# --- rai report --compare ---------------------------------------------------------------------------------
def _pair(tmp_path, sample_audit):
    current, old = sample_audit(), sample_audit(seed=1)
    old.metrics = [m for m in old.metrics if m.id != "fairness.demographic_parity_ratio"]
    old.add_metric("fairness.demographic_parity_ratio", 0.91, section="fairness", ci=(0.85, 0.97), n=6000,
                   details={"attribute": "sex", "worst_group": "Female", "reference_group": "Male"})
    old.add_metric("fairness.demographic_parity_ratio", 0.86, section="fairness", ci=(0.70, 1.0), n=5600,
                   details={"attribute": "race", "worst_group": "Black", "reference_group": "White"})
    write_audit(tmp_path / "audit.json", current)
    write_audit(tmp_path / "baseline.json", old)
    return current, old


def test_compare_lists_deltas_and_the_rules_that_changed_status(tmp_path, sample_audit):
    current, old = _pair(tmp_path, sample_audit)
    policy = load_policy("default")
    cmp = compare(current, old, evaluate(policy, current), evaluate(policy, old), baseline_path="baseline.json")
    assert [(r.rule, r.baseline, r.current) for r in cmp.changed_rules] == [("fairness.demographic_parity_ratio", "pass", "fail")]
    sex = next(m for m in cmp.metrics if m.metric == "fairness.demographic_parity_ratio" and m.record == "sex")
    assert (sex.current, sex.baseline, sex.delta, sex.gated) == ("0.42 [0.36, 0.48]", "0.91 [0.85, 0.97]", "−0.49", True)
    race = next(m for m in cmp.metrics if m.metric == "fairness.demographic_parity_ratio" and m.record == "race")
    assert race.delta == "0"
    assert cmp.metrics[0].gated and not any(m.metric == "toxicity.probability" for m in cmp.metrics)  # null in both: left out


def test_rai_report_compare_writes_html_and_markdown(rai, tmp_path, sample_audit):
    _pair(tmp_path, sample_audit)
    before = (tmp_path / "baseline.json").read_bytes()
    code, _, err = rai("report", tmp_path / "audit.json", "--compare", tmp_path / "baseline.json", "--policy", "default",
                       "--html", tmp_path / "r.html", "--markdown", tmp_path / "s.md")
    assert code == 0, err
    html, md = (tmp_path / "r.html").read_text(), (tmp_path / "s.md").read_text()
    assert f"Compared with {tmp_path / 'baseline.json'}" in html and "1 of 9 rule(s) changed status" in html
    assert "fairness.demographic_parity_ratio (pass → fail)" in html and "<th class=\"c-st\">baseline</th>" in html
    assert "1 of 9 rule(s) changed status." in md and "| **fairness\\.demographic\\_parity\\_ratio** | ✅ pass | ❌ fail |" in md
    assert (tmp_path / "baseline.json").read_bytes() == before


def test_compare_baseline_is_an_input_read_strictly(rai, tmp_path, sample_audit):
    _pair(tmp_path, sample_audit)
    before = (tmp_path / "baseline.json").read_bytes()
    code, _, err = rai("report", tmp_path / "audit.json", "--compare", tmp_path / "baseline.json", "--html", tmp_path / "baseline.json",
                       "--force")
    assert code == 2 and ERR_IS_INPUT.format(flag="--html") in err and (tmp_path / "baseline.json").read_bytes() == before
    (tmp_path / "broken.json").write_text('{"schema": "rai.audit/1", "metrics": [], "metrics": []}')
    code, _, err = rai("report", tmp_path / "audit.json", "--compare", tmp_path / "broken.json", "--html", tmp_path / "r.html")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "broken.json" in err and not (tmp_path / "r.html").exists()


def test_report_renders_outside_the_source_tree(tmp_path, sample_audit):
    """The templates load from the installed package, not from a `reports` folder in the working directory."""
    write_audit(tmp_path / "audit.json", sample_audit())
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run([sys.executable, "-m", "rai", "report", "audit.json", "--html", "r.html"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "r.html").read_text().startswith("<!DOCTYPE html>")
