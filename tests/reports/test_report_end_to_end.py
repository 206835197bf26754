"""The whole chain on real audits: `rai audit run` (fairness, pii, toxicity on the shipped census
sentences) → `rai gate` → `rai report`, and the report charts what the real sections hold."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xmlschema

HOSTILE_GROUP = "<script>document.title='x'</script>"


@pytest.mark.slow
def test_audit_run_gate_report(rai, tmp_path):
    eval_csv = Path(str(resources.files("rai").joinpath("data/adult/eval.csv")))
    df = pd.read_csv(eval_csv).head(600)
    rng = np.random.default_rng(0)
    score = np.clip(0.25 + 0.25 * (df.sex == "Male") + rng.normal(0, 0.2, len(df)), 0, 1)
    df["score"], df["prediction"] = score.round(4), (score >= 0.5).astype(int)
    df.loc[:40, "race"] = HOSTILE_GROUP
    df[["id", "label", "prediction", "score", "sex", "race"]].to_csv(tmp_path / "predictions.csv", index=False)
    texts = df[["id", "text"]].head(150).copy()
    texts.loc[3, "text"] += " Contact me at jane.doe@example.com."
    texts.loc[7, "text"] += " you stupid idiot"
    texts.to_csv(tmp_path / "texts.csv", index=False)
    (tmp_path / "audit.yaml").write_text(
        f"out: {tmp_path / 'audit.json'}\nseed: 1\n"
        f"fairness:\n  predictions: {tmp_path / 'predictions.csv'}\n  sensitive: [sex, race]\n  n_boot: 100\n"
        f"pii:\n  paths: [{tmp_path / 'texts.csv'}]\n"
        f"toxicity:\n  path: {tmp_path / 'texts.csv'}\n  backend: profanity-check\n  bootstrap: 100\n")
    code, _, err = rai("audit", "run", "--config", tmp_path / "audit.yaml")
    assert code == 0, err
    audit = json.loads((tmp_path / "audit.json").read_text())
    assert set(audit["sections"]) == {"fairness", "pii", "toxicity"}
    assert {i["path"] for i in audit["subject"]["inputs"]} == {str(tmp_path / "predictions.csv"), str(tmp_path / "texts.csv")}

    code, out, _ = rai("gate", tmp_path / "audit.json", "--policy", "default", "--verdict", tmp_path / "verdict.json")
    assert code == 1 and "pii.records_with_pii" in out and "MISSING" in out  # PII found; no privacy audit ran
    verdict = json.loads((tmp_path / "verdict.json").read_text())
    assert {r["metric"]: r["status"] for r in verdict["rules"]}["pii.records_with_pii"] == "fail"

    files = {"html": tmp_path / "r.html", "markdown": tmp_path / "s.md", "junit": tmp_path / "j.xml"}
    code, _, err = rai("report", tmp_path / "audit.json", "--policy", "default", *[a for k, v in files.items() for a in (f"--{k}", v)])
    assert code == 0, err
    html = files["html"].read_text()
    for title in ("By sex: rates per group", "By sex: disparity ratios", "Findings by type and column",
                  "Toxicity score distribution (profanity)", "fairness.demographic_parity_ratio"):
        assert title in html, title
    assert "<script" not in html and "&lt;script&gt;document.title=&#39;x&#39;&lt;/script&gt;" in html
    assert "jane.doe@example.com" not in html and "jane.doe@example.com" not in files["markdown"].read_text()
    xmlschema.XMLSchema(Path(__file__).with_name("junit.xsd")).validate(str(files["junit"]))
    assert ET.parse(files["junit"]).getroot().get("tests") == str(len(verdict["rules"]))
