"""`--train-layers`: which parameters of a sequence classifier are trained; the rest are frozen.

The head is everything outside the encoder body (`model.base_model`) plus the body's pooler,
if it has one: BERT's pooler feeds only the classifier. `last:K` adds the last K blocks of the
encoder, which is the Opacus BERT recipe (fewer trained parameters, less noise per parameter).
"""

from __future__ import annotations

from torch import nn

from rai.core.errors import InputError
from rai.training.config import LayerChoice, TrainLayers

ERR_NO_ENCODER_LAYERS = "cannot find the encoder's layer list in this model; use --train-layers all or head"
ERR_TOO_MANY_LAYERS = "the model has only {n} encoder layers (asked for the last {k})"


def encoder_layers(model: nn.Module) -> nn.ModuleList | None:
    """The encoder's block list: the longest ModuleList in the body whose items share one class."""
    body = getattr(model, "base_model", model)
    best: nn.ModuleList | None = None
    for module in body.modules():
        if isinstance(module, nn.ModuleList) and len(module) > 0 and len({type(m) for m in module}) == 1:
            if best is None or len(module) > len(best):
                best = module
    return best


def head_modules(model: nn.Module) -> list[nn.Module]:
    """Modules of the classification head: children outside the body, and the body's pooler."""
    body = getattr(model, "base_model", model)
    heads = [child for child in model.children() if child is not body]
    pooler = getattr(body, "pooler", None)
    if isinstance(pooler, nn.Module):
        heads.append(pooler)
    return heads


def apply_train_layers(model: nn.Module, layers: TrainLayers) -> int:
    """Set requires_grad according to `layers`; return the number of trainable parameters."""
    if layers.choice is LayerChoice.ALL:
        trainable = list(model.parameters())
    else:
        modules = head_modules(model)
        if layers.choice is LayerChoice.LAST:
            blocks = encoder_layers(model)
            if blocks is None:
                raise InputError(ERR_NO_ENCODER_LAYERS, where="--train-layers")
            if layers.k > len(blocks):
                raise InputError(ERR_TOO_MANY_LAYERS.format(n=len(blocks), k=layers.k), where="--train-layers")
            modules += list(blocks)[-layers.k:]
        trainable = [p for m in modules for p in m.parameters()]
    for p in model.parameters():
        p.requires_grad_(False)
    for p in trainable:
        p.requires_grad_(True)
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
