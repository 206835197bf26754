"""The HTML report without a browser: self-contained, escaped, every section shown, robust to
section shapes it does not know; the chart helpers are pure and escape their labels."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rai import reports
from rai.audit.gate import evaluate, load_policy
from rai.audit.result import AuditResult
from rai.reports import render_html
from rai.reports.charts import Bar, Series, Threshold, bar_chart, histogram, line_chart, nice_ticks, render_svg
from rai.reports.blocks import cell_text, generic_blocks
from rai.reports.sections import NOTE_FALLBACK
from rai.reports.view import build_view

TEMPLATES = Path(reports.__file__).with_name("templates")


def test_templates_never_mark_data_safe():
    for path in TEMPLATES.iterdir():
        text = path.read_text()
        assert not re.search(r"\|\s*safe\b|autoescape\s+false|Markup\(", text), path.name
    env = reports.html.environment()
    assert env.autoescape is True


def test_report_is_self_contained_and_complete(sample_audit):
    audit = sample_audit()
    html = render_html(audit, evaluate(load_policy("default"), audit), audit_path="audit.json")
    assert "<script" not in html and "@import" not in html and "url(" not in html
    assert re.findall(r'\b(?:src|href)="([^"]*)"', html) == ["data:,"]
    assert "Content-Security-Policy" in html and "default-src &#39;none&#39;; style-src &#39;unsafe-inline&#39;" in html and "@media print" in html
    assert 'class="banner fail"' in html and "Release gate failed" in html
    for title in ("Fairness", "Privacy", "Personal data (PII)", "Toxicity", "Provenance"):
        assert f"<h2>{title}</h2>" in html
    assert 'id="warnings"' in html and 'id="summary"' in html and '<details class="appendix" id="appendix">' in html
    assert html.count("<svg") >= 4  # disparity ratios, ε bounds, ROC (log-log), score histogram
    assert "Membership inference ROC, log-log" in html and "loss (AUC 0.58)" in html
    assert "Findings by type and column" in html and "Toxicity score distribution (toxicity)" in html
    assert "By sex: rates per group" in html and "By sex: disparity ratios" in html and "min 0.8 (block)" in html


def test_gate_rows_name_the_record_and_fold_its_other_details(sample_audit):
    audit = sample_audit()
    view = build_view(audit, evaluate(load_policy("default"), audit))
    row = next(r for r in view.gate_rows if r.rule == "fairness.demographic_parity_ratio")
    rec = next(m for m in audit.metrics if m.id == row.rule and m.details.get("attribute") == row.label)
    assert row.details and "attribute=" not in row.details and row.record == f"{row.label} ({row.details})"
    assert all(f"{k}=" in row.details for k in rec.details if k != "attribute" and isinstance(rec.details[k], str))
    html = render_html(audit, evaluate(load_policy("default"), audit))
    assert f'<td>{row.label}<details class="record"><summary>details</summary>{row.details}</details></td>' in html


def test_hostile_strings_are_escaped(sample_audit, hostile):
    audit = sample_audit(hostile=True)
    html = render_html(audit, evaluate(load_policy("default"), audit), audit_path=hostile["script"])
    assert "<script" not in html and "<img" not in html and "onerror=\"" not in html
    assert "&lt;script&gt;document.title=&#39;PWNED-script&#39;;&lt;/script&gt;" in html
    assert "\u202e" not in html and "abc[U+202E]gnp.exe" in html
    assert "&lt;/text&gt;&lt;script&gt;" in html  # the SVG break-out attempt stays text


def test_no_policy_gives_a_neutral_banner(sample_audit):
    html = render_html(sample_audit())
    assert 'class="banner none"' in html and "No gate verdict" in html and "<h2>Gate" not in html
    assert "<h3>Metrics</h3>" in html and "more metric record(s)" not in html  # nothing gated: every record in one table


def test_section_tables_show_gated_records_and_fold_the_others(sample_audit):
    audit = sample_audit()
    audit.add_metric("fairness.demographic_parity_difference", 0.31, section="fairness", details={"attribute": "sex"})
    verdict = evaluate(load_policy("default"), audit)
    gated = {r.rule.metric for r in verdict.rules}
    fairness = next(s for s in build_view(audit, verdict).sections if s.title == "Fairness")
    shown, folded = (b for b in fairness.appendix if getattr(b, "kind", "") == "table" and "etrics" in b.title)
    assert shown.title == "Metrics the policy gates" and not shown.fold and {r[0] for r in shown.rows} <= gated
    assert folded.fold.startswith(f"{len(folded.rows)} more metric record(s)") and {r[-1] for r in folded.rows} == {"not gated"}
    n_fairness = sum(m.id.startswith("fairness.") and m.section == "fairness" for m in audit.metrics)
    assert len(shown.rows) + len(folded.rows) == n_fairness
    assert '<details class="more"><summary>' in render_html(audit, verdict)


@pytest.mark.parametrize("section", [
    {},
    {"weird": [1, "two", None, {"three": [3]}], "deep": {"a": {"b": {"c": {"d": {"e": 1}}}}}},
    {"attacks": {"x": {"roc": {"fpr": [0, 1], "tpr": [0]}}}},           # mismatched lengths: not a curve
    {"attacks": {"x": {"roc": {"fpr": ["a", None], "tpr": [0.1, 0.2]}}}},  # non-numbers
    {"labels": {"toxicity": {"histogram": {"edges": [0, 1], "counts": [1, 2, 3]}}}, "threshold": "high"},
    {"labels": "not a mapping", "primary_label": 3, "groups": {"rows": [{"group": None}]}},
    {"attributes": {"sex": {"groups": [{"group": "a", "selection_rate": "n/a", "selection_rate_ci": [1]}]}}},
    {"counts_by_type": {"email": "many"}, "rows": [{"a": i} for i in range(500)]},
    {"1": {"2": [[1, 2], [3, 4]]}, "nan": None, "list_of_lists": [[{"x": 1}]]},
])
@pytest.mark.parametrize("name", ["fairness", "counterfactual", "privacy", "pii", "toxicity", "something_new"])
def test_unknown_section_shapes_render_without_crashing(name, section):
    audit = AuditResult()
    audit.add_section(name, section)
    audit.add_metric("pii.records_with_pii", None, section=name)
    html = render_html(audit, evaluate(load_policy("default"), audit))
    assert html.rstrip().endswith("</html>") and "<h2>" in html
    assert "has a shape this report does not chart" not in html  # handled by the builders themselves, not by the fallback


def test_a_builder_crash_falls_back_to_raw_data_with_a_note(monkeypatch, sample_audit):
    from rai.reports import sections

    def broken(content, ctx):
        raise KeyError("surprise")

    monkeypatch.setitem(sections.SECTION_BUILDERS, "privacy", broken)
    sections = build_view(sample_audit(), None).sections
    privacy = next(s for s in sections if s.name == "privacy")
    notes = [b.text for b in privacy.blocks if b.kind == "note"]
    assert notes == [NOTE_FALLBACK.format(section="privacy", error="KeyError: 'surprise'")]
    assert any(b.kind == "kv" and b.title == "Privacy / attacks / loss" for b in privacy.appendix)


def test_generic_blocks_tables_and_limits():
    blocks = generic_blocks({"n": 3, "tags": ["a", "b"], "rows": [{"a": 1, "b": None}, {"a": 2.123456, "c": {"x": 1}}]}, "S")
    assert blocks[0].kind == "kv" and blocks[0].items == (("n", "3"), ("tags", "a, b"))
    table = blocks[1]
    assert table.title == "S / rows" and table.columns == ("a", "b", "c") and table.rows == (("1", "null", "null"), ("2.123", "null", '{"x": 1}'))
    many = generic_blocks([{"i": i} for i in range(250)], "T")[0]
    assert len(many.rows) == 100 and many.note == "first 100 of 250 rows"
    assert cell_text(list(range(40))).endswith("… (10 more)") and len(cell_text("x" * 1000)) == 300


def test_nice_ticks():
    assert nice_ticks(0, 1) == [0, 0.25, 0.5, 0.75, 1.0]
    assert nice_ticks(0, 8) == [0, 2, 4, 6, 8]
    assert nice_ticks(0.36, 0.48) == [0.4, 0.45]
    assert nice_ticks(-0.2, 0.2) == [-0.2, -0.1, 0.0, 0.1, 0.2]
    assert nice_ticks(1, 1) == [1]


def test_bar_chart_geometry_and_escaping():
    chart = bar_chart([Bar("<b>&", 0.5, 0.4, 0.6, bad="fail"), Bar("null one", None)], title="t<",
                      thresholds=[Threshold(0.8, "min 0.8")], domain=(0.0, 1.0))
    (bar,) = chart.rects
    left, width = 180, 330
    assert bar.x == pytest.approx(left) and bar.w == pytest.approx(0.5 * width) and bar.fill == "#B42318"
    threshold = [ln for ln in chart.lines if ln.dash]
    assert len(threshold) == 1 and threshold[0].x1 == pytest.approx(left + 0.8 * width)
    whiskers = [ln for ln in chart.lines if ln.width == 1.5 and not ln.dash]
    assert {round(ln.x1, 6) for ln in whiskers} == {round(left + 0.4 * width, 6), round(left + 0.6 * width, 6)}
    assert any(t.text == "null (undefined)" for t in chart.texts)
    svg = render_svg(chart)
    assert svg.startswith("<svg") and "&lt;b&gt;&amp;" in svg and "<b>" not in svg and "<title>t&lt;</title>" in svg


def test_line_chart_and_histogram():
    roc = line_chart([Series("a<tt>ack", [0, 0.5, 1], [0, 0.8, 1])], title="ROC", x_label="fpr", y_label="tpr", diagonal=True)
    (curve,) = roc.polylines
    assert curve.points[0] == (54.0, 268.0) and curve.points[-1] == (304.0, 18.0)
    assert "a&lt;tt&gt;ack" in render_svg(roc)
    log = line_chart([Series("s", [0.001, 0.01, 1], [0.002, 0.05, 1])], title="log", x_label="x", y_label="y", log=True)
    assert log.polylines[0].points[-1] == (304.0, 18.0) and any(t.text == "0.001" for t in log.texts)
    many = line_chart([Series("s", list(range(5000)), list(range(5000)))], title="t", x_label="x", y_label="y", domain=(0, 5000))
    assert len(many.polylines[0].points) <= 400
    hist = histogram(counts=[1, 3], edges=[0, 0.5, 1], title="h", x_label="score", threshold=Threshold(0.5, "t"))
    assert [r.fill for r in hist.rects] == ["#0072B2", "#B54708"] and hist.rects[1].h == pytest.approx(140)
    with pytest.raises(ValueError, match="len\\(edges\\) == len\\(counts\\) \\+ 1"):
        histogram(counts=[1, 2], edges=[0, 1], title="h", x_label="x")


def test_counterfactual_pairs_are_charted():
    audit = AuditResult()
    audit.add_section("counterfactual", {"columns": [{"column": "text", "pairs": [
        {"name": "he/she", "texts": 40, "flip_rate": {"value": 0.1, "ci": [0.05, 0.2]}, "mean_abs_delta": {"value": 0.03, "ci": [0.01, 0.05]}},
        {"name": "<b>x</b>", "texts": 0, "flip_rate": {"value": None, "ci": None, "why_null": "no text contains these terms"}},
    ]}]})
    html = render_html(audit)
    assert "<h2>Counterfactual fairness</h2>" in html and "text: flip_rate" in html and "text: mean_abs_delta" in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "null (no text contains these terms)" in html


def test_privacy_section_shows_the_one_run_bound_beside_the_claimed_epsilon():
    def theory(section):
        audit = AuditResult()
        audit.add_section("privacy", section)
        view = next(s for s in build_view(audit, None).sections if s.name == "privacy")
        return {r[0]: r[1:] for r in view.blocks[0].rows}, render_html(audit, None)

    one_run = {"epsilon_lower_bound": 0.4213, "confidence": 0.95, "correct": 48, "guesses": 60, "m": 256}
    rows, html = theory({"guarantee": {"dp": True, "epsilon": 7.5, "delta": 1e-5, "accountant": "prv"}, "one_run": one_run})
    assert rows["ε, proven upper bound"][0] == "7.5" and rows["δ, proven"][0] == "1e-05"
    assert rows["one-run ε lower bound"] == ("0.42", "48 of 60 guesses right on 256 audit canaries, 95% confidence; "
                                            "above the proven ε would break the guarantee")
    assert "Theory beside measurement" in html and "ε: proven upper bound and measured lower bounds" in html
    rows, _ = theory({"guarantee": {"dp": False, "epsilon": None}, "one_run": None})
    assert rows["ε, proven upper bound"] == ("none: trained without DP", "no guarantee")
    assert rows["one-run ε lower bound"] == ("n/a", "not measured (train with --audit-canaries M)")
