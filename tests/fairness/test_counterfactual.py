"""Counterfactual token fairness: term swapping, and the audit on a tiny real BERT (checked by direct recomputation)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from rai.audit.fairness.counterfactual import (ERR_NO_PAIRS, ERR_TERM_EMPTY, ERR_TERM_SAME, Swapper, TermPair, builtin_term_pairs,
                                           load_term_pairs, match_case)
from rai.core.errors import InputError

from fairness_cases import CF_PAIRS, CF_TEXTS

GENDER = [TermPair(a, b) for a, b in CF_PAIRS]
TEXTS = list(CF_TEXTS)


def test_swaps_both_ways_on_word_boundaries_keeping_case():
    sw = Swapper(GENDER)
    assert sw.swap("He said his work was good.") == "She said her work was good."
    assert sw.swap("SHE thanked HIM, and he thanked her.") == "HE thanked HER, and she thanked his."
    assert sw.swap("The hero shelled the theme") == "The hero shelled the theme"
    assert sw.swap("he's a man-made Man") == "she's a woman-made Woman"
    assert not sw.contains("the other hero") and sw.contains("Her idea")
    assert sw.ambiguous == ["her"]  # her -> his (first pair), documented in the section


def test_match_case():
    assert (match_case("he", "she"), match_case("He", "she"), match_case("HE", "she"), match_case("I", "x")) == ("she", "She", "SHE", "X")


def test_builtin_list_has_the_issue_pairs():
    names = {p.name for p in builtin_term_pairs()}
    assert {"he/she", "his/her", "man/woman"} <= names


def test_term_pair_file_errors(tmp_path):
    f = tmp_path / "pairs.csv"
    f.write_text("term_a,term_b\nKing,queen\n")
    assert load_term_pairs(f) == (TermPair("king", "queen"),)
    f.write_text("term_a,term_b\nking,King\n")
    with pytest.raises(InputError) as exc:
        load_term_pairs(f)
    assert str(exc.value) == f"{f}: " + ERR_TERM_SAME.format(row=0, term="king")
    f.write_text("term_a,term_b\nking,\n")
    with pytest.raises(InputError) as exc:
        load_term_pairs(f)
    assert str(exc.value) == f"{f}: " + ERR_TERM_EMPTY.format(row=0)
    f.write_text("term_a,term_b\n")
    with pytest.raises(InputError) as exc:
        load_term_pairs(f)
    assert ERR_NO_PAIRS in str(exc.value) or "no rows" in str(exc.value)
    f.write_text("a,b\nking,queen\n")
    with pytest.raises(InputError, match="missing column"):
        load_term_pairs(f)


@pytest.mark.slow
def test_cli_on_a_tiny_bert_matches_a_direct_recomputation(rai, reactive_bert_dir, tmp_path):
    from rai.training.inference import predict_proba
    from rai.training.models import load_classifier

    texts = tmp_path / "texts.csv"
    pd.DataFrame({"text": TEXTS, "other": ["he"] * len(TEXTS)}).to_csv(texts, index=False)
    pairs = tmp_path / "pairs.csv"
    pd.DataFrame({"term_a": [p.a for p in GENDER], "term_b": [p.b for p in GENDER]}).to_csv(pairs, index=False)
    out = tmp_path / "audit.json"
    code, _, err = rai("audit", "counterfactual", reactive_bert_dir, texts, "--columns", "text", "--term-pairs", pairs,
                       "--n-boot", "200", "--out", out, "--quiet")
    assert code == 0, err
    doc = json.loads(out.read_text())
    (col,) = doc["sections"]["counterfactual"]["columns"]

    # independent recomputation: the same model, each text and its swapped version scored directly
    model, tok = load_classifier(reactive_bert_dir)
    sw = Swapper(GENDER)
    counted = [t for t in TEXTS if t and sw.contains(t)]
    p0 = predict_proba(model, tok, counted)
    p1 = predict_proba(model, tok, [sw.swap(t) for t in counted])
    flips = p0.argmax(1) != p1.argmax(1)
    delta = np.abs(p0[:, 1] - p1[:, 1])  # binary: total variation = |change of P(class 1)|

    assert col["texts"] == len(TEXTS) and col["texts_with_terms"] == len(counted) == 4
    assert col["texts_without_terms"] == 3
    recs = {m["id"]: m for m in doc["metrics"]}
    assert 0 < flips.sum() < len(counted)  # the fixture model does flip some, so the check has teeth
    assert recs["fairness.counterfactual_flip_rate"]["value"] == pytest.approx(flips.mean())
    # scored in other batches (other padding), so equal up to float32 noise
    assert recs["fairness.counterfactual_mean_abs_delta"]["value"] == pytest.approx(delta.mean(), abs=1e-6)
    assert recs["fairness.counterfactual_flip_rate"]["n"] == 4
    lo, hi = recs["fairness.counterfactual_mean_abs_delta"]["ci"]
    assert lo <= delta.mean() <= hi

    # per pair: only that pair's terms swapped, over the texts that contain them
    pairs_out = {p["name"]: p for p in col["pairs"]}
    he = Swapper([GENDER[0]])
    he_texts = [t for t in TEXTS if t and he.contains(t)]
    q0, q1 = predict_proba(model, tok, he_texts), predict_proba(model, tok, [he.swap(t) for t in he_texts])
    assert pairs_out["he/she"]["texts"] == len(he_texts) == 3
    assert pairs_out["he/she"]["mean_abs_delta"]["value"] == pytest.approx(np.abs(q0[:, 1] - q1[:, 1]).mean(), abs=1e-6)
    assert pairs_out["he/she"]["flip_rate"]["value"] == pytest.approx((q0.argmax(1) != q1.argmax(1)).mean())
    assert "man/woman" in pairs_out and pairs_out["man/woman"]["texts"] == 2
    assert doc["sections"]["counterfactual"]["term_pairs"]["ambiguous_terms"] == {"her": "his"}
    assert "He said" not in out.read_text()  # texts stay in the input: only row numbers are reported


def test_cli_bad_inputs_exit_2(rai, tiny_bert_dir, tmp_path):
    texts = tmp_path / "texts.csv"
    pd.DataFrame({"body": ["he is here"]}).to_csv(texts, index=False)
    code, _, err = rai("audit", "counterfactual", tiny_bert_dir, texts, "--out", tmp_path / "a.json")
    assert code == 2 and "missing column(s) text" in err and len(err.strip().splitlines()) == 1
    code, _, err = rai("audit", "counterfactual", tmp_path / "nope", texts, "--columns", "body", "--out", tmp_path / "a.json")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "a.json").exists()


def test_no_text_with_terms_gives_null_not_zero(tiny_bert_dir):
    from rai.audit.fairness.counterfactual import assess_counterfactual

    def scorer(texts):
        raise AssertionError("nothing to score")

    res = assess_counterfactual(pd.DataFrame({"text": ["a good movie", "bad film"]}), ["text"], scorer, GENDER, n_boot=10)
    (rec,) = res.metric_values("fairness.counterfactual_flip_rate")
    assert rec.value is None and rec.n == 0
    assert any("no text contains" in w for w in res.warnings)
