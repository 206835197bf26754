"""`rai report`: renders HTML, Markdown and JUnit from a saved audit.json alone, atomically."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from rai.audit.result import write_audit
from rai.cli import report as R


def test_report_writes_all_three_from_a_saved_audit(rai, tmp_path, sample_audit):
    audit_path = tmp_path / "audit.json"
    write_audit(audit_path, sample_audit())
    out = {k: tmp_path / f"out.{k}" for k in ("html", "md", "xml")}
    code, stdout, err = rai("report", audit_path, "--policy", "default", "--html", out["html"], "--markdown", out["md"], "--junit", out["xml"])
    assert code == 0, err
    assert stdout == "" and "wrote" in err and "FAIL: policy default" in err
    html = out["html"].read_text()
    assert html.startswith("<!DOCTYPE html>") and 'class="banner fail"' in html and str(audit_path) in html
    assert out["md"].read_text().startswith("## rai gate: ❌ FAIL (policy default)")
    assert ET.fromstring(out["xml"].read_text()).get("tests") == "9"
    # re-rendering the same saved audit gives the same files
    again = tmp_path / "again.html"
    assert rai("report", audit_path, "--policy", "default", "--html", again)[0] == 0
    assert again.read_text() == html
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_report_without_policy_and_input_errors(rai, tmp_path, sample_audit):
    audit_path = tmp_path / "audit.json"
    write_audit(audit_path, sample_audit())
    code, _, err = rai("report", audit_path, "--html", tmp_path / "r.html")
    assert code == 0 and 'class="banner none"' in (tmp_path / "r.html").read_text()
    code, _, err = rai("report", audit_path)
    assert code == 2 and err.strip() == f"rai: error: {R.ERR_NOTHING}"
    code, _, err = rai("report", audit_path, "--html", tmp_path / "x.html", "--junit", tmp_path / "x.xml")
    assert code == 2 and err.strip() == f"rai: error: {R.ERR_JUNIT_POLICY}"
    assert not (tmp_path / "x.html").exists() and not (tmp_path / "x.xml").exists()
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: b\nrules:\n  - metric: nope.nope\n    max: 1\n")
    code, _, err = rai("report", audit_path, "--policy", bad, "--html", tmp_path / "y.html")
    assert code == 2 and f"{bad}:3:" in err and not (tmp_path / "y.html").exists()
    code, _, err = rai("report", audit_path, "--baseline", audit_path, "--html", tmp_path / "z.html")
    assert code == 2 and "--baseline needs --policy" in err
