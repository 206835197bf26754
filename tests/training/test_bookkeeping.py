"""Book-keeping clipping against per-example clipping by hand: norms, clipped sums, frozen layers, refusals."""

from __future__ import annotations

import copy
import re

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from rai.core.errors import InputError
from rai.training.bookkeeping import ERR_REUSED, BookKeeping
from rai.training.compat import PerExampleIds


def _tiny_bert(arch: str = "Bert", **overrides):
    import transformers

    sizes = dict(vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=24,
                 max_position_embeddings=40, num_labels=3, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
                 pad_token_id=0)
    config = getattr(transformers, f"{arch}Config")(**{**sizes, **overrides})
    torch.manual_seed(0)
    return getattr(transformers, f"{arch}ForSequenceClassification")(config).train()


def _batch(sizes=(5, 9, 3, 9, 7, 4)):
    """Right-padded token ids with repeated tokens (several rows of the embedding table per example)."""
    generator = torch.Generator().manual_seed(3)
    width = max(sizes)
    ids = torch.zeros(len(sizes), width, dtype=torch.long)
    for i, n in enumerate(sizes):
        ids[i, :n] = torch.randint(1, 8, (n,), generator=generator)  # a small range: tokens repeat
    mask = (ids != 0).long()
    labels = torch.tensor([0, 1, 2, 1, 0, 2])[: len(sizes)]
    return {"input_ids": ids, "attention_mask": mask}, labels


def _by_hand(model, batch, labels, clip):
    """Per-example gradients from one backward pass each; their norms and the clipped sum."""
    model = copy.deepcopy(model)
    params = {n: p for n, p in model.named_parameters() if p.requires_grad}
    total = {n: torch.zeros_like(p) for n, p in params.items()}
    norms = []
    for i in range(len(labels)):
        model.zero_grad(set_to_none=True)
        one = {k: v[i:i + 1] for k, v in batch.items()}
        F.cross_entropy(model(**one).logits, labels[i:i + 1]).backward()
        grads = {n: p.grad if p.grad is not None else torch.zeros_like(p) for n, p in params.items()}
        norm = float(torch.sqrt(sum((g.double() ** 2).sum() for g in grads.values())))
        norms.append(norm)
        for n, g in grads.items():
            total[n] += g * min(1.0, clip / (norm + 1e-6))
    return torch.tensor(norms, dtype=torch.float64), total


def _bookkeeping(model, batch, labels, clip):
    ids_fix = PerExampleIds(model)  # what make_training installs: [B, T] position and token-type ids
    engine = BookKeeping(model, clip)
    per_example = F.cross_entropy(model(**batch).logits, labels, reduction="none")
    norms = engine.backward(per_example)
    engine.remove()
    ids_fix.remove()
    return norms, {n: p.grad for n, p in model.named_parameters() if p.requires_grad}


def _freeze(model, keep: str):
    for name, p in model.named_parameters():
        p.requires_grad = keep in name
    return model


@pytest.mark.parametrize("case", ["all layers", "last layer and head", "biases only", "head only"])
def test_norms_and_clipped_sum_equal_per_example_clipping_by_hand(case):
    model = _tiny_bert()
    if case == "last layer and head":
        for name, p in model.named_parameters():
            p.requires_grad = "layer.1." in name or "classifier" in name or "pooler" in name
    elif case == "biases only":
        _freeze(model, "bias")
    elif case == "head only":
        _freeze(model, "classifier")
    batch, labels = _batch()
    norms_hand, _ = _by_hand(model, batch, labels, clip=1.0)
    clip = float(norms_hand.median())  # about half the examples are clipped, half are not
    _, expected = _by_hand(model, batch, labels, clip)
    norms, got = _bookkeeping(model, batch, labels, clip)
    torch.testing.assert_close(norms, norms_hand, rtol=1e-5, atol=1e-7)
    assert (norms_hand > clip).any() and (norms_hand < clip).any()
    assert set(got) == set(expected)
    for name in expected:
        torch.testing.assert_close(got[name], expected[name], rtol=1e-4, atol=1e-6, msg=name)


def test_electra_with_its_embedding_projection():
    model = _tiny_bert("Electra", embedding_size=8)
    batch, labels = _batch()
    expected_norms, expected = _by_hand(model, batch, labels, 0.05)
    norms, got = _bookkeeping(model, batch, labels, 0.05)
    torch.testing.assert_close(norms, expected_norms, rtol=1e-5, atol=1e-7)
    for name in expected:
        torch.testing.assert_close(got[name], expected[name], rtol=1e-4, atol=1e-6, msg=name)


@pytest.mark.parametrize("arch, overrides, message", [
    ("MPNet", {"pad_token_id": 1}, re.escape("relative_attention_bias gives (9, 9, 2) for a batch of 6")),  # one bias
    ("DebertaV2", {"relative_attention": True, "pos_att_type": ["p2c", "c2p"]}, "rel_embeddings was not called"),
])
def test_models_with_shared_position_biases_are_refused(arch, overrides, message):
    model = _tiny_bert(arch, **overrides)
    batch, labels = _batch()
    batch["input_ids"] = torch.where(batch["input_ids"] > 0, batch["input_ids"] + 2, 0)  # clear of MPNet's pad id 1
    with pytest.raises(InputError, match=message):
        _bookkeeping(model, batch, labels, 1.0)


def test_layer_norm_on_two_dimensional_inputs_and_linear_without_bias():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 5, bias=False), nn.LayerNorm(5), nn.Tanh(), nn.Linear(5, 3)).train()
    x, labels = torch.randn(4, 6), torch.tensor([0, 2, 1, 2])
    expected = {n: torch.zeros_like(p) for n, p in model.named_parameters()}
    hand = []
    for i in range(4):
        model.zero_grad()
        F.cross_entropy(model(x[i:i + 1]), labels[i:i + 1]).backward()
        norm = float(torch.sqrt(sum((p.grad ** 2).sum() for p in model.parameters())))
        hand.append(norm)
        for n, p in model.named_parameters():
            expected[n] += p.grad * min(1.0, 0.5 / (norm + 1e-6))
    model.zero_grad(set_to_none=True)
    engine = BookKeeping(model, 0.5)
    norms = engine.backward(F.cross_entropy(model(x), labels, reduction="none"))
    torch.testing.assert_close(norms, torch.tensor(hand, dtype=torch.float64), rtol=1e-5, atol=1e-7)
    for n, p in model.named_parameters():
        torch.testing.assert_close(p.grad, expected[n], rtol=1e-5, atol=1e-7)


def test_refuses_what_it_cannot_clip_exactly():
    with pytest.raises(InputError, match="Conv1d"):
        BookKeeping(nn.Sequential(nn.Conv1d(2, 2, 1), nn.Flatten(), nn.Linear(2, 2)), 1.0)
    tied = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 3))
    tied[1].weight = tied[0].weight
    with pytest.raises(InputError) as err:
        BookKeeping(tied, 1.0)
    assert str(err.value) == "--grad-sample-mode: " + ERR_REUSED.format(layer="a parameter shared by several layers")
    twice = nn.Linear(3, 3)
    engine = BookKeeping(twice, 1.0)
    with pytest.raises(InputError, match="a Linear layer is used more than once"):
        engine.backward(F.cross_entropy(twice(twice(torch.randn(2, 3))), torch.tensor([0, 1]), reduction="none"))


class _FunctionalEmbedding(nn.Module):
    """Uses its embedding's weight without calling the layer: no forward hook sees it."""

    def __init__(self) -> None:
        super().__init__()
        self.emb, self.out = nn.Embedding(5, 3), nn.Linear(3, 2)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.out(F.embedding(ids, self.emb.weight).mean(dim=1))


def test_a_trainable_layer_that_is_not_called_is_refused():
    model = _FunctionalEmbedding()
    engine = BookKeeping(model, 1.0)
    with pytest.raises(InputError, match="emb was not called"):
        engine.backward(F.cross_entropy(model(torch.tensor([[1, 2], [3, 4]])), torch.tensor([0, 1]), reduction="none"))
    model.emb.weight.requires_grad = False  # frozen: nothing to clip there
    engine = BookKeeping(model, 1.0)
    engine.backward(F.cross_entropy(model(torch.tensor([[1, 2], [3, 4]])), torch.tensor([0, 1]), reduction="none"))
    assert model.out.weight.grad is not None


def test_nothing_is_recorded_without_gradients():
    model = nn.Linear(3, 2)
    engine = BookKeeping(model, 1.0)
    with torch.no_grad():
        model(torch.randn(2, 3))
    model.eval()
    model(torch.randn(2, 3))
    assert engine._calls == []
    engine.remove()
    model.train()
    model(torch.randn(2, 3))
    assert engine._calls == []  # hooks removed
