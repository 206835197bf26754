"""Tiny real Detoxify checkpoints, in detoxify's own file format, built once per session.

detoxify's `load_checkpoint` reads `config.arch.args` (model_type, model_name, tokenizer_name,
num_classes), `config.dataset.args.classes` and `state_dict` (keys as the transformers model's).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from tiny_models import make_tiny_bert, make_tiny_roberta

ORIGINAL_CLASSES = ["toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate"]
UNBIASED_CLASSES = ["toxicity", "severe_toxicity", "obscene", "identity_attack", "insult", "threat",
                    "sexual_explicit", "male", "female"]


def make_detoxify_checkpoint(path: Path, hf_dir: Path, classes: list[str], *, model_type: str | None = None,
                             seed: int = 0, extra: dict | None = None, model_name: str = "BertForSequenceClassification",
                             tokenizer_name: str = "BertTokenizer") -> Path:
    """A random `model_name` (the config of `hf_dir`) saved as a Detoxify checkpoint with `classes` outputs.

    Larger random weights than the default init make scores spread over (0, 1) and differ
    between texts, instead of sitting at 0.5.
    """
    import transformers

    config = transformers.AutoConfig.from_pretrained(hf_dir, num_labels=len(classes), initializer_range=0.2)
    torch.manual_seed(seed)
    model = getattr(transformers, model_name)(config)
    with torch.no_grad():
        getattr(model.classifier, "out_proj", model.classifier).weight.mul_(5.0)  # RoBERTa's head ends in out_proj
    checkpoint = {
        "config": {"arch": {"args": {"model_type": model_type or str(hf_dir), "model_name": model_name,
                                     "tokenizer_name": tokenizer_name, "num_classes": len(classes)}},
                   "dataset": {"args": {"classes": list(classes)}}, **(extra or {})},
        "state_dict": model.state_dict(),
    }
    torch.save(checkpoint, path)
    return path


@pytest.fixture(scope="session")
def make_checkpoint():
    """The checkpoint factory, for tests that need an unusual checkpoint."""
    return make_detoxify_checkpoint


@pytest.fixture(scope="session")
def detox_hf_dir(tmp_path_factory) -> Path:
    """Config and tokenizer files for the tiny checkpoints (what --hf-config points to)."""
    return make_tiny_bert(tmp_path_factory.mktemp("detox-hf"), num_labels=len(ORIGINAL_CLASSES))


@pytest.fixture(scope="session")
def detox_checkpoint(tmp_path_factory, detox_hf_dir) -> Path:
    """An `original`-style checkpoint whose model_type is the local config folder."""
    return make_detoxify_checkpoint(tmp_path_factory.mktemp("detox") / "toxic_tiny.ckpt", detox_hf_dir, ORIGINAL_CLASSES)


@pytest.fixture(scope="session")
def detox_checkpoint_hub_name(tmp_path_factory, detox_hf_dir) -> Path:
    """Like a release file: model_type is a hub name ("bert-base-uncased") that is not cached here."""
    return make_detoxify_checkpoint(tmp_path_factory.mktemp("detox-hub") / "toxic_hubname.ckpt", detox_hf_dir,
                                    ORIGINAL_CLASSES, model_type="bert-base-uncased", seed=1)


@pytest.fixture(scope="session")
def detox_checkpoint_unbiased(tmp_path_factory, detox_hf_dir) -> Path:
    """An `unbiased`-style checkpoint: toxicity labels plus identity-mention outputs, 9 in all."""
    return make_detoxify_checkpoint(tmp_path_factory.mktemp("detox-unb") / "unbiased_tiny.ckpt", detox_hf_dir,
                                    UNBIASED_CLASSES, seed=2)


@pytest.fixture(scope="session")
def detox_roberta_dir(tmp_path_factory) -> Path:
    """Config and byte-level BPE tokenizer of a tiny RoBERTa (the `unbiased` model's architecture)."""
    return make_tiny_roberta(tmp_path_factory.mktemp("detox-roberta-hf"), num_labels=len(UNBIASED_CLASSES))


@pytest.fixture(scope="session")
def detox_checkpoint_roberta(tmp_path_factory, detox_roberta_dir) -> Path:
    """An `unbiased`-style checkpoint on RoBERTa, as detoxify's release is."""
    return make_detoxify_checkpoint(tmp_path_factory.mktemp("detox-roberta") / "unbiased_roberta.ckpt",
                                    detox_roberta_dir, UNBIASED_CLASSES, seed=3,
                                    model_name="RobertaForSequenceClassification", tokenizer_name="RobertaTokenizer")
