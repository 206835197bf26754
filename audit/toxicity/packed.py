"""Padding-free forward of BERT-style sequence classifiers: the logits of the padded forward, less work.

Why: a padded batch computes every layer for every padding position, and every layer for every
token although the classification head reads only the first token of the last layer. Here the
texts of a batch are concatenated into one sequence with no padding (per-token layers run on all
tokens at once; attention runs per text, so no text sees another), and the last layer computes
only each text's first token (its keys and values still come from every token). Same weights,
same operations in the same order per token: the logits equal the padded forward's up to float
rounding (tests check < 1e-6 after the sigmoid, against the model's own forward).

Applies to encoders built of BERT-shaped layers with absolute positions (BERT, RoBERTa,
XLM-RoBERTa, CamemBERT: Detoxify's original, unbiased and multilingual models); `supports`
says no to anything else (e.g. ALBERT, Detoxify's -small models), which the scorer pads instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F


def _pooled_head(model: torch.nn.Module, first: torch.Tensor) -> torch.Tensor:
    return model.classifier(model.dropout(model.base_model.pooler(first)))


def _classifier_head(model: torch.nn.Module, first: torch.Tensor) -> torch.Tensor:
    return model.classifier(first)


# Classifier class -> its head on the last layer's first tokens, given as [n, 1, hidden] (a
# sequence of length 1: the heads read its position 0).
_HEADS: dict[str, Callable[[torch.nn.Module, torch.Tensor], torch.Tensor]] = {
    "BertForSequenceClassification": _pooled_head,
    "RobertaForSequenceClassification": _classifier_head,
    "XLMRobertaForSequenceClassification": _classifier_head,
    "CamembertForSequenceClassification": _classifier_head,
}
# RoBERTa-family positions start after the padding index (transformers' create_position_ids_from_input_ids).
_POSITIONS_AFTER_PADDING = {"roberta", "xlm-roberta", "camembert"}


def supports(model: torch.nn.Module) -> bool:
    """Whether `model` is a sequence classifier this module can run without padding."""
    config = model.config
    return (type(model).__name__ in _HEADS and not config.is_decoder
            and getattr(config, "position_embedding_type", "absolute") == "absolute")


def packed_logits(model: torch.nn.Module, input_ids: Sequence[Sequence[int]],
                  token_type_ids: Sequence[Sequence[int]] | None = None) -> torch.Tensor:
    """Logits [n, labels] of n tokenized texts (no padding), as `model(...)` gives them padded.

    Call under `torch.inference_mode()` with the model in eval mode (dropout off).
    """
    base = model.base_model
    device = next(model.parameters()).device
    lengths = [len(ids) for ids in input_ids]
    if not lengths or min(lengths) == 0:  # an empty text would read its neighbour's first token
        raise ValueError("every text needs at least one token")
    starts = torch.tensor([0, *lengths[:-1]], device=device).cumsum(0)
    segments = [(s, s + n) for s, n in zip(starts.tolist(), lengths)]
    ids = torch.tensor([t for row in input_ids for t in row], dtype=torch.long, device=device)
    types = (torch.tensor([t for row in token_type_ids for t in row], dtype=torch.long, device=device)
             if token_type_ids is not None else torch.zeros_like(ids))
    offset = base.embeddings.padding_idx + 1 if model.config.model_type in _POSITIONS_AFTER_PADDING else 0
    positions = torch.cat([torch.arange(offset, offset + n, device=device) for n in lengths])
    hidden = base.embeddings(input_ids=ids[None], position_ids=positions[None], token_type_ids=types[None])[0]
    *layers, last = base.encoder.layer
    for layer in layers:
        hidden = _layer(layer, hidden, segments)
    first = _layer(last, hidden, segments, queries=starts)
    return _HEADS[type(model).__name__](model, first[:, None])


def _layer(layer: torch.nn.Module, hidden: torch.Tensor, segments: list[tuple[int, int]],
           queries: torch.Tensor | None = None) -> torch.Tensor:
    """One BERT layer on packed tokens [N, hidden]; with `queries` (one row per segment), only those rows.

    The same submodules as `BertLayer.forward` (projections, attention output with residual and
    LayerNorm, feed-forward), with attention restricted to each text's own tokens.
    """
    attn = layer.attention.self
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
    return layer.feed_forward_chunk(layer.attention.output(context, rows))
