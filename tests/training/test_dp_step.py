"""One DP-SGD step through the real training loop equals per-example clipping done by hand.

Runs on tiny BERT, DistilBERT and RoBERTa classifiers in hooks and ghost mode with every layer
trained, so the position / token-type embeddings need per-example gradients: this is where
transformers' broadcast [1, T] ids break Opacus unless `PerExampleIds` is in place.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from tiny_models import bert_vocab
from rai.training.checkpoint import LoopState
from rai.training.config import GradSampleMode
from rai.training.data import Collator, Examples
from rai.training.loop import LoopOptions, poisson_loader, run_training
from rai.training.private import SamplingPlan, make_training
from rai.training.randomness import PrivacyRandomness

TEXTS = ["the movie was good", "an awful film", "i love the man", "bad", "she was a nice woman of the week",
         "never married , works 40 hours a week"]
LABELS = [1, 1, 0, 1, 1, 1]  # mostly one class: clipped gradients add up instead of cancelling
CLIP = 1e-3  # far below every per-example gradient norm: every example is clipped


def _save_tiny(arch: str, path: Path) -> Path:
    from transformers import (BertConfig, BertForSequenceClassification, BertTokenizerFast, DistilBertConfig,
                              DistilBertForSequenceClassification, RobertaConfig, RobertaForSequenceClassification)

    path.mkdir(parents=True)
    (path / "vocab.txt").write_text("\n".join(bert_vocab()) + "\n", encoding="utf-8")
    BertTokenizerFast(vocab_file=str(path / "vocab.txt"), do_lower_case=True).save_pretrained(path)
    common = dict(vocab_size=len(bert_vocab()), pad_token_id=0)
    config, cls = {
        "bert": (BertConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=37, hidden_dropout_prob=0.0,
                            attention_probs_dropout_prob=0.0, **common), BertForSequenceClassification),
        "distilbert": (DistilBertConfig(dim=32, n_layers=2, n_heads=2, hidden_dim=37, dropout=0.0, attention_dropout=0.0,
                                        seq_classif_dropout=0.0, **common), DistilBertForSequenceClassification),
        "roberta": (RobertaConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=37,
                                  hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, max_position_embeddings=130,
                                  type_vocab_size=1, **common), RobertaForSequenceClassification),
    }[arch]
    torch.manual_seed(1)
    cls(config).save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("archs")
    return {arch: _save_tiny(arch, root / arch) for arch in ("bert", "distilbert", "roberta")}


def _load(path: Path):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    model = AutoModelForSequenceClassification.from_pretrained(path)
    hf_logging.enable_progress_bar()
    return model, AutoTokenizer.from_pretrained(path)


def _clipped_sum_by_hand(model, batch: dict, labels: torch.Tensor) -> dict[str, torch.Tensor]:
    """Σ_i g_i · min(1, C / (‖g_i‖ + 1e-6)) with g_i from a separate backward pass per example (no Opacus)."""
    model = copy.deepcopy(model).train()
    params = {n: p for n, p in model.named_parameters() if p.requires_grad}
    total = {n: torch.zeros_like(p) for n, p in params.items()}
    for i in range(len(labels)):
        model.zero_grad(set_to_none=True)
        logits = model(input_ids=batch["input_ids"][i:i + 1], attention_mask=batch["attention_mask"][i:i + 1]).logits
        F.cross_entropy(logits, labels[i:i + 1]).backward()
        grads = {n: (p.grad if p.grad is not None else torch.zeros_like(p)) for n, p in params.items()}
        norm = torch.sqrt(sum((g.double() ** 2).sum() for g in grads.values()))
        assert norm > 10 * CLIP, "the test needs every example to be clipped"
        factor = min(1.0, CLIP / (float(norm) + 1e-6))
        for n, g in grads.items():
            total[n] += g * factor
    return total


@pytest.mark.parametrize("mode", list(GradSampleMode))
@pytest.mark.parametrize("arch", ["bert", "distilbert", "roberta"])
def test_one_noiseless_step_equals_clipping_by_hand(tiny_models, arch, mode):
    model, tokenizer = _load(tiny_models[arch])
    model.train()
    examples = Examples(texts=TEXTS, labels=torch.tensor(LABELS).numpy(), rows=list(range(len(TEXTS))))
    collate = Collator(tokenizer, examples, max_length=16)
    full = collate(list(range(len(TEXTS))))
    # The same padding as in training: the whole logical batch (q = 1) is split into physical halves of
    # 3, padded per half; compute the expected gradient half by half with that padding.
    halves = [collate([0, 1, 2]), collate([3, 4, 5])]
    first, second = (_clipped_sum_by_hand(model, h, h["labels"]) for h in halves)
    expected = {n: first[n] + second[n] for n in first}
    before = {n: p.detach().clone() for n, p in model.named_parameters()}

    plan = SamplingPlan(dataset_size=len(TEXTS), batch_size=len(TEXTS), epochs=1)  # q = 1: every example, one step
    randomness = PrivacyRandomness.fresh()
    loader = poisson_loader(dataset_size=plan.dataset_size, sample_rate=plan.sample_rate, first_step=0, steps=1,
                            collate_fn=collate, sampler=randomness.sampler)
    sgd = torch.optim.SGD(model.parameters(), lr=1.0 / CLIP)  # the update is Σ clipped / (B·C): order 1
    setup = make_training(model, sgd, loader, plan=plan, dp=True, noise_multiplier=0.0, max_grad_norm=CLIP,
                          grad_sample_mode=mode, noise_stream=randomness.noise)
    done = run_training(setup, LoopState(), collate_fn=collate, sampler=randomness.sampler,
                        options=LoopOptions(max_physical_batch_size=3, checkpoint_every=10, stop_after_steps=None, delta=1e-5),
                        checkpoint=lambda state: pytest.fail("no checkpoint expected"))
    setup.close()
    assert done and full["input_ids"].shape[0] == 6
    assert setup.accountant.history == [(0.0, 1.0, 1)]
    update = torch.cat([(before[n] - p.detach()).flatten() for n, p in model.named_parameters()])  # lr · Σ clipped / B
    want = torch.cat([expected[n].flatten() for n, _ in model.named_parameters()]) / (CLIP * plan.expected_batch_size)
    assert 0.1 < float(want.norm()) <= 1.0  # B clipped gradients of norm C, summed, over B·C
    torch.testing.assert_close(update, want, rtol=0, atol=1e-5)
    position = dict(model.named_parameters())[[n for n, _ in model.named_parameters() if "position_embeddings" in n][0]]
    assert position.requires_grad  # the embeddings that need per-example ids were trained


@pytest.mark.parametrize("mode", list(GradSampleMode))
def test_an_empty_poisson_batch_is_a_noise_only_step_and_is_accounted(tiny_models, mode):
    model, tokenizer = _load(tiny_models["bert"])
    examples = Examples(texts=TEXTS, labels=torch.tensor(LABELS).numpy(), rows=list(range(len(TEXTS))))
    plan = SamplingPlan(dataset_size=len(TEXTS), batch_size=2, epochs=1)
    randomness = PrivacyRandomness.fresh()
    loader = poisson_loader(dataset_size=plan.dataset_size, sample_rate=plan.sample_rate, first_step=0,
                            steps=plan.steps_per_epoch, collate_fn=Collator(tokenizer, examples, 16), sampler=randomness.sampler)
    setup = make_training(model, torch.optim.SGD(model.parameters(), lr=1.0), loader, plan=plan, dp=True,
                          noise_multiplier=1.0, max_grad_norm=1.0, grad_sample_mode=mode, noise_stream=randomness.noise)
    before = model.classifier.weight.detach().clone()
    setup.empty_step()
    assert setup.accountant.history == [(1.0, plan.sample_rate, 1)]
    change = (model.classifier.weight.detach() - before) * plan.expected_batch_size
    assert 0.3 < float(change.std()) < 3.0  # pure N(0, σ²C²) noise, divided by the expected batch size
    setup.close()


@pytest.mark.parametrize("mode", list(GradSampleMode))
def test_the_noise_is_drawn_from_the_private_stream_once_per_step(tiny_models, mode):
    """Same key: the same noise whatever torch's generator holds (--seed governs torch's); another key: other noise."""
    def noise_of_one_step(key: bytes, torch_seed: int) -> torch.Tensor:
        torch.manual_seed(0)
        model, tokenizer = _load(tiny_models["bert"])
        examples = Examples(texts=TEXTS, labels=torch.tensor(LABELS).numpy(), rows=list(range(len(TEXTS))))
        plan = SamplingPlan(dataset_size=len(TEXTS), batch_size=2, epochs=1)
        randomness = PrivacyRandomness.fixed(key)
        loader = poisson_loader(dataset_size=plan.dataset_size, sample_rate=plan.sample_rate, first_step=0,
                                steps=plan.steps_per_epoch, collate_fn=Collator(tokenizer, examples, 16), sampler=randomness.sampler)
        setup = make_training(model, torch.optim.SGD(model.parameters(), lr=1.0), loader, plan=plan, dp=True,
                              noise_multiplier=2.0, max_grad_norm=0.5, grad_sample_mode=mode, noise_stream=randomness.noise)
        before = torch.cat([p.detach().flatten().clone() for p in model.parameters()])
        torch.manual_seed(torch_seed)
        setup.empty_step()
        assert setup.noise.steps == 1 and setup.accountant.history == [(2.0, plan.sample_rate, 1)]
        setup.close()
        return (before - torch.cat([p.detach().flatten() for p in model.parameters()])) * plan.expected_batch_size

    key = bytes(range(32))
    noise = noise_of_one_step(key, torch_seed=1)
    assert torch.equal(noise, noise_of_one_step(key, torch_seed=2))
    assert not torch.equal(noise, noise_of_one_step(bytes(32), torch_seed=1))
    assert noise.numel() > 20_000 and abs(float(noise.std()) / (2.0 * 0.5) - 1) < 0.03  # N(0, σ²C²), σC = 1
    assert abs(float(noise.mean())) < 0.03
