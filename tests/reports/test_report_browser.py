"""The HTML report in a real headless Chromium: hostile strings stay inert (no script runs, no
request leaves the page), and the report renders with its verdict banner visible."""

from __future__ import annotations

import io
import re

import pytest

from rai.audit.gate import evaluate, load_policy, policy_from_dict
from rai.reports import render_html

TITLE = "rai-suite audit report"


def hostile_with_urls(make_audit, port: int):
    """The hostile audit, plus payloads that would fetch from our recording server if they ever became markup."""
    base = f"http://127.0.0.1:{port}"
    payloads = [
        f'<img src="{base}/img-src" onerror="document.title=\'PWNED-onerror\'">',
        f'<link rel="stylesheet" href="{base}/css">',
        f'<iframe src="{base}/frame"></iframe>',
        f'<script src="{base}/script.js"></script>',
        f'<div style="background:url({base}/css-url)">x</div>',
        f'<svg><image href="{base}/svg-image"/></svg>',
        f'</title></svg><meta http-equiv="refresh" content="0;url={base}/refresh">',
        f"<a href=\"javascript:fetch('{base}/js-url')\">click</a>",
    ]
    audit = make_audit(hostile=True)
    audit.sections["fairness"]["views"][0]["attributes"].append(
        {"attribute": payloads[1], "groups": [{"group": p, "count": 1, "metrics": {"selection_rate": {"value": 0.5, "ci": [0.1, 0.9]}}}
                                              for p in payloads]})
    for p in payloads:
        audit.add_metric("fairness.equalized_odds_difference", 0.2, section="fairness", details={"attribute": p})
    audit.warnings += payloads
    audit.subject["model"] = payloads[0]
    return audit, payloads


def test_hostile_strings_render_inert_in_chromium(browser, recording_server, parse_dom, sample_audit, hostile):
    server = recording_server
    audit, payloads = hostile_with_urls(sample_audit, server.port)
    policy = policy_from_dict({"name": hostile["script"], "description": hostile["img"], "rules": [
        {"metric": "fairness.demographic_parity_ratio", "min": 0.8, "name": hostile["svg"]},
        {"metric": "fairness.equalized_odds_difference", "max": 0.1, "details": {"attribute": payloads[0]}},
    ], "waivers": [{"metric": "fairness.equalized_odds_difference", "reason": hostile["script"], "approved_by": hostile["js_url"],
                    "expires": "2999-01-01", "details": {"attribute": payloads[0]}}]}, source=hostile["img"] + ".yaml")
    verdict = evaluate(policy, audit, audit_path=hostile["img"])
    server.page = render_html(audit, verdict, audit_path=hostile["script"] + ".json").encode("utf-8")
    proc = browser("--virtual-time-budget=3000", "--dump-dom", f"http://127.0.0.1:{server.port}/report.html")
    hits = list(server.hits)
    dom = parse_dom(proc.stdout)
    # no script ran: every payload would have renamed the document
    assert dom.title == TITLE and "PWNED" not in proc.stdout.split("</title>")[0]
    # no request but the page itself: nothing was fetched, framed, styled or refreshed from outside
    assert hits == ["/report.html"]
    # the DOM holds no element or attribute the payloads tried to inject
    assert "script" not in dom.tags and not {"iframe", "img", "image", "object", "embed", "a", "base", "form"} & set(dom.tags)
    assert dom.handlers == []
    assert dom.urls == [("link", "href", "data:,")]  # the inline favicon only
    assert dom.tags.count("meta") == 4 and dom.tags.count("link") == 1
    # ...and every payload is there, as visible text
    text = "".join(dom.text)
    for p in payloads + [hostile["script"], hostile["img"], hostile["js_url"]]:
        assert p in text, p
    assert "\u202e" not in text and "abc[U+202E]gnp.exe" in text


def _pixels(png: bytes):
    from PIL import Image

    return Image.open(io.BytesIO(png)).convert("RGB")


@pytest.mark.parametrize("passed", [False, True], ids=["fail-banner", "pass-banner"])
def test_report_renders_with_its_verdict_banner(browser, tmp_path, sample_audit, passed):
    audit = sample_audit()
    rules = [{"metric": "fairness.demographic_parity_ratio", "min": 0.3 if passed else 0.8}]
    verdict = evaluate(policy_from_dict({"name": "p", "rules": rules}), audit)
    assert verdict.passed is passed
    page = tmp_path / "report.html"
    page.write_text(render_html(audit, verdict, audit_path="audit.json"), encoding="utf-8")
    shot = tmp_path / "shot.png"
    browser("--window-size=1200,1600", f"--screenshot={shot}", page.as_uri())
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
    img = _pixels(png)
    assert img.size == (1200, 1600)
    colours = img.getcolors(maxcolors=1 << 20)
    assert len(colours) > 50  # text, tables and charts, not a blank page
    banner = (6, 118, 71) if passed else (180, 35, 24)  # --pass #067647 / --fail #B42318
    top = img.crop((0, 0, 1200, 400))
    count = sum(n for n, c in top.getcolors(maxcolors=1 << 20) if c == banner)
    assert count > 20_000, f"verdict banner colour {banner} covers only {count} pixels"
    white = sum(n for n, c in colours if c == (255, 255, 255))
    assert white < 0.95 * 1200 * 1600


def test_report_prints_to_pdf(browser, tmp_path, sample_audit):
    page = tmp_path / "report.html"
    audit = sample_audit()
    page.write_text(render_html(audit, evaluate(load_policy("default"), audit)), encoding="utf-8")
    pdf = tmp_path / "report.pdf"
    browser("--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri())
    data = pdf.read_bytes()
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", data))
    assert data.startswith(b"%PDF") and pages >= 2, pages  # the whole report, over several A4/Letter pages
