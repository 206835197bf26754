"""Training and evaluation data: reading, checking, the seeded stratified split, and batching.

Everything the user can get wrong about the data is found here, before anything is written:
missing files or columns, empty tables, missing labels or texts, a single class, labels in
the evaluation file that training never saw, δ ≥ 1/n.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from rai.core.errors import InputError
from rai.core.io import describe_input, read_table
from rai.training.config import DEFAULT_DELTA_CAP, DEFAULT_DELTA_FACTOR, TrainConfig
from rai.training.labels import LabelMap

ERR_MISSING_LABELS = "{n} row(s) have no label (0-based rows {rows}); drop or fill them"
ERR_MISSING_TEXT = "{n} row(s) have no text (0-based rows {rows}); drop or fill them"
ERR_NO_EVAL_ROWS = "too few rows to hold out a stratified evaluation set (each class needs 2 rows); give --eval"
ERR_DELTA_TOO_BIG = "must be below 1/n = {bound:.3g} for the n = {n} training examples (got {delta:g})"


@dataclass
class Examples:
    """Texts and class indices, with the 0-based row number of each in its source file (None: a canary)."""

    texts: list[str]
    labels: np.ndarray
    rows: list[int | None]

    def __len__(self) -> int:
        return len(self.texts)


@dataclass
class EvalSet(Examples):
    """Evaluation examples plus what predictions.csv carries over: ids and group columns."""

    ids: list[Any] = field(default_factory=list)
    groups: pd.DataFrame = field(default_factory=pd.DataFrame)
    original_labels: list[Any] = field(default_factory=list)


@dataclass
class TrainingData:
    train: Examples
    eval: EvalSet
    label_map: LabelMap
    split: dict[str, list[int]] | None  # {"train_rows", "eval_rows"} when the eval set is a split of --data
    inputs: list[dict[str, Any]]  # provenance: path, sha256, rows


def _rows_where(mask: pd.Series) -> tuple[int, str]:
    rows = [int(i) for i in np.flatnonzero(mask.to_numpy())]
    shown = ", ".join(map(str, rows[:5])) + (", ..." if len(rows) > 5 else "")
    return len(rows), shown


def _check_values(df: pd.DataFrame, cfg: TrainConfig, where: str) -> None:
    for column, message in ((cfg.label_column, ERR_MISSING_LABELS), (cfg.text_column, ERR_MISSING_TEXT)):
        missing = df[column].isna()
        if missing.any():
            n, rows = _rows_where(missing)
            raise InputError(message.format(n=n, rows=rows), where=f"{where}, column {column!r}")


def stratified_split(labels: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded stratified split: (train_rows, eval_rows), both sorted.

    Each class with at least two rows puts round(fraction × its size) rows, at least one and
    never all, into the evaluation set; a class with a single row stays in training.
    """
    rng = np.random.default_rng(seed)
    eval_rows: list[np.ndarray] = []
    for cls in np.unique(labels):
        rows = np.flatnonzero(labels == cls)
        if len(rows) < 2:
            continue
        k = min(max(int(round(fraction * len(rows))), 1), len(rows) - 1)
        eval_rows.append(rng.permutation(rows)[:k])
    held_out = np.sort(np.concatenate(eval_rows)) if eval_rows else np.array([], dtype=np.int64)
    train_rows = np.setdiff1d(np.arange(len(labels)), held_out)
    return train_rows, held_out


def _eval_set(df: pd.DataFrame, rows: np.ndarray, labels: np.ndarray, cfg: TrainConfig, label_map: LabelMap) -> EvalSet:
    part = df.iloc[rows]
    ids = part[cfg.id_column].tolist() if cfg.id_column else part["id"].tolist() if "id" in part.columns else [int(r) for r in rows]
    return EvalSet(
        texts=part[cfg.text_column].astype(str).tolist(),
        labels=labels,
        rows=[int(r) for r in rows],
        ids=ids,
        groups=part[list(cfg.group_columns or [])].reset_index(drop=True),
        original_labels=label_map.decode(labels),
    )


def load_training_data(cfg: TrainConfig) -> TrainingData:
    """Read --data (and --eval), check them, map labels, split when there is no --eval."""
    required = [cfg.text_column, cfg.label_column]
    extra = list(cfg.group_columns or []) + ([cfg.id_column] if cfg.id_column else [])
    data = read_table(cfg.data, required_columns=required + ([] if cfg.eval else extra))
    _check_values(data, cfg, cfg.data)
    label_map = LabelMap.from_values(data[cfg.label_column].tolist(), positive_label=cfg.positive_label, where=cfg.data)
    data_labels = label_map.encode(data[cfg.label_column].tolist(), where=cfg.data)
    inputs = [describe_input(cfg.data, len(data))]

    if cfg.eval:
        evaluation = read_table(cfg.eval, required_columns=required + extra)
        _check_values(evaluation, cfg, cfg.eval)
        eval_labels = label_map.encode(evaluation[cfg.label_column].tolist(), where=cfg.eval)
        train_rows = np.arange(len(data))
        eval_set = _eval_set(evaluation, np.arange(len(evaluation)), eval_labels, cfg, label_map)
        split = None
        inputs.append(describe_input(cfg.eval, len(evaluation)))
    else:
        train_rows, eval_rows = stratified_split(data_labels, cfg.eval_fraction, cfg.seed)
        if len(eval_rows) == 0:
            raise InputError(ERR_NO_EVAL_ROWS, where=cfg.data)
        eval_set = _eval_set(data, eval_rows, data_labels[eval_rows], cfg, label_map)
        split = {"train_rows": [int(r) for r in train_rows], "eval_rows": [int(r) for r in eval_rows]}

    # Every class keeps at least one training row (stratified_split never holds out a whole class).
    train = Examples(texts=data[cfg.text_column].iloc[train_rows].astype(str).tolist(), labels=data_labels[train_rows],
                     rows=[int(r) for r in train_rows])
    return TrainingData(train=train, eval=eval_set, label_map=label_map, split=split, inputs=inputs)


def resolve_delta(cfg: TrainConfig, n: int) -> float | None:
    """δ for a DP run over n examples: --delta (checked against 1/n) or min(1e-5, 0.1/n); None without DP."""
    if not cfg.dp:
        return None
    if cfg.delta is None:
        return min(DEFAULT_DELTA_CAP, DEFAULT_DELTA_FACTOR / n)
    if cfg.delta >= 1.0 / n:
        raise InputError(ERR_DELTA_TOO_BIG.format(bound=1.0 / n, n=n, delta=cfg.delta), where="--delta")
    return float(cfg.delta)


def append_examples(base: Examples, texts: Sequence[str], labels: np.ndarray) -> Examples:
    """Training examples with extra rows (canaries) at the end; they have no row in --data."""
    return Examples(texts=base.texts + list(texts), labels=np.concatenate([base.labels, labels]).astype(np.int64),
                    rows=base.rows + [None] * len(texts))


class Collator:
    """Tokenise a list of example indices into a padded batch (dynamic padding, truncation)."""

    def __init__(self, tokenizer, examples: Examples, max_length: int):
        self.tokenizer = tokenizer
        self.examples = examples
        self.max_length = max_length

    def __call__(self, indices: list[int]) -> dict[str, Any]:
        import torch

        if not indices:
            return {"input_ids": torch.zeros((0, 1), dtype=torch.long), "attention_mask": torch.zeros((0, 1), dtype=torch.long),
                    "labels": torch.zeros((0,), dtype=torch.long)}
        enc = self.tokenizer([self.examples.texts[i] for i in indices], padding=True, truncation=True,
                             max_length=self.max_length, return_tensors="pt")
        return {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"],
                "labels": torch.as_tensor(self.examples.labels[indices], dtype=torch.long)}
