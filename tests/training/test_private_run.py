"""The DP guarantee holds against someone who reads the run directory (issue 11).

The attack: the sampler and the noise used to be seeded from `--seed`, which config.yaml
publishes, so rerunning `rai train` with the same seed on the same data gave the released
weights bit for bit, and the data minus one record told membership with certainty. Now two DP
runs with the same data and seed differ (fresh secret key); without DP they are equal. Nothing
released holds the key, a generator state, a seed-derived stream seed or a training loss.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from safetensors.torch import load_file
from torch import nn

from rai.training import checkpoint as ckpt
from rai.training import compat

FAST = ["--epochs", "1", "--batch-size", "16", "--max-physical-batch-size", "8", "--max-length", "16", "--quiet",
        "--seed", "3"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory, module_bert, data_csv) -> dict[str, Path]:
    from rai.cli.main import main

    root = tmp_path_factory.mktemp("private-runs")
    (root / "keep.yaml").write_text("noise-multiplier: 1.0\nkeep-checkpoint: true\n")  # --keep-checkpoint from --config
    flags = {"dp-a": ["--config", str(root / "keep.yaml")], "dp-b": ["--noise-multiplier", "1.0"],
             "nodp-a": ["--no-dp"], "nodp-b": ["--no-dp"]}
    for name, extra in flags.items():
        assert main(["train", "--data", str(data_csv), "--model", str(module_bert), "--out", str(root / name), *FAST, *extra]) == 0
    return {name: root / name for name in flags}


def _weights(run: Path) -> dict[str, torch.Tensor]:
    return load_file(run / "model" / "model.safetensors")


def _releasable(run: Path) -> list[Path]:
    return [p for p in run.rglob("*") if p.is_file() and ckpt.PRIVATE_DIR not in p.relative_to(run).parts]


def test_same_data_and_seed_give_other_weights_with_dp_and_the_same_without(runs):
    a, b = _weights(runs["dp-a"]), _weights(runs["dp-b"])
    assert a.keys() == b.keys()
    assert all(not torch.equal(a[k], b[k]) for k in a if "classifier" in k or "dense" in k)
    config_a, config_b = (yaml.safe_load((runs[n] / "config.yaml").read_text()) for n in ("dp-a", "dp-b"))
    assert {k: v for k, v in config_a.items() if k not in ("out", "keep_checkpoint")} == \
           {k: v for k, v in config_b.items() if k not in ("out", "keep_checkpoint")}  # everything released is the same
    assert json.loads((runs["dp-a"] / "privacy.json").read_text())["epsilon"] == \
           json.loads((runs["dp-b"] / "privacy.json").read_text())["epsilon"]
    c, d = _weights(runs["nodp-a"]), _weights(runs["nodp-b"])
    assert all(torch.equal(c[k], d[k]) for k in c)  # --seed still governs everything without a secret


def test_the_checkpoint_is_private_and_kept_only_with_keep_checkpoint(runs):
    for name in ("dp-b", "nodp-a"):
        assert sorted(p.name for p in (runs[name] / ckpt.PRIVATE_DIR).iterdir()) == [ckpt.PRIVATE_README]
    kept = runs["dp-a"] / ckpt.CHECKPOINT_DIR
    assert sorted(p.name for p in kept.iterdir()) == [ckpt.SUMMARY_FILE, ckpt.STATE_FILE]
    notice = (runs["dp-a"] / ckpt.PRIVATE_DIR / ckpt.PRIVATE_README).read_text()
    assert notice == ckpt.PRIVATE_NOTICE and "do not publish" in notice
    ledger = json.loads((runs["dp-a"] / "privacy.json").read_text())
    assert ledger["secure_rng"] is True and ledger["noise_rng"].startswith("ChaCha20 keyed by 256 bits of OS entropy")


def _needles(run: Path) -> dict[str, list[bytes]]:
    """What must not be released, as the bytes it would appear as (hex, decimal, raw, JSON numbers)."""
    state = torch.load(run / ckpt.CHECKPOINT_DIR / ckpt.STATE_FILE, weights_only=True)
    randomness = ckpt.saved_randomness(state)
    key, streams = randomness.key, (randomness.sampler.key, randomness.noise.key)
    old_seeds = [int(s) for s in np.random.SeedSequence(3).generate_state(2)]  # what --seed 3 used to seed them with
    losses = [x for x in state["loop"]["loss_per_step"] + state["loop"]["loss_per_epoch"] if x is not None]
    assert len(losses) == 4 + 1 and state["privacy_randomness"]["from_os_entropy"] is True
    return {
        "key": [key, key.hex().encode(), key.hex().upper().encode()],
        "stream keys": [k for sk in streams for k in (sk, sk.hex().encode())],
        "stream seeds of --seed": [str(s).encode() for s in old_seeds],
        "torch generator state": [state["torch_rng"].numpy().tobytes()[:64]],
        "training losses": [json.dumps(x).encode() for x in losses] + [f"{x:.6f}".encode() for x in losses]
                           + [b"loss_per_step", b"loss_per_epoch"],
    }


def test_nothing_released_holds_the_key_a_generator_state_or_a_training_loss(runs):
    run = runs["dp-a"]
    files = _releasable(run)
    names = {str(p.relative_to(run)) for p in files}
    assert {"privacy.json", "metrics.json", "config.yaml", "labels.json", "predictions.csv", "split.json",
            "model/model.safetensors", "model/README.md", "model/config.json"} <= names
    for what, needles in _needles(run).items():
        for path in files:
            content = path.read_bytes()
            for needle in needles:
                assert needle not in content, f"{what} found in {path.relative_to(run)}"


def test_keep_checkpoint_must_be_a_boolean(rai, tmp_path, module_bert, data_csv):
    from rai.core.config import ERR_BAD_VALUE, ERR_NOT_BOOLEAN
    from rai.core.errors import InputError
    from rai.training import config

    (tmp_path / "c.yaml").write_text("keep-checkpoint: 'yes'\n")
    code, _, err = rai("train", "--data", data_csv, "--model", module_bert, "--out", tmp_path / "o", "--config", tmp_path / "c.yaml")
    assert code == 2 and not (tmp_path / "o").exists()
    assert ERR_BAD_VALUE.format(key="keep-checkpoint", problem=ERR_NOT_BOOLEAN.format(got="yes")) in err
    with pytest.raises(InputError, match=f"--keep-checkpoint: {config.ERR_BOOL}"):  # the Python API checks it too
        config.validate_config(config.TrainConfig(data=data_csv, out=str(tmp_path / "o"), keep_checkpoint="yes"))


def test_a_released_run_directory_resumes_nothing(runs, rai, tmp_path, module_bert, data_csv):
    """Copying only the releasable part gives nothing to continue from: the checkpoint is private."""
    published = tmp_path / "published"
    shutil.copytree(runs["dp-a"], published, ignore=shutil.ignore_patterns(ckpt.PRIVATE_DIR))
    (published / "privacy.json").unlink()  # even pretending the run is unfinished
    code, _, err = rai("train", "--data", data_csv, "--model", module_bert, "--out", published, *FAST,
                       "--noise-multiplier", "1.0", "--resume")
    assert code == 2 and ckpt.ERR_NO_CHECKPOINT.format(path=published / ckpt.CHECKPOINT_DIR / ckpt.STATE_FILE) in err


# --- layers that change with the data ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def bn_bert_dir(tiny_bert_dir, tmp_path_factory) -> Path:
    """The tiny BERT with a frozen BatchNorm1d (no parameters: nothing for Opacus to see) before its classifier.

    A user's own architecture, registered with transformers' Auto classes as custom models are.
    """
    from transformers import AutoConfig, AutoModelForSequenceClassification, BertConfig, BertForSequenceClassification

    class BnBertConfig(BertConfig):
        model_type = "rai-test-bn-bert"

    class BnBertForSequenceClassification(BertForSequenceClassification):
        config_class = BnBertConfig

        def __init__(self, config):
            super().__init__(config)
            self.classifier = nn.Sequential(nn.BatchNorm1d(config.hidden_size, affine=False),
                                            nn.Linear(config.hidden_size, config.num_labels))
            self.post_init()

    AutoConfig.register(BnBertConfig.model_type, BnBertConfig, exist_ok=True)
    AutoModelForSequenceClassification.register(BnBertConfig, BnBertForSequenceClassification, exist_ok=True)
    path = tmp_path_factory.mktemp("bn") / "bn-bert"
    shutil.copytree(tiny_bert_dir, path)
    config = json.loads((path / "config.json").read_text())
    config.update(model_type=BnBertConfig.model_type, architectures=[BnBertForSequenceClassification.__name__])
    torch.manual_seed(0)
    BnBertForSequenceClassification(BnBertConfig(**{k: v for k, v in config.items() if k != "model_type"})).save_pretrained(path)
    return path


def test_a_frozen_batchnorm_is_refused_with_its_name(rai, tmp_path, bn_bert_dir, data_csv):
    out = tmp_path / "run"
    for layers in ("all", "head"):
        code, _, err = rai("train", "--data", data_csv, "--model", bn_bert_dir, "--out", out, "--train-layers", layers,
                           "--max-length", "16")
        assert code == 2 and not out.exists()
        assert err == ("rai: error: --model: layer classifier.0 (BatchNorm1d) normalises each example with the statistics "
                       "of its batch in training mode: such a layer changes with the training data outside DP-SGD's "
                       "per-example clipping, frozen or not; replace it (BatchNorm by LayerNorm or GroupNorm) or train "
                       "with --no-dp\n")
        assert err == "rai: error: --model: " + compat.ERR_STATEFUL_LAYERS.format(
            layers=f"layer classifier.0 (BatchNorm1d) {compat.WHY_BATCH_STATISTICS}") + "\n"


def _tiny_bert(path: Path):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    model = AutoModelForSequenceClassification.from_pretrained(path)
    return model, dict(AutoTokenizer.from_pretrained(path)(["a good film", "an awful week"], padding=True, return_tensors="pt"))


class _RunningMean(nn.Module):
    """A user's layer that keeps a running mean of what passes through it (not a norm layer by type)."""

    def __init__(self, width: int):
        super().__init__()
        self.register_buffer("mean", torch.zeros(width))

    def forward(self, x):
        if self.training:
            self.mean.mul_(0.9).add_(0.1 * x.detach().mean(dim=tuple(range(x.dim() - 1))))
        return x


class _EvalOnly(nn.BatchNorm1d):
    """A BatchNorm that stays in eval mode whatever the model does: fixed statistics, no updates."""

    def train(self, mode: bool = True):
        return super().train(False)


@pytest.mark.parametrize("make, name, why", [
    (lambda m: nn.Sequential(nn.BatchNorm1d(32).requires_grad_(False), m.classifier), "classifier.0 (BatchNorm1d)",
     compat.WHY_BATCH_STATISTICS),
    (lambda m: nn.Sequential(_EvalOnly(32, track_running_stats=False), m.classifier), "classifier.0 (_EvalOnly)",
     compat.WHY_BATCH_STATISTICS),  # eval mode without running statistics still normalises by the batch
    (lambda m: nn.Sequential(nn.Unflatten(1, (1, 32)), nn.InstanceNorm1d(1, track_running_stats=True), nn.Flatten(),
                             m.classifier), "classifier.1 (InstanceNorm1d)", compat.WHY_RUNNING_STATISTICS),
    (lambda m: nn.Sequential(_RunningMean(32), m.classifier), "classifier.0 (_RunningMean)",
     compat.WHY_BUFFER_CHANGED.format(buffer="mean")),
])
def test_layers_that_change_with_the_data_are_found_frozen_or_not(tiny_bert_dir, make, name, why):
    model, probe = _tiny_bert(tiny_bert_dir)
    model.classifier = make(model)
    buffers = {k: v.clone() for k, v in model.named_buffers()}
    rng = torch.get_rng_state()
    with pytest.raises(Exception) as caught:
        compat.check_dp_compatible(model, probe)
    assert str(caught.value) == "--model: " + compat.ERR_STATEFUL_LAYERS.format(layers=f"layer {name} {why}")
    # the probe leaves the model and torch's generator as it found them
    assert not model.training and torch.equal(torch.get_rng_state(), rng)
    assert all(torch.equal(v, dict(model.named_buffers())[k]) for k, v in buffers.items())


def test_a_batchnorm_kept_in_eval_mode_with_fixed_statistics_is_accepted(tiny_bert_dir):
    model, probe = _tiny_bert(tiny_bert_dir)
    model.classifier = nn.Sequential(_EvalOnly(32), model.classifier)
    model.classifier[0].requires_grad_(False)
    compat.check_dp_compatible(model, probe)  # running statistics, never updated: per-example and fixed


def test_layers_opacus_cannot_clip_are_refused_after_the_data_check(tiny_bert_dir):
    model, probe = _tiny_bert(tiny_bert_dir)

    class LstmHead(nn.Module):
        def __init__(self, classifier):
            super().__init__()
            self.lstm, self.out = nn.LSTM(32, 32, batch_first=True), classifier

        def forward(self, x):
            return self.out(self.lstm(x.unsqueeze(1))[0][:, 0])

    model.classifier = LstmHead(model.classifier)
    with pytest.raises(Exception) as caught:
        compat.check_dp_compatible(model, probe)
    assert str(caught.value).startswith("--model: " + compat.ERR_UNSUPPORTED.split("{")[0]) and "LSTM" in str(caught.value)
