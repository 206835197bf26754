"""Padding-free forward of BERT-style sequence classifiers: the logits of the padded forward, less work.

Why: a padded batch computes every layer for every padding position, and every layer for every
token although the classification head reads only the first token of the last layer. Here the
texts of a batch are concatenated into one sequence with no padding (per-token layers run on all
tokens at once; attention runs per text, so no text sees another), and the last layer computes
only each text's first token (its keys and values still come from every token). Same weights,
same operations in the same order per token: the logits equal the padded forward's up to float
rounding (tests check < 1e-6 after the sigmoid, against the model's own forward).

Applies to BERT, RoBERTa, XLM-RoBERTa, CamemBERT and ALBERT sequence classifiers with absolute
positions: all five Detoxify models (original, unbiased, multilingual, and the ALBERT-based
-small ones). `supports` says no to anything else, which the scorer pads instead.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class _Architecture:
    """Where a classifier keeps the parts the padding-free forward calls (transformers' own modules)."""

    layers: Callable[[nn.Module], list[nn.Module]]  # base model -> its encoder layers, in call order
    embed: Callable[[nn.Module, torch.Tensor], torch.Tensor]  # (base, embeddings output) -> first layer's input
    self_attention: Callable[[nn.Module], nn.Module]  # layer -> the module with query, key, value
    attention_out: Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor]  # (layer, context, residual)
    feed_forward: Callable[[nn.Module, torch.Tensor], torch.Tensor]  # (layer, attention output) -> layer output
    head: Callable[[nn.Module, torch.Tensor], torch.Tensor]  # (model, first tokens [n, 1, hidden]) -> logits
    positions_after_padding: bool = False  # RoBERTa family (create_position_ids_from_input_ids)


def _albert_layers(base: nn.Module) -> list[nn.Module]:
    """ALBERT's schedule: layer i runs group int(i / (layers / groups)), each group its inner layers."""
    config, groups = base.config, base.encoder.albert_layer_groups
    per_group = config.num_hidden_layers / config.num_hidden_groups
    return [layer for i in range(config.num_hidden_layers) for layer in groups[int(i / per_group)].albert_layers]


_BERT = _Architecture(
    layers=lambda base: list(base.encoder.layer),
    embed=lambda base, x: x,
    self_attention=lambda layer: layer.attention.self,
    attention_out=lambda layer, context, residual: layer.attention.output(context, residual),
    feed_forward=lambda layer, a: layer.feed_forward_chunk(a),
    head=lambda model, first: model.classifier(model.dropout(model.base_model.pooler(first))),
)
_ROBERTA = dataclasses.replace(_BERT, head=lambda model, first: model.classifier(first), positions_after_padding=True)
_ALBERT = _Architecture(
    layers=_albert_layers,
    embed=lambda base, x: base.encoder.embedding_hidden_mapping_in(x),
    self_attention=lambda layer: layer.attention,
    attention_out=lambda layer, context, residual: layer.attention.LayerNorm(
        residual + layer.attention.output_dropout(layer.attention.dense(context))),
    feed_forward=lambda layer, a: layer.full_layer_layer_norm(layer.ff_chunk(a) + a),
    head=lambda model, first: model.classifier(model.dropout(
        model.base_model.pooler_activation(model.base_model.pooler(first[:, 0])))),
)
_ARCHITECTURES = {
    "BertForSequenceClassification": _BERT,
    "RobertaForSequenceClassification": _ROBERTA,
    "XLMRobertaForSequenceClassification": _ROBERTA,
    "CamembertForSequenceClassification": _ROBERTA,
    "AlbertForSequenceClassification": _ALBERT,
}


def supports(model: nn.Module) -> bool:
    """Whether `model` is a sequence classifier this module can run without padding."""
    config = model.config
    return (type(model).__name__ in _ARCHITECTURES and not getattr(config, "is_decoder", False)
            and getattr(config, "position_embedding_type", "absolute") == "absolute")


def packed_logits(model: nn.Module, input_ids: Sequence[Sequence[int]],
                  token_type_ids: Sequence[Sequence[int]] | None = None) -> torch.Tensor:
    """Logits [n, labels] of n tokenized texts (no padding), as `model(...)` gives them padded.

    Call under `torch.inference_mode()` with the model in eval mode (dropout off).
    """
    arch, base = _ARCHITECTURES[type(model).__name__], model.base_model
    device = next(model.parameters()).device
    lengths = [len(ids) for ids in input_ids]
    if not lengths or min(lengths) == 0:  # an empty text would read its neighbour's first token
        raise ValueError("every text needs at least one token")
    starts = torch.tensor([0, *lengths[:-1]], device=device).cumsum(0)
    segments = [(s, s + n) for s, n in zip(starts.tolist(), lengths)]
    ids = torch.tensor([t for row in input_ids for t in row], dtype=torch.long, device=device)
    types = (torch.tensor([t for row in token_type_ids for t in row], dtype=torch.long, device=device)
             if token_type_ids is not None else torch.zeros_like(ids))
    offset = base.embeddings.padding_idx + 1 if arch.positions_after_padding else 0
    positions = torch.cat([torch.arange(offset, offset + n, device=device) for n in lengths])
    embedded = base.embeddings(input_ids=ids[None], position_ids=positions[None], token_type_ids=types[None])
    hidden = arch.embed(base, embedded)[0]
    *layers, last = arch.layers(base)
    for layer in layers:
        hidden = _layer(arch, layer, hidden, segments)
    first = _layer(arch, last, hidden, segments, queries=starts)
    return arch.head(model, first[:, None])


def _layer(arch: _Architecture, layer: nn.Module, hidden: torch.Tensor, segments: list[tuple[int, int]],
           queries: torch.Tensor | None = None) -> torch.Tensor:
    """One encoder layer on packed tokens [N, hidden]; with `queries` (one row per segment), only those rows.

    The layer's own submodules in the order of its forward (projections, attention output with
    residual and LayerNorm, feed-forward), with attention restricted to each text's own tokens.
    """
    attn = arch.self_attention(layer)
    heads, size = attn.num_attention_heads, attn.attention_head_size
    rows = hidden if queries is None else hidden[queries]

    def split(x: torch.Tensor) -> torch.Tensor:  # [N, heads*size] -> [1, heads, N, size], SDPA's layout
        return x.view(1, -1, heads, size).transpose(1, 2)

    q, k, v = split(attn.query(rows)), split(attn.key(hidden)), split(attn.value(hidden))
    context = torch.cat([
        F.scaled_dot_product_attention(q[:, :, s:e] if queries is None else q[:, :, i:i + 1], k[:, :, s:e],
                                       v[:, :, s:e], scale=attn.scaling)
        for i, (s, e) in enumerate(segments)], dim=2)
    context = context.transpose(1, 2).reshape(len(rows), heads * size)
    return arch.feed_forward(layer, arch.attention_out(layer, context, rows))
