"""Running a loaded classifier over texts: per-example losses and frozen sentence embeddings.

The models come in already loaded (`rai.training.models.load_classifier`); this module only
scores them, the same way training evaluates (`rai.training.inference`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from rai.core.progress import progress
from rai.training.inference import per_example_loss, predict_proba


@dataclass(frozen=True)
class Scorer:
    model: Any
    tokenizer: Any
    batch_size: int = 64
    max_length: int = 128

    def proba(self, texts: Sequence[str], *, desc: str = "scoring") -> np.ndarray:
        """Class probabilities, shape (n, num_labels)."""
        return predict_proba(self.model, self.tokenizer, list(texts), batch_size=self.batch_size,
                             max_length=self.max_length, desc=desc)

    @staticmethod
    def loss(proba: np.ndarray, label_ids: Sequence[int]) -> np.ndarray:
        """Cross-entropy of each example under its label."""
        return per_example_loss(proba, label_ids)

    @torch.inference_mode()
    def embeddings(self, texts: Sequence[str], *, desc: str = "embedding") -> np.ndarray:
        """Mean-pooled last hidden states of the encoder under the classification head."""
        encoder = self.model.base_model
        encoder.eval()
        device = next(encoder.parameters()).device
        order = np.argsort([len(t) for t in texts], kind="stable")
        out = np.zeros((len(texts), self.model.config.hidden_size), dtype=np.float64)
        for start in progress(range(0, len(texts), self.batch_size), desc=desc, unit="batch"):
            idx = order[start:start + self.batch_size]
            enc = self.tokenizer([str(texts[i]) for i in idx], padding=True, truncation=True,
                                 max_length=self.max_length, return_tensors="pt")
            enc = {k: v.to(device) for k, v in enc.items()}
            hidden = encoder(**enc).last_hidden_state.double()
            mask = enc["attention_mask"].unsqueeze(-1).double()
            out[idx] = ((hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)).cpu().numpy()
        return out
