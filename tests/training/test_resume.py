"""An interrupted run resumed with --resume ends exactly where the uninterrupted run ends.

The run is interrupted the way a job with a time limit is: `--stop-after-steps` checkpoints and
exits in the middle of an epoch. The model has dropout, so the dropout stream must be restored
too, not only the sampling and noise streams and the accountant. Both runs fix the same privacy
key (`train(..., privacy_key=...)`, Python only): with fresh OS entropy they could not be equal.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from rai.training import checkpoint as ckpt
from rai.training import trainer
from rai.training.config import TrainConfig
from rai.training.trainer import train


@pytest.fixture(scope="module")
def dropout_bert(tiny_bert_dir, tmp_path_factory) -> Path:
    path = Path(shutil.copytree(tiny_bert_dir, tmp_path_factory.mktemp("dropout") / "bert"))
    config = json.loads((path / "config.json").read_text())
    config.update(hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1)
    (path / "config.json").write_text(json.dumps(config))
    return path


KEY = bytes(range(32))


def _cfg(data: Path, model: Path, out: Path, **kw) -> TrainConfig:
    """pathlib.Path values, as a notebook passes them (they once crashed writing config.yaml after training)."""
    return TrainConfig(data=Path(data), model=Path(model), out=Path(out), epochs=2, batch_size=16, max_physical_batch_size=8,
                       max_length=16, noise_multiplier=1.0, grad_sample_mode="hooks", checkpoint_every=100,
                       keep_checkpoint=True, **kw)


def _private_state(run: Path) -> dict:
    return torch.load(run / ckpt.CHECKPOINT_DIR / ckpt.STATE_FILE, weights_only=True)


@pytest.fixture(scope="module")
def runs(tmp_path_factory, data_csv, dropout_bert):
    root = tmp_path_factory.mktemp("resume")
    whole = train(_cfg(data_csv, dropout_bert, root / "whole"), privacy_key=KEY)
    part = root / "part"
    assert train(_cfg(data_csv, dropout_bert, part, stop_after_steps=3), privacy_key=KEY) == part
    interrupted = {str(p.relative_to(part)) for p in part.rglob("*")}
    progress = json.loads((part / ckpt.CHECKPOINT_DIR / ckpt.SUMMARY_FILE).read_text())
    kept = root / "interrupted-copy"
    shutil.copytree(part, kept)
    train(_cfg(data_csv, dropout_bert, part, resume=True))  # the key comes from the checkpoint
    return whole, part, interrupted, progress, kept


@pytest.mark.slow
def test_resumed_run_equals_uninterrupted_run(runs):
    whole, part, interrupted, progress, _ = runs
    # an unfinished run: no model, no ledger yet; the checkpoint under private/, beside the notice
    assert interrupted == {"config.yaml", "private", "private/README.txt", "private/checkpoint",
                           "private/checkpoint/state.pt", "private/checkpoint/progress.json"}
    assert (progress["global_step"], progress["epoch"], progress["step_in_epoch"]) == (3, 0, 3)  # mid-epoch (4 steps/epoch)
    a, b = (json.loads((run / "privacy.json").read_text()) for run in (whole, part))
    assert b["epsilon"] == a["epsilon"] and b["steps"] == a["steps"] == 8
    assert a["resumed_at_steps"] == [] and b["resumed_at_steps"] == [3]
    weights_a, weights_b = (load_file(run / "model" / "model.safetensors") for run in (whole, part))
    for name, tensor in weights_a.items():
        torch.testing.assert_close(weights_b[name], tensor, rtol=0, atol=1e-6)
    la, lb = (json.loads((run / "metrics.json").read_text()) for run in (whole, part))
    assert lb["eval"]["accuracy"] == la["eval"]["accuracy"] and la["train"] == lb["train"] == {"steps": 8, "epochs": 2}
    # the private training losses (kept with --keep-checkpoint), the noise and sampling streams continued exactly
    sa, sb = _private_state(whole), _private_state(part)
    assert sb["loop"]["loss_per_step"] == pytest.approx(sa["loop"]["loss_per_step"], abs=1e-6)
    assert len(sa["loop"]["loss_per_step"]) == 8
    assert sa["privacy_randomness"] == sb["privacy_randomness"] == {"key": KEY.hex(), "from_os_entropy": False}
    assert sa["training"]["noise_steps"] == sb["training"]["noise_steps"] == 8
    assert a["secure_rng"] is False and "not secret" in a["noise_rng"]  # a fixed key is never called secure
    assert (part / "predictions.csv").read_text() == (whole / "predictions.csv").read_text()


def test_resume_refuses_other_settings_a_finished_run_and_a_fresh_start_over_it(runs, data_csv, dropout_bert, rai, tmp_path):
    whole, _, _, _, kept = runs
    interrupted = tmp_path / "interrupted"
    shutil.copytree(kept, interrupted)
    def args(out: Path, *extra: str) -> list:
        return ["train", "--data", data_csv, "--model", dropout_bert, "--out", out, "--epochs", "2", "--batch-size", "16",
                "--max-physical-batch-size", "8", "--max-length", "16", "--noise-multiplier", "1.0", "--grad-sample-mode",
                "hooks", *extra]

    code, _, err = rai(*args(interrupted, "--resume", "--learning-rate", "0.01"))
    assert code == 2 and "learning_rate (0.0005 -> 0.01)" in err
    assert ckpt.ERR_SETTINGS_CHANGED.split("{")[0] in err
    code, _, err = rai(*args(interrupted))  # no --resume
    assert code == 2 and trainer.ERR_OUT_UNFINISHED in err
    code, _, err = rai(*args(whole, "--resume"))
    assert code == 2 and trainer.ERR_ALREADY_DONE in err
    assert {p.name for p in interrupted.iterdir()} == {"config.yaml", "private"}  # untouched by the refusals
    empty = tmp_path / "empty"
    code, _, err = rai(*args(empty, "--resume"))
    assert code == 2 and "no checkpoint to resume from" in err and not empty.exists()
