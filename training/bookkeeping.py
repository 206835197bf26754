"""Book-keeping per-example clipping: the clipped gradient sum of DP-SGD in one backward pass.

Why: Opacus' ghost clipping runs two backward passes (norms, then the reweighted loss) and its
hooks mode materialises a gradient per example and parameter. Here (Bu et al., 2023, "Differentially
private optimization on large model at small cost") one backward pass computes only the gradients
of the loss with respect to the trainable layers' outputs, never the parameter gradients. From
each layer's input (kept by a forward hook) and output gradient, the per-example gradient norms
come out without materialising the gradients (ghost norms), then the clipped sum
Σ_i min(1, C / (‖g_i‖ + 1e-6)) g_i is one weighted matrix product per layer. Same clipping rule as
Opacus, so Opacus' optimizer adds the noise and its accountant counts the step unchanged.

Supported trainable layers: `nn.Linear`, `nn.Embedding` and `nn.LayerNorm`, which make up BERT-,
DistilBERT- and RoBERTa-style classifiers. Fail closed: a model that trains anything else, calls a
trainable layer twice in one forward pass (ALBERT), shares a parameter between layers, or does not
call a trainable layer (its weights might be used directly, out of the hooks' sight) is refused
with a pointer to the other modes.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from rai.core.errors import InputError

SUPPORTED = (nn.Linear, nn.Embedding, nn.LayerNorm)
ERR_UNSUPPORTED = ("book-keeping clipping supports trainable Linear, Embedding and LayerNorm layers only; this model "
                   "trains {layers}: use --grad-sample-mode ghost or hooks")
ERR_REUSED = ("book-keeping clipping needs each trainable parameter used by one layer call per forward pass, and "
              "{layer} is used more than once (shared or tied weights): use --grad-sample-mode hooks")
ERR_NOT_CALLED = ("book-keeping clipping sees a trainable layer only when the model calls it, and {layers} was not "
                  "called in the forward pass (its weights may be used directly): use --grad-sample-mode hooks, or "
                  "freeze it with --train-layers")


ERR_NOT_PER_EXAMPLE = ("book-keeping clipping needs each trained layer's output to have one row per example, and "
                       "{layer} gives {shape} for a batch of {batch} (one value shared by the batch, such as a "
                       "relative-position bias): use --grad-sample-mode ghost or hooks, or freeze it with --train-layers")


@dataclass
class _Call:
    """One call of a trainable layer during the forward pass: what its clipped gradient needs."""

    module: nn.Module
    inputs: torch.Tensor  # [B, ..., d_in] activations (token ids for an embedding), detached
    output: torch.Tensor  # attached to the graph: the backward pass stops at it


class BookKeeping:
    """Forward hooks on the trainable layers of `model`, and the one-pass clipped backward."""

    def __init__(self, model: nn.Module, max_grad_norm: float) -> None:
        self.max_grad_norm = float(max_grad_norm)
        named = [(n, m) for n, m in model.named_modules() if any(p.requires_grad for p in m.parameters(recurse=False))]
        layers = [m for _, m in named]
        other = sorted({type(m).__name__ for m in layers if type(m) not in SUPPORTED})  # subclasses may compute otherwise
        odd = [m for m in layers if isinstance(m, nn.Embedding) and (m.sparse or m.scale_grad_by_freq)]
        if other or odd:
            raise InputError(ERR_UNSUPPORTED.format(layers=", ".join(other) or "sparse or frequency-scaled embeddings"),
                             where="--grad-sample-mode")
        self.params = [p for m in layers for p in m.parameters(recurse=False) if p.requires_grad]
        if len({id(p) for p in self.params}) < len(self.params):  # a per-example norm would miss the cross terms
            raise InputError(ERR_REUSED.format(layer="a parameter shared by several layers"), where="--grad-sample-mode")
        self._names = {id(m): n for n, m in named}
        self._calls: list[_Call] = []
        self._handles = [m.register_forward_hook(self._record) for m in layers]

    def _record(self, module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
        if torch.is_grad_enabled() and module.training:
            self._calls.append(_Call(module, inputs[0].detach(), output))

    def backward(self, per_example_loss: torch.Tensor) -> torch.Tensor:
        """Set `p.grad` of every trainable parameter to Σ_i clip_i ∇ loss_i; return the per-example norms."""
        calls, self._calls = self._calls, []
        seen: set[int] = set()
        for call in calls:
            if id(call.module) in seen:
                raise InputError(ERR_REUSED.format(layer=f"a {type(call.module).__name__} layer"), where="--grad-sample-mode")
            seen.add(id(call.module))
        skipped = [name for key, name in self._names.items() if key not in seen]
        if skipped:  # its weights may still be used (F.embedding(x, layer.weight)): no hook would see them
            raise InputError(ERR_NOT_CALLED.format(layers=", ".join(skipped[:3])), where="--grad-sample-mode")
        grads = torch.autograd.grad(per_example_loss.sum(), [c.output for c in calls], allow_unused=True)
        used = [(call, grad) for call, grad in zip(calls, grads) if grad is not None]  # None: no path to the loss
        batch = per_example_loss.shape[0]
        for call, grad in used:
            if grad.dim() < 2 or grad.shape[0] != batch:  # e.g. a relative-position bias shared by the batch
                raise InputError(ERR_NOT_PER_EXAMPLE.format(layer=self._names[id(call.module)], shape=tuple(grad.shape),
                                                            batch=batch), where="--grad-sample-mode")
        squared = sum((_norm_squared(call.module, call.inputs, grad).double() for call, grad in used),
                      torch.zeros(batch, dtype=torch.float64, device=per_example_loss.device))
        norms = squared.sqrt()
        factor = (self.max_grad_norm / (norms + 1e-6)).clamp(max=1.0).to(per_example_loss.dtype)  # Opacus' rule
        for p in self.params:
            p.grad = torch.zeros_like(p)
        for call, grad in used:
            _add_clipped(call.module, call.inputs, grad, factor)
        return norms

    def remove(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []
        self._calls = []


# --- per layer type: squared per-example gradient norms, and the clipped gradient sum --------------
def _tokens(x: torch.Tensor, batch: int) -> torch.Tensor:
    """[B, ..., d] as [B, T, d] (T = 1 for 2-D inputs such as a classification head's)."""
    return x.reshape(batch, -1, x.shape[-1])


def _norm_squared(module: nn.Module, inputs: torch.Tensor, grad: torch.Tensor) -> torch.Tensor:
    batch = grad.shape[0]
    total = torch.zeros(batch, dtype=grad.dtype, device=grad.device)
    if isinstance(module, nn.Linear):
        a, g = _tokens(inputs, batch), _tokens(grad, batch)
        if module.weight.requires_grad:
            total = total + _gram_product(a, g)
        if module.bias is not None and module.bias.requires_grad:
            total = total + g.sum(dim=1).square().sum(dim=1)
        return total
    if isinstance(module, nn.Embedding):
        ids, g = inputs.reshape(batch, -1), _tokens(grad, batch)
        if module.padding_idx is not None:  # that row never receives a gradient (torch's embedding backward)
            g = g * (ids != module.padding_idx).unsqueeze(-1)
        same = (ids.unsqueeze(2) == ids.unsqueeze(1)).to(g.dtype)  # [B, T, T]: same row of the table
        return (same * torch.bmm(g, g.transpose(1, 2))).sum(dim=(1, 2))
    weight, bias = _layer_norm_grads(module, inputs, grad)  # LayerNorm: per-example gradients are small
    if weight is not None:
        total = total + weight.square().sum(dim=1)
    if bias is not None:
        total = total + bias.square().sum(dim=1)
    return total


def _gram_product(a: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    """‖g_iᵀ a_i‖²_F per example, the cheaper way: ghost norm via T x T Gram matrices, or the gradient itself."""
    tokens, d_in, d_out = a.shape[1], a.shape[2], g.shape[2]
    if tokens * (d_in + d_out) <= d_in * d_out:
        return (torch.bmm(a, a.transpose(1, 2)) * torch.bmm(g, g.transpose(1, 2))).sum(dim=(1, 2))
    return torch.bmm(g.transpose(1, 2), a).square().sum(dim=(1, 2))


def _layer_norm_grads(module: nn.LayerNorm, inputs: torch.Tensor, grad: torch.Tensor):
    """Per-example gradients [B, d] of the LayerNorm's weight and bias (None when frozen or absent)."""
    batch, dims = grad.shape[0], tuple(range(1, grad.dim() - len(module.normalized_shape)))

    def per_example(x: torch.Tensor) -> torch.Tensor:  # sum over the token dimensions, if any
        return (x.sum(dim=dims) if dims else x).reshape(batch, -1)

    weight = bias = None
    if module.weight is not None and module.weight.requires_grad:
        weight = per_example(F.layer_norm(inputs, module.normalized_shape, eps=module.eps) * grad)
    if module.bias is not None and module.bias.requires_grad:
        bias = per_example(grad)
    return weight, bias


def _add_clipped(module: nn.Module, inputs: torch.Tensor, grad: torch.Tensor, factor: torch.Tensor) -> None:
    """Add Σ_i factor_i ∇_θ loss_i of this layer's parameters to their `.grad`."""
    batch = grad.shape[0]
    scale = factor.view(batch, *([1] * (grad.dim() - 1)))
    if isinstance(module, nn.Linear):
        a, g = _tokens(inputs, batch).reshape(-1, inputs.shape[-1]), (grad * scale).reshape(-1, grad.shape[-1])
        if module.weight.requires_grad:
            module.weight.grad += g.T @ a
        if module.bias is not None and module.bias.requires_grad:
            module.bias.grad += g.sum(dim=0)
    elif isinstance(module, nn.Embedding):
        ids, g = inputs.reshape(-1), (grad * scale).reshape(-1, grad.shape[-1])
        if module.padding_idx is not None:
            keep = ids != module.padding_idx
            ids, g = ids[keep], g[keep]
        module.weight.grad.index_add_(0, ids, g)
    else:
        weight, bias = _layer_norm_grads(module, inputs, grad)
        if weight is not None:
            module.weight.grad += (factor[:, None] * weight).sum(dim=0).view_as(module.weight)
        if bias is not None:
            module.bias.grad += (factor[:, None] * bias).sum(dim=0).view_as(module.bias)
