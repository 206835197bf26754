"""Evaluation metrics of a classifier, as pure functions of labels and probabilities.

Implemented here (numpy/scipy) and cross-checked against scikit-learn in the tests.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rai.core.stats import rank_auc

WHY_NO_AUC_MULTICLASS = "AUC is reported for binary labels only"
WHY_NO_AUC_ONE_CLASS = "the evaluation set holds a single class, so AUC is undefined"


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


def macro_f1(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Unweighted mean of per-class F1 over the classes present in y_true or y_pred (sklearn's 'macro').

    A class with no true and no predicted positive cannot occur here; a class predicted but never
    true (or the reverse) has F1 = 0.
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    scores = []
    for cls in np.union1d(y_true, y_pred):
        tp = np.sum((y_true == cls) & (y_pred == cls))
        fp = np.sum((y_true != cls) & (y_pred == cls))
        fn = np.sum((y_true == cls) & (y_pred != cls))
        scores.append(2 * tp / (2 * tp + fp + fn))
    return float(np.mean(scores))


def evaluation_metrics(y_true: np.ndarray, proba: np.ndarray) -> dict[str, Any]:
    """accuracy, macro-F1, mean cross-entropy, and AUC when binary (None with a reason otherwise)."""
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = proba.argmax(axis=1)
    picked = np.clip(proba[np.arange(len(y_true)), y_true], 1e-12, 1.0)
    out: dict[str, Any] = {
        "n": int(len(y_true)),
        "accuracy": accuracy(y_true, y_pred),
        "macro_f1": macro_f1(y_true, y_pred),
        "loss": float(-np.mean(np.log(picked))),
        "auc": None,
    }
    if proba.shape[1] != 2:
        out["auc_why_null"] = WHY_NO_AUC_MULTICLASS
    else:
        out["auc"] = rank_auc(y_true == 1, proba[:, 1])
        if out["auc"] is None:
            out["auc_why_null"] = WHY_NO_AUC_ONE_CLASS
    return out
