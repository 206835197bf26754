"""Checkpoints: everything needed to continue a run exactly where it stopped, kept private.

A checkpoint holds the trained (requires_grad) parameters, the optimizer state, the privacy
accountant's history, the secret key of the privacy randomness (Poisson sampling and DP noise;
`rai.training.randomness`), torch's generator (dropout), the loop position and the training losses,
plus the settings and input hashes of the run, so a resumption with other settings or other data
is refused. The key and the losses undo the DP guarantee if published, so checkpoints live under
`private/` in the run directory, beside a README.txt that says so. A checkpoint is written to a
temporary directory and renamed over the old one, so an interruption leaves the previous one intact.
"""

from __future__ import annotations

import pickle
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from rai.core.errors import InputError
from rai.core.io import atomic_output_dir, atomic_write_json, atomic_write_text
from rai.training.randomness import PrivacyRandomness

PRIVATE_DIR = "private"
CHECKPOINT_DIR = f"{PRIVATE_DIR}/checkpoint"  # relative to the run directory
PRIVATE_README = "README.txt"
STATE_FILE = "state.pt"
SUMMARY_FILE = "progress.json"
FORMAT = "rai.train.checkpoint/2"

PRIVATE_NOTICE = """PRIVATE: do not publish this folder, and do not ship it with the model.

rai train keeps here what must stay with the owner of the training data. Everything in this folder
is outside the differential-privacy guarantee stated in privacy.json:

  checkpoint/   the state of an unfinished run, for `rai train --resume`: the secret key from
                which the run drew its Poisson batches and its DP noise, the training losses,
                the model and optimizer state. Anyone holding the key can recompute the noise and
                the batches, and the guarantee no longer holds against them. rai train deletes
                checkpoint/ when the run finishes, unless --keep-checkpoint was given.
  audit_canaries.json   with --audit-canaries: the one-run audit's canaries and which of them were
                trained on (secret coin flips). rai audit privacy needs it; whoever has it knows the
                answers the audit asks the model for.

What a run releases is outside this folder: model/, privacy.json, metrics.json, labels.json,
predictions.csv, config.yaml, split.json, canaries.json.
"""

ERR_NO_CHECKPOINT = "no checkpoint to resume from (expected {path})"
ERR_BAD_CHECKPOINT = "cannot read the checkpoint: {reason}"
ERR_SETTINGS_CHANGED = "the run was started with other settings: {changes} (resume with the original settings)"
ERR_INPUTS_CHANGED = "{path} changed since the run started (sha256 differs); resume with the original data"


@dataclass
class LoopState:
    """Where the training loop is, and the losses it has seen (private: they are outside the DP guarantee)."""

    global_step: int = 0
    epoch: int = 0
    step_in_epoch: int = 0
    loss_per_step: list[float | None] = field(default_factory=list)
    loss_per_epoch: list[float | None] = field(default_factory=list)
    epoch_loss_sum: float = 0.0
    epoch_examples: int = 0
    resumed_at_steps: list[int] = field(default_factory=list)

    def finish_step(self, loss_sum: float, examples: int, steps_per_epoch: int) -> None:
        self.loss_per_step.append(loss_sum / examples if examples else None)
        self.epoch_loss_sum += loss_sum
        self.epoch_examples += examples
        self.global_step += 1
        self.step_in_epoch += 1
        if self.step_in_epoch == steps_per_epoch:
            self.loss_per_epoch.append(self.epoch_loss_sum / self.epoch_examples if self.epoch_examples else None)
            self.epoch, self.step_in_epoch = self.epoch + 1, 0
            self.epoch_loss_sum, self.epoch_examples = 0.0, 0


def trainable_state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {name: p.detach().clone() for name, p in model.named_parameters() if p.requires_grad}


def write_private_notice(private_dir: Path) -> None:
    """Create `private/` with the README.txt that tells the user not to publish it."""
    private_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(private_dir / PRIVATE_README, PRIVATE_NOTICE)


def save_checkpoint(directory: Path, *, model: nn.Module, training_state: dict[str, Any], loop: LoopState,
                    randomness: PrivacyRandomness, settings: dict[str, Any], inputs: list[dict[str, Any]],
                    summary: dict[str, Any]) -> None:
    """Write a checkpoint directory atomically (temp dir, then rename over `directory`)."""
    state = {
        "format": FORMAT,
        "parameters": trainable_state(model),
        "training": training_state,
        "loop": asdict(loop),
        "privacy_randomness": randomness.to_state(),
        "torch_rng": torch.get_rng_state(),
        "settings": settings,
        "inputs": inputs,
    }
    with atomic_output_dir(directory, replace=True) as tmp:
        torch.save(state, tmp / STATE_FILE)
        atomic_write_json(tmp / SUMMARY_FILE, {"format": FORMAT, **summary, "global_step": loop.global_step,
                                               "epoch": loop.epoch, "step_in_epoch": loop.step_in_epoch})


def load_checkpoint(directory: Path) -> dict[str, Any]:
    path = directory / STATE_FILE
    if not path.is_file():
        raise InputError(ERR_NO_CHECKPOINT.format(path=path), where="--resume")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, EOFError, RuntimeError, ValueError, pickle.UnpicklingError) as exc:
        raise InputError(ERR_BAD_CHECKPOINT.format(reason=str(exc).splitlines()[0] if str(exc) else type(exc).__name__),
                         where=str(path)) from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise InputError(ERR_BAD_CHECKPOINT.format(reason="not a rai train checkpoint"), where=str(path))
    return state


def check_same_run(state: dict[str, Any], settings: dict[str, Any], inputs: list[dict[str, Any]]) -> None:
    """Refuse to resume with settings or input files other than those the run started with."""
    saved = state["settings"]
    changes = [f"{key} ({saved.get(key)!r} -> {settings.get(key)!r})" for key in sorted(set(saved) | set(settings))
               if saved.get(key) != settings.get(key)]
    if changes:
        raise InputError(ERR_SETTINGS_CHANGED.format(changes=", ".join(changes)), where="--resume")
    if len(state["inputs"]) != len(inputs):  # --eval given in one invocation only
        raise InputError(ERR_SETTINGS_CHANGED.format(changes="--eval"), where="--resume")
    for before, now in zip(state["inputs"], inputs, strict=True):
        if before["sha256"] != now["sha256"]:
            raise InputError(ERR_INPUTS_CHANGED.format(path=now["path"]), where="--resume")


def saved_randomness(state: dict[str, Any]) -> PrivacyRandomness:
    """The privacy randomness the checkpointed run started with (its sampling and noise streams continue)."""
    return PrivacyRandomness.from_state(state["privacy_randomness"])


def restore(state: dict[str, Any], *, model: nn.Module) -> tuple[LoopState, dict[str, Any]]:
    """Load parameters and torch's generator; return the loop state and the optimizer/accountant/noise state."""
    params = dict(model.named_parameters())
    with torch.no_grad():
        for name, value in state["parameters"].items():
            params[name].copy_(value)
    torch.set_rng_state(state["torch_rng"])
    return LoopState(**state["loop"]), state["training"]
