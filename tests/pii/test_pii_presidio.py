"""The optional Presidio backend: real Presidio on a real (tiny, rule-based) spaCy pipeline; and
the default scanner working, with a clear error for --presidio, when Presidio is not installed."""

import json
import sys

import pytest

from rai.audit.pii.presidio_backend import ERR_MODEL_MISSING, ERR_NOT_INSTALLED


@pytest.fixture(scope="module")
def ner_dir(tmp_path_factory):
    """A spaCy pipeline saved to disk whose entity ruler tags names and places (no model download)."""
    spacy = pytest.importorskip("spacy", reason="optional extra 'presidio' (spacy)")
    pytest.importorskip("presidio_analyzer", reason="optional extra 'presidio' (presidio-analyzer)")
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "PERSON", "pattern": [{"LOWER": "jane"}, {"LOWER": "smith"}]},
                        {"label": "GPE", "pattern": "Zurich"},
                        {"label": "PERSON", "pattern": "4111"}])  # a "name" inside a card number
    path = tmp_path_factory.mktemp("ner") / "tiny_ner"
    nlp.to_disk(path)
    return path


@pytest.mark.slow  # importing Presidio imports spaCy, transformers and torch
def test_presidio_findings_merge_with_the_pattern_findings(rai, tmp_path, ner_dir):
    data = tmp_path / "notes.csv"
    data.write_text('text\n"Jane Smith moved to Zurich, mail jane.smith@example.com"\n"card 4111 1111 1111 1111"\n')
    out, findings = tmp_path / "audit.json", tmp_path / "f.jsonl"
    code, _, err = rai("audit", "pii", data, "--presidio", "--spacy-model", ner_dir, "--out", out, "--findings", findings, "--quiet")
    assert code == 0, err
    got = [(f["record"], f["entity"], f["preview"]) for f in map(json.loads, findings.read_text().splitlines())]
    assert got == [(0, "person", "J*** S****"), (0, "location", "Z*****"), (0, "email", "j*********@e******.com"),
                   (1, "credit_card", "**** **** **** 1111")]
    audit = json.loads(out.read_text())
    metrics = {m["id"]: m["value"] for m in audit["metrics"]}
    assert metrics["pii.findings.person"] == 1 and metrics["pii.findings.location"] == 1
    assert audit["sections"]["pii"]["backend"] == "rai+presidio"
    assert "Jane Smith" not in out.read_text() + findings.read_text()


def test_missing_spacy_pipeline_is_an_input_error(rai, tmp_path, ner_dir):
    data = tmp_path / "d.csv"
    data.write_text("text\nhello\n")
    code, _, err = rai("audit", "pii", data, "--presidio", "--spacy-model", tmp_path / "nope", "--out", tmp_path / "o.json")
    assert code == 2 and err == f"rai: error: {ERR_MODEL_MISSING.format(name=tmp_path / 'nope')}\n"


def test_default_scanner_needs_no_presidio(rai, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "presidio_analyzer", None)  # makes `import presidio_analyzer` fail
    monkeypatch.setitem(sys.modules, "spacy", None)
    data = tmp_path / "d.csv"
    data.write_text("text\nmail jane@example.com\n")
    code, _, err = rai("audit", "pii", data, "--out", tmp_path / "o.json", "--quiet")
    assert code == 0, err
    code, _, err = rai("audit", "pii", data, "--presidio", "--out", tmp_path / "p.json")
    assert code == 2 and err == f"rai: error: {ERR_NOT_INSTALLED}\n"
    assert not (tmp_path / "p.json").exists()
