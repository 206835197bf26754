"""Membership-inference attacks as score functions of per-example losses (pure numpy).

Each attack turns the target model's loss on an example (and, for calibrated attacks, a
reference model's loss on it) into a membership score: higher = more likely a member.

- `loss` (Yeom et al. 2018): score = -loss. Training examples have lower loss when the model
  memorises them. Needs nothing but the target model.
- `calibrated` (difficulty calibration, Watson et al. 2022): score = loss_ref - loss_target.
  Some examples are hard for any model (atypical text, noisy labels) and some are easy; the
  reference loss estimates that difficulty, so the score measures how much better the target
  does on the example than a model that never saw it. With a single reference model this is
  also what offline LiRA (Carlini et al. 2022) reduces to when the per-example variance is
  replaced by a global one, up to the choice of loss versus logit-scaled confidence.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Attack:
    name: str
    description: str
    needs_reference: bool
    score: Callable[[np.ndarray, np.ndarray | None], np.ndarray]


def _loss_score(target: np.ndarray, reference: np.ndarray | None) -> np.ndarray:
    return -np.asarray(target, dtype=np.float64)


def _calibrated_score(target: np.ndarray, reference: np.ndarray | None) -> np.ndarray:
    if reference is None:
        raise ValueError("the calibrated attack needs reference losses")
    return np.asarray(reference, dtype=np.float64) - np.asarray(target, dtype=np.float64)


ATTACKS: dict[str, Attack] = {
    "loss": Attack("loss", "loss threshold (Yeom et al. 2018): lower target loss means member", False, _loss_score),
    "calibrated": Attack("calibrated", "difficulty-calibrated loss (Watson et al. 2022): reference loss minus target loss",
                         True, _calibrated_score),
}
