"""Making Hugging Face encoders work with Opacus' per-example gradients, and refusing what breaks them.

transformers builds `position_ids` (and BERT's `token_type_ids`) from a [1, T] buffer and
broadcasts it over the batch. Opacus records each layer's input to compute per-example
gradients, so the position embedding sees a batch of 1 while its output gradient has a batch
of B: hooks mode fails with "stack expects each tensor to be equal size", ghost mode with a
`view` error on the expanded (stride-0) tensor. `PerExampleIds` gives every `nn.Embedding` a
contiguous [B, T] input instead, which is the same lookup, so the model computes exactly what
it computed before. It works for BERT, DistilBERT and RoBERTa alike (whatever builds the ids),
in every --grad-sample-mode, and needs nothing from the user.

DP-SGD bounds what one example can change by clipping its gradient. A layer that changes with
the data in another way escapes that bound whether it is trained or frozen: BatchNorm in training
mode normalises each example with its batch's statistics (one example moves the others' outputs)
and updates running statistics saved with the model; any layer whose buffers change in a forward
pass releases a function of the private batches without noise. `stateful_layers` finds them by
type and by a probe forward pass, unless the layer stays in eval mode when the model is put in
training mode (then it uses fixed statistics and updates nothing).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm, _NormBase

from rai.core.errors import InputError

ERR_UNSUPPORTED = "Opacus cannot train this model with DP: {problems} (freeze those layers with --train-layers, or use --no-dp)"
ERR_STATEFUL_LAYERS = ("{layers}: such a layer changes with the training data outside DP-SGD's per-example clipping, "
                       "frozen or not; replace it (BatchNorm by LayerNorm or GroupNorm) or train with --no-dp")
WHY_BATCH_STATISTICS = "normalises each example with the statistics of its batch in training mode"
WHY_RUNNING_STATISTICS = "updates running statistics in training mode"
WHY_BUFFER_CHANGED = "changed its buffer {buffer} in a training-mode forward pass"


class PerExampleIds:
    """Forward pre-hooks: remember the batch size, then expand [1, T] embedding inputs to contiguous [B, T]."""

    def __init__(self, model: nn.Module):
        self.batch_size: int | None = None
        self.handles = [model.register_forward_pre_hook(self._remember_batch, with_kwargs=True)]
        self.handles += [m.register_forward_pre_hook(self._expand) for m in model.modules() if isinstance(m, nn.Embedding)]

    def _remember_batch(self, _module, args, kwargs):
        ids = kwargs.get("input_ids", args[0] if args else None)
        if ids is None:
            ids = kwargs.get("inputs_embeds")
        self.batch_size = None if ids is None else int(ids.shape[0])

    def _expand(self, _module, args):
        (ids, *rest) = args
        if ids.dim() != 2:
            return None
        if self.batch_size is not None and ids.shape[0] == 1 and self.batch_size != 1:
            return (ids.expand(self.batch_size, -1).contiguous(), *rest)
        if not ids.is_contiguous():
            return (ids.contiguous(), *rest)
        return None

    def remove(self) -> None:
        for handle in self.handles:
            handle.remove()
        self.handles = []


def dp_problems(model: nn.Module) -> list[str]:
    """What stops Opacus from computing per-example gradients of the trainable part of `model`."""
    from opacus.utils.module_utils import trainable_modules
    from opacus.validators import ModuleValidator

    was_training = model.training
    model.train()
    try:
        problems = [str(e) for e in ModuleValidator.validate(model, strict=False)]
        # The check of Opacus' GradSampleModule.validate, with a shorter message: trainable layers
        # that keep buffers (BatchNorm statistics, quantisation state) are not per-example.
        problems += [f"trainable layer {name} ({type(m).__name__}) keeps buffers"
                     for name, m in trainable_modules(model) if next(m.buffers(), None) is not None]
    finally:
        model.train(was_training)
    return [" ".join(p.split()) for p in problems]


def _by_type(model: nn.Module) -> dict[str, str]:
    """Normalisation layers that use batch statistics or update running ones, once the model is in training mode."""
    found = {}
    for name, m in model.named_modules():
        if isinstance(m, _BatchNorm) and (m.training or m.running_mean is None):  # without running stats, always batch stats
            found[name] = f"layer {name} ({type(m).__name__}) {WHY_BATCH_STATISTICS}"
        elif isinstance(m, _NormBase) and m.training and m.track_running_stats:  # InstanceNorm with running statistics
            found[name] = f"layer {name} ({type(m).__name__}) {WHY_RUNNING_STATISTICS}"
    return found


def _by_probe(model: nn.Module, inputs: dict[str, torch.Tensor]) -> dict[str, str]:
    """Layers whose buffers one training-mode forward pass on `inputs` changes (buffers and torch's RNG are restored)."""
    before = {name: b.detach().clone() for name, b in model.named_buffers()}
    try:
        with torch.random.fork_rng(devices=[]), torch.no_grad():
            model(**inputs)
        found = {}
        for name, b in model.named_buffers():
            if name in before and (b.shape != before[name].shape or not torch.equal(b, before[name])):
                module, _, buffer = name.rpartition(".")
                kind = type(model.get_submodule(module)).__name__
                found.setdefault(module, f"layer {module or '(model)'} ({kind}) {WHY_BUFFER_CHANGED.format(buffer=buffer)}")
        return found
    finally:
        with torch.no_grad():
            for name, value in before.items():
                module, _, buffer = name.rpartition(".")
                live = getattr(model.get_submodule(module), buffer)
                if live is not None and live.shape == value.shape and live.dtype == value.dtype:
                    live.copy_(value)  # in place: a buffer shared by several layers stays shared
                else:
                    setattr(model.get_submodule(module), buffer, value)


def stateful_layers(model: nn.Module, probe_inputs: dict[str, torch.Tensor]) -> list[str]:
    """Every layer that changes with the data in training mode, trainable or frozen, as one line each."""
    was_training = model.training
    model.train()
    try:
        found = _by_probe(model, probe_inputs)
        found.update(_by_type(model))  # the reason by type is the more precise one
    finally:
        model.train(was_training)
    return list(found.values())


def _shown(problems: list[str]) -> str:
    return "; ".join(problems[:3]) + (f"; and {len(problems) - 3} more" if len(problems) > 3 else "")


def check_dp_compatible(model: nn.Module, probe_inputs: dict[str, torch.Tensor]) -> None:
    """Refuse (exit 2) layers that change with the data, then layers Opacus cannot clip per example.

    Layers that change with the data come first: freezing them, the remedy for the others, does not help.
    """
    stateful = stateful_layers(model, probe_inputs)
    if stateful:
        raise InputError(ERR_STATEFUL_LAYERS.format(layers=_shown(stateful)), where="--model")
    problems = dp_problems(model)
    if problems:
        raise InputError(ERR_UNSUPPORTED.format(problems=_shown(problems)), where="--model")
