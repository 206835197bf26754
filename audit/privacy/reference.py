"""The reference model of the calibrated attack: how hard is each example for a model that never saw it?

Two kinds, chosen by whether --reference-model is given:

- `model`: a classifier the user trained on data that contains neither the audited members
  nor the audited non-members (e.g. a `rai train` run on another sample of the same
  population), with the same labels. Its loss on each example is the difficulty.
  Assumption, which rai cannot check: it saw none of the audited examples. A reference trained
  on the non-members gives them low reference losses and inflates the attack.
- `base-probe` (default): the pretrained base model the run was fine-tuned from (config.yaml
  `model`), frozen, with a logistic-regression head fitted on its mean-pooled embeddings of the
  *non-members only*, cross-fitted: non-members are split into K folds, and each fold (and a
  random 1/K of the members) is scored by the probe fitted on the other folds. So no example
  is scored by a probe that saw it, and members and non-members are scored alike. Assumptions:
  the base model was not pretrained on the audited examples, and the probe's difficulty
  (atypical text, labels at odds with the text) tracks what the target finds hard. It is a
  weaker model than the target, so it calibrates coarsely: it removes the intrinsic-difficulty
  part of the loss, not more.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rai.core.errors import InputError

ERR_PROBE_FEW = "the reference probe needs at least {k} non-members, got {n}"


@dataclass(frozen=True)
class ReferenceLosses:
    members: np.ndarray
    non_members: np.ndarray
    kind: str
    details: dict[str, Any] = field(default_factory=dict)


def _log_loss(proba: np.ndarray, y: np.ndarray) -> np.ndarray:
    return -np.log(np.clip(proba[np.arange(len(y)), y], 1e-12, 1.0))


def _fit_probe(x: np.ndarray, y: np.ndarray, num_labels: int, seed: int):
    """A function x -> (n, num_labels) probabilities, fitted on (x, y)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    classes = np.unique(y)
    if classes.size < 2:  # one label seen: predict the smoothed label frequencies
        prior = np.bincount(y, minlength=num_labels) + 1.0
        prior /= prior.sum()
        return lambda z: np.tile(prior, (len(z), 1))
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, random_state=seed)).fit(x, y)

    def predict(z: np.ndarray) -> np.ndarray:
        out = np.zeros((len(z), num_labels))
        out[:, classes] = clf.predict_proba(z)
        return out

    return predict


def probe_losses(x_members: np.ndarray, y_members: np.ndarray, x_non: np.ndarray, y_non: np.ndarray, *,
                 num_labels: int, folds: int = 5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Cross-fitted linear-probe losses for members and non-members (module docstring, `base-probe`)."""
    from sklearn.model_selection import KFold

    n_non = len(y_non)
    k = min(folds, n_non)
    if k < 2:
        raise InputError(ERR_PROBE_FEW.format(k=2, n=n_non))
    rng = np.random.default_rng(seed)
    member_fold = rng.integers(0, k, len(y_members))
    loss_m, loss_n = np.zeros(len(y_members)), np.zeros(n_non)
    for f, (train, test) in enumerate(KFold(n_splits=k, shuffle=True, random_state=seed).split(x_non)):
        predict = _fit_probe(x_non[train], y_non[train], num_labels, seed)
        loss_n[test] = _log_loss(predict(x_non[test]), y_non[test])
        mine = np.flatnonzero(member_fold == f)
        if mine.size:
            loss_m[mine] = _log_loss(predict(x_members[mine]), y_members[mine])
    return loss_m, loss_n
