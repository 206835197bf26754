"""`--ner-model DIR`: a local token-classification checkpoint as a recognizer for names and places.

The model is a tiny random BERT built here whose classifier always answers B-LOC, so every word is
a "location": the test checks the plumbing (spans mapped to whole words, overlap with pattern
findings, masking, counts, redaction, no raw value out), not the accuracy of a model.
"""

import json

import pytest

from rai.audit.pii.ner_backend import ERR_NER_MODEL, entity_of

LABELS = ("O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-MISC")
TEXTS = ["Zurich is far", "mail jane@example.com now", "", "the man"]


@pytest.fixture(scope="module")
def ner_dir(tmp_path_factory):
    import torch
    from tiny_models import bert_vocab
    from transformers import BertConfig, BertForTokenClassification, BertTokenizer

    path = tmp_path_factory.mktemp("tiny-ner")
    vocab = bert_vocab()
    tok = BertTokenizer(vocab={w: i for i, w in enumerate(vocab)}, do_lower_case=True, model_max_length=128)
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=37, max_position_embeddings=128, id2label=dict(enumerate(LABELS)),
                        label2id={label: i for i, label in enumerate(LABELS)})
    torch.manual_seed(0)
    model = BertForTokenClassification(config)
    with torch.no_grad():  # every token: B-LOC, whatever the input
        model.classifier.weight.zero_()
        model.classifier.bias.copy_(torch.tensor([0.0, 0.0, 0.0, 5.0, 0.0, 0.0]))
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return path


def test_labels_map_to_entity_types():
    assert [entity_of(x) for x in ("B-PER", "I-PERSON", "per", "B-LOC", "GPE", "LOCATION", "B-MISC", "O", "B-ORG")] == [
        "person", "person", "person", "location", "location", "location", None, None, None]


def test_ner_model_findings_are_mapped_masked_counted_and_redacted(rai, tmp_path, ner_dir):
    data = tmp_path / "in.csv"
    data.write_text("id,text\n" + "".join(f'{i},"{t}"\n' for i, t in enumerate(TEXTS)), encoding="utf-8")
    out, findings_path, red = tmp_path / "a.json", tmp_path / "f.jsonl", tmp_path / "red.csv"
    code, stdout, stderr = rai("audit", "pii", data, "--ner-model", ner_dir, "--entities", "location,email", "--out", out,
                               "--findings", findings_path, "--redact", red, "--quiet")
    assert code == 0, stderr
    findings = [json.loads(line) for line in findings_path.read_text().splitlines()]
    spans = [(f["record"], TEXTS[f["record"]][f["start"]:f["end"]], f["entity"]) for f in findings]
    # Whole words; the email wins over the words inside it; the empty record has none.
    assert spans == [(0, "Zurich", "location"), (0, "is", "location"), (0, "far", "location"), (1, "mail", "location"),
                     (1, "jane@example.com", "email"), (1, "now", "location"), (3, "the", "location"), (3, "man", "location")]
    assert [f["preview"] for f in findings if f["record"] == 0] == ["Z*****", "**", "f**"]
    audit = json.loads(out.read_text())
    section = audit["sections"]["pii"]
    assert section["backend"] == "rai+ner" and section["entities"] == ["email", "location"]
    metrics = {m["id"]: m["value"] for m in audit["metrics"]}
    assert metrics["pii.findings.location"] == 7 and metrics["pii.findings.email"] == 1
    assert metrics["pii.records_with_pii"] == 3
    assert red.read_text().splitlines()[1:] == ["0,[LOCATION] [LOCATION] [LOCATION]",
                                                "1,[LOCATION] [EMAIL] [LOCATION]", "2,", "3,[LOCATION] [LOCATION]"]
    everything = out.read_text() + findings_path.read_text() + stdout + stderr
    assert not [v for v in ("Zurich", "jane@example.com", "far") if v in everything]


def test_ner_model_must_be_a_token_classifier(rai, tmp_path, tiny_bert_dir):
    data = tmp_path / "in.csv"
    data.write_text("text\nhello\n")
    for bad in (tiny_bert_dir, tmp_path / "missing"):
        code, _, err = rai("audit", "pii", data, "--ner-model", bad, "--out", tmp_path / "o.json")
        assert (code, err) == (2, f"rai: error: {ERR_NER_MODEL.format(path=bad)}\n")
    assert not (tmp_path / "o.json").exists()
