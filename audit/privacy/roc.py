"""ROC analysis of a membership score: higher score = "member" (pure numpy).

The attack predicts "member" when score >= threshold, for every threshold; members are the
positives. `roc` keeps every distinct threshold (no interpolation, no dropped points), so AUC,
advantage and low-FPR operating points are computed on the exact empirical curve.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rai.core.stats import Interval, per_resample, percentile_bootstrap, rank_auc


@dataclass(frozen=True)
class Roc:
    """Counts at each distinct threshold, thresholds descending; the first point is (0, 0)."""

    thresholds: np.ndarray
    tp: np.ndarray
    fp: np.ndarray
    n_members: int
    n_non_members: int

    @property
    def tpr(self) -> np.ndarray:
        return self.tp / self.n_members

    @property
    def fpr(self) -> np.ndarray:
        return self.fp / self.n_non_members


@dataclass(frozen=True)
class OperatingPoint:
    """The attack "score > threshold" with its counts of true and false positives."""

    threshold: float
    tp: int
    n_members: int
    fp: int
    n_non_members: int

    @property
    def tpr(self) -> float:
        return self.tp / self.n_members

    @property
    def fpr(self) -> float:
        return self.fp / self.n_non_members


def _check(members: np.ndarray, non_members: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    m = np.asarray(members, dtype=np.float64).ravel()
    n = np.asarray(non_members, dtype=np.float64).ravel()
    if m.size == 0 or n.size == 0:
        raise ValueError("need at least one member and one non-member score")
    if not (np.isfinite(m).all() and np.isfinite(n).all()):
        raise ValueError("scores must be finite")
    return m, n


def roc(members: np.ndarray, non_members: np.ndarray) -> Roc:
    m, n = _check(members, non_members)
    scores = np.concatenate([m, n])
    is_member = np.concatenate([np.ones(m.size), np.zeros(n.size)])
    order = np.argsort(-scores, kind="mergesort")
    s, y = scores[order], is_member[order]
    last_of_value = np.r_[np.flatnonzero(np.diff(s)), s.size - 1]  # last index of each distinct score
    tp = np.cumsum(y)[last_of_value]
    fp = np.cumsum(1 - y)[last_of_value]
    return Roc(thresholds=np.r_[np.inf, s[last_of_value]], tp=np.r_[0, tp].astype(np.int64),
               fp=np.r_[0, fp].astype(np.int64), n_members=m.size, n_non_members=n.size)


def auc(members: np.ndarray, non_members: np.ndarray) -> float:
    """P(member score > non-member score) + 0.5 P(tie): the Mann-Whitney form of ROC AUC."""
    m, n = _check(members, non_members)
    return rank_auc(np.r_[np.ones(m.size), np.zeros(n.size)], np.concatenate([m, n]))


def advantage(members: np.ndarray, non_members: np.ndarray) -> float:
    """Yeom et al. (2018) membership advantage: max over thresholds of TPR - FPR (>= 0)."""
    curve = roc(members, non_members)
    return float(np.max(curve.tpr - curve.fpr))


def at_false_positives(members: np.ndarray, non_members: np.ndarray, k: int) -> OperatingPoint:
    """The threshold that lets at most `k` non-members through: the (k+1)-th largest non-member score.

    "score > threshold" counts as member; ties at the threshold are rejected, so the realised
    false positive count is at most k.
    """
    m, n = _check(members, non_members)
    if k < 0:
        raise ValueError("k must be >= 0")
    threshold = -np.inf if k >= n.size else float(np.sort(n)[::-1][k])
    return OperatingPoint(threshold=threshold, tp=int(np.sum(m > threshold)), n_members=m.size,
                          fp=int(np.sum(n > threshold)), n_non_members=n.size)


def at_fpr(members: np.ndarray, non_members: np.ndarray, fpr: float) -> OperatingPoint:
    """The operating point with the largest false positive count whose rate stays <= `fpr`."""
    n_non = np.asarray(non_members).size
    return at_false_positives(members, non_members, int(np.floor(fpr * n_non + 1e-9)))


def downsample(curve: Roc, points: int = 100) -> dict[str, list[float]]:
    """At most ~2 * `points` ROC points for a chart, dense at low FPR (log grid) and across [0, 1].

    At each grid FPR the best TPR reached without exceeding it is kept (a step curve).
    """
    fpr, tpr = curve.fpr, curve.tpr
    grid = np.unique(np.concatenate([[0.0], np.geomspace(1.0 / curve.n_non_members, 1.0, points),
                                     np.linspace(0.0, 1.0, points + 1)]))
    idx = np.searchsorted(fpr, grid + 1e-12, side="right") - 1  # fpr is non-decreasing
    keep = np.unique(np.r_[idx[idx >= 0], len(fpr) - 1])
    return {"fpr": fpr[keep].round(6).tolist(), "tpr": tpr[keep].round(6).tolist()}


def bootstrap_interval(stat: Callable[[np.ndarray, np.ndarray], float], members: np.ndarray, non_members: np.ndarray, *,
                       n_boot: int, confidence: float, rng: np.random.Generator) -> Interval | None:
    """Percentile interval of `stat(members, non_members)`, resampling each group separately
    (`rai.core.stats`); None with fewer than two members or non-members. The statistic is not
    vectorised, so one resample is drawn at a time (`max_draws=1`)."""
    return percentile_bootstrap(list(_check(members, non_members)), per_resample(stat), n_resamples=n_boot,
                                confidence=confidence, rng=rng, max_draws=1)
