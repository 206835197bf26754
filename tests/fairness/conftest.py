"""Synthetic predictions with known structure, shared by the fairness tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fairness_cases import CF_PAIRS, CF_TEXTS


def make_predictions(n: int = 4000, seed: int = 0, *, with_score: bool = True) -> pd.DataFrame:
    """Binary labels and predictions with a sex effect, three races (one small), some missing race values."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(["Male", "Female"], size=n, p=[0.6, 0.4])
    race = rng.choice(["White", "Black", "Asian", "Other"], size=n, p=[0.7, 0.2, 0.095, 0.005]).astype(object)
    race[rng.random(n) < 0.01] = None
    label = (rng.random(n) < 0.3 + 0.1 * (sex == "Male")).astype(int)
    score = np.clip(0.35 * label + 0.5 * rng.random(n) + 0.1 * (sex == "Male"), 0, 1).round(3)
    df = pd.DataFrame({"id": np.arange(n), "label": label, "prediction": (score > 0.45).astype(int), "sex": sex, "race": race})
    if with_score:
        df["score"] = score
    return df


@pytest.fixture(scope="module")
def predictions() -> pd.DataFrame:
    return make_predictions()


@pytest.fixture(scope="session")
def reactive_bert_dir(tiny_bert_dir, tmp_path_factory):
    """The tiny BERT of `tiny_bert_dir`, made to react to words, for counterfactual tests.

    Two changes, both to a real saved model: (1) its tokenizer is rebuilt from the same vocabulary
    with `BertTokenizer(vocab=dict)`: under transformers 5, `BertTokenizerFast(vocab_file=...)` in
    tests/tiny_models.py keeps only the special tokens, so every word becomes [UNK] and no swap can
    change a prediction; (2) random N(0, 1) word embeddings and classifier weights, with the bias
    putting the decision threshold at the median margin of CF_TEXTS and their swaps, so that some
    swaps flip the predicted class.
    """
    import torch
    from tiny_models import bert_vocab
    from transformers import BertTokenizer

    from rai.audit.fairness.counterfactual import Swapper, TermPair
    from rai.training.inference import predict_proba
    from rai.training.models import load_classifier

    model, _ = load_classifier(tiny_bert_dir)
    tok = BertTokenizer(vocab={w: i for i, w in enumerate(bert_vocab())}, do_lower_case=True, model_max_length=128)
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        emb = model.bert.embeddings.word_embeddings.weight
        emb.copy_(torch.randn(emb.shape, generator=gen))
        model.classifier.weight.copy_(torch.randn(model.classifier.weight.shape, generator=gen) * 3)
        sw = Swapper([TermPair(a, b) for a, b in CF_PAIRS])
        texts = [t for t in CF_TEXTS if t and sw.contains(t)]
        p = predict_proba(model, tok, texts + [sw.swap(t) for t in texts])
        margin = float(np.median(np.log(p[:, 1] / p[:, 0])))
        model.classifier.bias += torch.tensor([margin / 2, -margin / 2])
    path = tmp_path_factory.mktemp("reactive-bert")
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return path
