"""Group metrics as pure functions of binary confusion cells.

A metric is a function of the cells `(..., 4)` = (tn, fp, fn, tp), sklearn's `ravel()` order,
so the same function serves point estimates `(G, 4)` and bootstrap replicates `(B, G, 4)`.
An undefined rate (a zero denominator) is NaN, never 0: fairlearn returns 0 for, e.g., the TPR
of a group without positives; we report it as undefined and leave the group out of that
disparity, with a warning.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

TN, FP, FN, TP = range(4)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    return np.divide(num, den, out=np.full(np.broadcast(num, den).shape, np.nan), where=den > 0)


def count(c: np.ndarray) -> np.ndarray:
    return c.sum(axis=-1)


def base_rate(c: np.ndarray) -> np.ndarray:
    return _ratio(c[..., FN] + c[..., TP], c.sum(axis=-1))


def selection_rate(c: np.ndarray) -> np.ndarray:
    return _ratio(c[..., FP] + c[..., TP], c.sum(axis=-1))


def accuracy(c: np.ndarray) -> np.ndarray:
    return _ratio(c[..., TN] + c[..., TP], c.sum(axis=-1))


def true_positive_rate(c: np.ndarray) -> np.ndarray:
    return _ratio(c[..., TP], c[..., TP] + c[..., FN])


def false_positive_rate(c: np.ndarray) -> np.ndarray:
    return _ratio(c[..., FP], c[..., FP] + c[..., TN])


def false_negative_rate(c: np.ndarray) -> np.ndarray:
    return _ratio(c[..., FN], c[..., TP] + c[..., FN])


def true_negative_rate(c: np.ndarray) -> np.ndarray:
    return _ratio(c[..., TN], c[..., FP] + c[..., TN])


def precision(c: np.ndarray) -> np.ndarray:
    return _ratio(c[..., TP], c[..., TP] + c[..., FP])


@dataclass(frozen=True)
class RateMetric:
    name: str
    fn: Callable[[np.ndarray], np.ndarray]
    meaning: str
    undefined_when: str
    favourable: str  # "higher" | "lower": which end is the better-off group (positive prediction = favourable outcome)


RATE_METRICS: dict[str, RateMetric] = {m.name: m for m in (
    RateMetric("base_rate", base_rate, "share of rows whose label is the positive class", "the group is empty", "higher"),
    RateMetric("selection_rate", selection_rate, "share of rows predicted positive", "the group is empty", "higher"),
    RateMetric("accuracy", accuracy, "share of rows predicted correctly", "the group is empty", "higher"),
    RateMetric("true_positive_rate", true_positive_rate, "TP / (TP + FN): recall", "no positive labels", "higher"),
    RateMetric("false_positive_rate", false_positive_rate, "FP / (FP + TN)", "no negative labels", "lower"),
    RateMetric("false_negative_rate", false_negative_rate, "FN / (TP + FN)", "no positive labels", "lower"),
    RateMetric("true_negative_rate", true_negative_rate, "TN / (FP + TN): specificity", "no negative labels", "higher"),
    RateMetric("precision", precision, "TP / (TP + FP)", "no positive predictions", "higher"),
)}


def confusion_counts(codes: np.ndarray, n_groups: int, y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """Confusion matrices per group, shape (G, K, K) [group, label, prediction], by one bincount."""
    k = n_classes
    combined = (codes.astype(np.int64) * k + y_true) * k + y_pred
    return np.bincount(combined, minlength=n_groups * k * k).reshape(n_groups, k, k)


def one_vs_rest(conf: np.ndarray, k: int) -> np.ndarray:
    """Binary cells (..., 4) for class `k` against the rest from confusion matrices (..., K, K)."""
    tp = conf[..., k, k]
    fn = conf[..., k, :].sum(axis=-1) - tp
    fp = conf[..., :, k].sum(axis=-1) - tp
    tn = conf.sum(axis=(-2, -1)) - tp - fn - fp
    return np.stack([tn, fp, fn, tp], axis=-1)
