"""Making Hugging Face encoders work with Opacus' per-example gradients.

transformers builds `position_ids` (and BERT's `token_type_ids`) from a [1, T] buffer and
broadcasts it over the batch. Opacus records each layer's input to compute per-example
gradients, so the position embedding sees a batch of 1 while its output gradient has a batch
of B: hooks mode fails with "stack expects each tensor to be equal size", ghost mode with a
`view` error on the expanded (stride-0) tensor. `PerExampleIds` gives every `nn.Embedding` a
contiguous [B, T] input instead, which is the same lookup, so the model computes exactly what
it computed before. It works for BERT, DistilBERT and RoBERTa alike (whatever builds the ids),
in every --grad-sample-mode, and needs nothing from the user.
"""

from __future__ import annotations

from torch import nn

from rai.errors import InputError

ERR_UNSUPPORTED = "Opacus cannot train this model with DP: {problems} (freeze those layers with --train-layers, or use --no-dp)"


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


def check_dp_compatible(model: nn.Module) -> None:
    problems = dp_problems(model)
    if problems:
        shown = "; ".join(problems[:3]) + (f"; and {len(problems) - 3} more" if len(problems) > 3 else "")
        raise InputError(ERR_UNSUPPORTED.format(problems=shown), where="--model")

