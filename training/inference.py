"""Batch scoring of a sequence classifier: class probabilities and per-example losses.

Used by training (evaluation, predictions.csv) and by audits (counterfactuals, membership
inference), so every part scores texts the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from rai.core.progress import progress


@torch.inference_mode()
def predict_proba(model, tokenizer, texts: Sequence[str], *, batch_size: int = 64, max_length: int = 128,
                  desc: str = "scoring") -> np.ndarray:
    """Softmax probabilities, shape (n, num_labels). Texts are sorted by length to batch tightly."""
    model.eval()
    device = next(model.parameters()).device
    order = np.argsort([len(t) for t in texts], kind="stable")
    out = np.zeros((len(texts), model.config.num_labels), dtype=np.float64)
    for start in progress(range(0, len(texts), batch_size), desc=desc, unit="batch"):
        idx = order[start:start + batch_size]
        enc = tokenizer([str(texts[i]) for i in idx], padding=True, truncation=True, max_length=max_length, return_tensors="pt")
        enc = {k: v.to(device) for k, v in enc.items()}
        logits = model(**enc).logits.double()
        out[idx] = torch.softmax(logits, dim=-1).cpu().numpy()
    return out


def per_example_loss(proba: np.ndarray, labels: Sequence[int]) -> np.ndarray:
    """Cross-entropy of each example under the model's probabilities."""
    p = proba[np.arange(len(labels)), np.asarray(labels, dtype=int)]
    return -np.log(np.clip(p, 1e-12, 1.0))
