"""Checkpoints: everything needed to continue a run exactly where it stopped.

A checkpoint holds the trained (requires_grad) parameters, the optimizer state, the privacy
accountant's history, the three random streams (Poisson sampling, DP noise, dropout), the loop
position and the losses so far, plus the settings and input hashes of the run, so a resumption
with other settings or other data is refused. It is written to a temporary directory and
renamed over `checkpoint/`, so an interruption leaves the previous checkpoint intact.
"""

from __future__ import annotations

import pickle
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from rai.errors import InputError
from rai.io import atomic_output_dir, atomic_write_json

STATE_FILE = "state.pt"
SUMMARY_FILE = "progress.json"
FORMAT = "rai.train.checkpoint/1"

ERR_NO_CHECKPOINT = "no checkpoint to resume from (expected {path})"
ERR_BAD_CHECKPOINT = "cannot read the checkpoint: {reason}"
ERR_SETTINGS_CHANGED = "the run was started with other settings: {changes} (resume with the original settings)"
ERR_INPUTS_CHANGED = "{path} changed since the run started (sha256 differs); resume with the original data"


@dataclass
class LoopState:
    """Where the training loop is, and the losses it has seen."""

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


def save_checkpoint(directory: Path, *, model: nn.Module, training_state: dict[str, Any], loop: LoopState,
                    sampler_generator: torch.Generator, settings: dict[str, Any], inputs: list[dict[str, Any]],
                    summary: dict[str, Any]) -> None:
    """Write a checkpoint directory atomically (temp dir, then rename over `directory`)."""
    state = {
        "format": FORMAT,
        "parameters": trainable_state(model),
        "training": training_state,
        "loop": asdict(loop),
        "sampler_generator": sampler_generator.get_state(),
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


def restore(state: dict[str, Any], *, model: nn.Module, sampler_generator: torch.Generator) -> tuple[LoopState, dict[str, Any]]:
    """Load parameters and random streams; return the loop state and the optimizer/accountant state."""
    params = dict(model.named_parameters())
    with torch.no_grad():
        for name, value in state["parameters"].items():
            params[name].copy_(value)
    sampler_generator.set_state(state["sampler_generator"])
    torch.set_rng_state(state["torch_rng"])
    return LoopState(**state["loop"]), state["training"]
