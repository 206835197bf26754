"""Texts quoted by other audits (toxicity examples) and the report never carry raw PII values."""

import pandas as pd

from rai.audit.pii import mask_pii

RAW = ["jane.doe@example.org", "4111 1111 1111 1111", "GB82 WEST 1234 5698 7654 32"]


def test_mask_pii_keeps_text_and_hides_values():
    texts = [f"you idiot, write to {RAW[0]}", f"card {RAW[1]} and iban {RAW[2]}", "nothing here"]
    masked = mask_pii(texts)
    assert masked[2] == "nothing here"
    assert masked[0].startswith("you idiot, write to ")
    for value in RAW:
        assert all(value not in m for m in masked)
    assert "1111" in masked[1]  # cards keep at most their last four digits


def test_toxicity_examples_and_report_mask_pii(tmp_path, rai):
    texts = [f"you stupid idiot, mail {RAW[0]}", f"damn it, pay to {RAW[1]}", f"shit, iban {RAW[2]}", "a kind note"]
    pd.DataFrame({"text": texts, "g": ["a", "b", "a", "b"]}).to_csv(tmp_path / "t.csv", index=False)
    out = tmp_path / "audit.json"
    code, _, err = rai("audit", "toxicity", tmp_path / "t.csv", "--backend", "profanity-check", "--group-column", "g",
                       "--bootstrap", "50", "--out", out)
    assert code == 0, err
    code, _, err = rai("report", out, "--html", tmp_path / "r.html", "--markdown", tmp_path / "s.md")
    assert code == 0, err
    for path in (out, tmp_path / "r.html", tmp_path / "s.md"):
        body = path.read_text(encoding="utf-8")
        for value in RAW:
            assert value not in body, f"{value} leaked into {path.name}"
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Content warning" in html and "<details" in html
