"""The evaluation that can fail: the default scanner on text that Faker and Mimesis wrote.

Labels are the generators' values as printed; validity (for the recall on valid-format values) comes
from phonenumbers, python-stdnum and ipaddress, never from the scanner's validators.
"""

import json

import pytest

from benchmarks.pii_eval import (
    ENTITIES,
    ERR_LABEL,
    ERR_RECORD,
    ERR_SPAN,
    STRICT,
    Label,
    LabelledRecord,
    evaluate,
    faker_corpus,
    main,
    mimesis_corpus,
    predict_ours,
    read_labelled,
    score,
)

N = 400  # records per corpus: about 100 labels per type, a few seconds


@pytest.fixture(scope="module")
def evaluations():
    corpora = {"Faker": faker_corpus(N, seed=5), "Mimesis": mimesis_corpus(N, seed=5)}
    return evaluate(corpora, {"rai": (predict_ours(), ENTITIES)})


@pytest.mark.parametrize("corpus", ["Faker", "Mimesis"])
def test_structured_types_reach_the_targets_on_generated_text(evaluations, corpus):
    ev = next(e for e in evaluations if e.corpus == corpus)
    scores, _ = ev.results["rai"]
    n_valid = {e: sum(lab.valid for r in ev.records for lab in r.labels if lab.entity == e) for e in STRICT}
    for entity in STRICT:
        if corpus == "Mimesis" and entity in ("us_ssn", "iban"):
            assert n_valid[entity] == 0  # Mimesis generates neither
            continue
        assert n_valid[entity] >= (15 if entity == "us_ssn" else 40), entity  # SSNs: en_US only
        assert scores.recall_valid(entity) >= 0.99, (entity, scores.fn_valid[entity])
        assert scores.precision(entity) >= 0.99, (entity, scores.fp[entity])


def test_names_and_addresses_are_found_without_a_model(evaluations):
    """Rules do not reach 0.99 on names and addresses; these floors catch a regression (docs/pii.md)."""
    for ev in evaluations:
        scores, _ = ev.results["rai"]
        for entity in ("person", "address"):
            assert scores.recall(entity) >= 0.75, (ev.corpus, entity, scores.recall(entity))
            assert scores.precision(entity) >= 0.9, (ev.corpus, entity, scores.precision(entity))


def test_hard_negatives_are_present_and_unlabelled():
    records = faker_corpus(200, seed=1)
    texts = " ".join(r.text for r in records)
    for marker in ("Version ", "ISBN ", "Tracking 1Z", "Order ", "Commit "):
        assert marker in texts


def test_matching_is_one_to_one_and_typed():
    rec = LabelledRecord("Jane Roe at 555-0100", (Label(0, 8, "person"), Label(12, 20, "phone", valid=False)))
    overlap = score([rec], [[(0, 4, "person"), (5, 8, "person"), (12, 20, "email")]], match="overlap")
    assert (overlap.tp["person"], overlap.fp["person"], overlap.fn["phone"], overlap.fp["email"]) == (1, 1, 1, 1)
    assert overlap.fn_valid["phone"] == 0 and overlap.recall_valid("phone") is None
    exact = score([rec], [[(0, 4, "person"), (0, 8, "person")]], match="exact")
    assert (exact.tp["person"], exact.fp["person"]) == (1, 1)


def test_user_labelled_corpus(tmp_path, capsys):
    good = tmp_path / "mine.jsonl"
    good.write_text(json.dumps({"text": "Mail jane@example.com", "spans": [{"start": 5, "end": 21, "label": "EMAIL_ADDRESS"}]})
                    + "\n\n", encoding="utf-8")
    assert read_labelled(good) == [LabelledRecord("Mail jane@example.com", (Label(5, 21, "email"),))]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"text": "x", "spans": [{"start": 0, "end": 1, "label": "passport"}]}) + "\n")
    assert main(["--records", "8", "--no-presidio", "--labelled", str(bad)]) == 2
    assert capsys.readouterr().err == f"pii_eval: {bad}:1: {ERR_LABEL.format(label='passport', known=', '.join(ENTITIES))}\n"
    for line, what in (("not json", ERR_RECORD), (json.dumps({"spans": []}), ERR_RECORD),
                       (json.dumps({"text": "ab", "spans": [{"start": 1, "end": 5, "label": "person"}]}),
                        ERR_SPAN.format(start=1, end=5))):
        bad.write_text(line + "\n", encoding="utf-8")
        with pytest.raises(ValueError) as err:
            read_labelled(bad)
        assert str(err.value) == f"{bad}:1: {what}"
    assert main(["--records", "40", "--no-presidio", "--labelled", str(good)]) in (0, 1)
    printed = capsys.readouterr().out
    assert "Faker: 40 records" in printed and "Mimesis: 40 records" in printed and f"{good}: 1 records" in printed
