"""The report's layout in a real headless Chromium at 1280 px, on the demo's own audit.json (a saved
quick-demo audit, tests/reports/data): nothing wider than the viewport outside a scrolling table,
no clipped text in the summary cards, and the summary, gate, comparison and sections in under five
screens before the appendix.

The report itself carries no script (and its CSP forbids one), so the test measures a copy: the CSP
meta tag is dropped and a measuring script writes its findings into the DOM, read back with --dump-dom.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from rai.audit.gate import evaluate, load_policy
from rai.audit.result import read_audit
from rai.reports import render_html
from rai.reports.compare import compare

DATA = Path(__file__).parent / "data"
VIEWPORT = (1280, 800)
SCREENS = 5

MEASURE = """<script>
const vw = document.documentElement.clientWidth;
const wide = [], clipped = [];
for (const el of document.querySelectorAll("body *")) {
  if (el.closest(".scroll") || el.closest("details:not([open])")) continue;
  const r = el.getBoundingClientRect();
  if (r.width > 0 && (r.right > vw + 0.5 || r.left < -0.5)) wide.push(el.tagName + "." + el.className + " right=" + Math.round(r.right));
}
for (const el of document.querySelectorAll("#summary, #summary *")) {
  if (el.clientWidth > 0 && (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1))
    clipped.push(el.tagName + "." + el.className + ": " + el.textContent.slice(0, 60));
}
const appendix = document.getElementById("appendix");
document.body.setAttribute("data-layout", JSON.stringify({
  viewport: vw, page_width: document.documentElement.scrollWidth, wide: wide, clipped: clipped,
  before_appendix: Math.round(appendix.getBoundingClientRect().top + window.scrollY)}));
</script>"""


def measured_copy(html: str) -> str:
    without_csp = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html, count=1)
    assert without_csp != html, "the report lost its Content-Security-Policy"
    return without_csp.replace("</body>", MEASURE + "</body>")


def layout(browser, tmp_path: Path, html: str) -> dict:
    page = tmp_path / "measured.html"
    page.write_text(measured_copy(html), encoding="utf-8")
    dom = browser("--dump-dom", f"--window-size={VIEWPORT[0]},{VIEWPORT[1]}", page.as_uri()).stdout
    found = re.search(r'data-layout="([^"]*)"', dom)
    assert found, "the measuring script did not run"
    return json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))


def demo_report() -> str:
    audit, baseline = read_audit(DATA / "demo-audit.json"), read_audit(DATA / "demo-baseline.json")
    policy = load_policy("default")
    verdict = evaluate(policy, audit)
    comparison = compare(audit, baseline, verdict, evaluate(policy, baseline), baseline_path="audit-baseline.json")
    return render_html(audit, verdict, audit_path="audit.json", comparison=comparison)


def test_the_demo_report_fits_1280px_and_five_screens_before_the_appendix(browser, tmp_path):
    got = layout(browser, tmp_path, demo_report())
    assert got["viewport"] <= VIEWPORT[0] and got["page_width"] <= got["viewport"], got
    assert got["wide"] == [], got["wide"]
    assert got["clipped"] == [], got["clipped"]
    assert 0 < got["before_appendix"] < SCREENS * VIEWPORT[1], got["before_appendix"]


def test_the_rich_sample_report_fits_1280px(browser, tmp_path, sample_audit):
    audit = sample_audit(hostile=True)
    got = layout(browser, tmp_path, render_html(audit, evaluate(load_policy("default"), audit)))
    assert got["page_width"] <= got["viewport"] and got["wide"] == [] and got["clipped"] == [], got


def test_the_measuring_copy_can_fail(browser, tmp_path):
    """A page with an element wider than the viewport and a clipped card is caught (the test is not vacuous)."""
    html = demo_report().replace('<section id="summary" class="cards">',
                                 '<div style="width:2000px">wide</div><section id="summary" class="cards">', 1)
    html = html.replace('<div class="value">', '<div class="value" style="overflow:hidden;white-space:nowrap;width:20px">', 1)
    got = layout(browser, tmp_path, html)
    assert got["wide"] and got["clipped"] and got["page_width"] > got["viewport"]
