"""Fast batch scoring of a Detoxify model: same tokens and same sigmoid as `Detoxify.predict`.

Why it is faster: texts are tokenized once, sorted by token length and batched under
`torch.inference_mode`. Detoxify's models (BERT, RoBERTa, XLM-RoBERTa, ALBERT) run padding-free
(`rai.audit.toxicity.packed`: no padding positions, and the last layer computes only the token the
head reads); other models run padded, each batch to its own longest text instead of a random one. Why it is identical: a text's logits depend only on its own tokens (the
attention mask hides padding; packed attention runs per text), so they equal
`Detoxify.predict`'s up to float rounding (< 1e-6). Texts longer than the model's input are
truncated exactly as the tokenizer truncates them, and counted.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rai.audit.toxicity import packed
from rai.audit.toxicity.base import BackendInfo, TextScores
from rai.core.progress import progress


class DetoxifyScorer:
    """Scores texts with a loaded Detoxify model (a sequence classifier with one sigmoid per label)."""

    def __init__(self, model, tokenizer, class_names: Sequence[str], info: BackendInfo, *, batch_size: int = 32,
                 max_batch_tokens: int | None = None, padding_free: bool | None = None) -> None:
        """`class_names` name every model output, in order (as `Detoxify.class_names`); `info.labels`
        are the ones reported (the toxicity labels, not e.g. the identity-mention outputs).
        `padding_free`: None runs the model padding-free when `packed.supports` it."""
        if batch_size <= 0:
            raise ValueError("batch_size must be positive")
        if info.max_length is None:
            raise ValueError("info.max_length must be set: the scorer truncates to it")
        missing = [lab for lab in info.labels if lab not in class_names]
        if missing:
            raise ValueError(f"labels {missing} are not model outputs {list(class_names)}")
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.class_names = tuple(class_names)
        self.info = info
        self.batch_size = batch_size
        self.max_batch_tokens = max_batch_tokens
        supported = packed.supports(model)
        if padding_free and not supported:
            raise ValueError(f"{type(model).__name__} cannot run padding-free")
        self.padding_free = supported if padding_free is None else padding_free
        self._pad_values = {"input_ids": tokenizer.pad_token_id, "token_type_ids": tokenizer.pad_token_type_id,
                            "attention_mask": 0}

    def encode(self, texts: Sequence[str]) -> tuple[list[dict[str, list[int]]], np.ndarray]:
        """Token ids per text (truncated to max_length) and which texts were truncated."""
        limit = int(self.info.max_length)
        texts = [str(t) for t in texts]
        if not texts:
            return [], np.zeros(0, dtype=bool)
        # Cutting at one token over the limit tells which texts are too long; only those are
        # tokenized again, at the limit, exactly as Detoxify's own tokenizer call cuts them.
        enc = self.tokenizer(texts, truncation=True, max_length=limit + 1)
        keys = list(enc.keys())
        rows = [{k: enc[k][i] for k in keys} for i in range(len(texts))]
        truncated = np.array([len(r["input_ids"]) > limit for r in rows], dtype=bool)
        long_idx = np.flatnonzero(truncated)
        if long_idx.size:
            cut = self.tokenizer([texts[i] for i in long_idx], truncation=True, max_length=limit)
            for j, i in enumerate(long_idx):
                rows[i] = {k: cut[k][j] for k in keys}
        return rows, truncated

    def batches(self, lengths: Sequence[int]) -> list[np.ndarray]:
        """Indices by batch: longest texts first (memory peaks early), at most `batch_size` texts and
        at most `max_batch_tokens` computed tokens per batch (padded: texts x the longest;
        padding-free: the sum), so long texts go in smaller batches."""
        order = np.argsort([-n for n in lengths], kind="stable")
        out: list[list[int]] = []
        cost = 0
        for i in order:
            n = int(lengths[i])
            if out and len(out[-1]) < self.batch_size:
                added = cost + n if self.padding_free else (len(out[-1]) + 1) * int(lengths[out[-1][0]])
                if self.max_batch_tokens is None or added <= self.max_batch_tokens:
                    out[-1].append(int(i))
                    cost = added
                    continue
            out.append([int(i)])
            cost = n
        return [np.array(b, dtype=np.int64) for b in out]

    def _pad(self, rows: list[dict[str, list[int]]]):
        import torch

        width = max(len(r["input_ids"]) for r in rows)
        left = self.tokenizer.padding_side == "left"
        batch = {}
        for key in rows[0]:
            fill = self._pad_values[key]
            padded = [([fill] * (width - len(r[key])) + r[key]) if left else (r[key] + [fill] * (width - len(r[key])))
                      for r in rows]
            batch[key] = torch.tensor(padded, dtype=torch.long, device=self.model.device)
        return batch

    def predict_all(self, texts: Sequence[str]) -> TextScores:
        """Sigmoid of every model output (all of `class_names`), like `Detoxify.predict`."""
        import torch

        rows, truncated = self.encode(texts)
        values = np.zeros((len(rows), len(self.class_names)), dtype=np.float64)
        batches = self.batches([len(r["input_ids"]) for r in rows])
        with torch.inference_mode():
            for idx in progress(batches, desc="scoring toxicity", unit="batch"):
                batch = [rows[i] for i in idx]
                if self.padding_free:
                    types = [r["token_type_ids"] for r in batch] if "token_type_ids" in batch[0] else None
                    logits = packed.packed_logits(self.model, [r["input_ids"] for r in batch], types)
                else:
                    logits = self.model(**self._pad(batch))[0]
                values[idx] = torch.sigmoid(logits).float().cpu().numpy()
        return TextScores(labels=self.class_names, values=values, truncated=truncated)

    def score(self, texts: Sequence[str]) -> TextScores:
        """Scores of the reported labels (`info.labels`)."""
        full = self.predict_all(texts)
        cols = [self.class_names.index(lab) for lab in self.info.labels]
        return TextScores(labels=self.info.labels, values=full.values[:, cols], truncated=full.truncated)
