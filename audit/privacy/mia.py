"""Evaluate one membership-inference attack from its scores: AUC, advantage, low-FPR TPR, epsilon bound.

Pure functions over two arrays of scores (members, non-members). Interval conventions:
- AUC and advantage: stratified percentile bootstrap (members and non-members resampled
  separately), seeded.
- TPR at a target FPR: Clopper-Pearson on the true positives at the threshold that lets
  through at most floor(FPR * n) non-members. A target FPR is *resolvable* only when at least
  MIN_FALSE_POSITIVES non-members may pass at it (n >= MIN_FALSE_POSITIVES / FPR); below that
  the threshold is set by one or two non-members, the realised FPR can be far from the target,
  and the TPR is reported as null with the reason rather than as a number nobody can trust.
- Epsilon lower bound: `bounds.epsilon_lower_bound` at the operating points that let through
  0, 1, 3, 7, 15, ... non-members (a grid fixed by n, not chosen by looking at members), the
  largest value kept. Each interval is widened (Bonferroni) for every point and attack
  examined, so the maximum still holds at the stated confidence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rai.audit.privacy import roc as _roc
from rai.audit.privacy.bounds import EpsilonBound, epsilon_lower_bound, one_sided_level
from rai.core.stats import clopper_pearson

FPR_TARGETS = (0.01, 0.001)
MIN_FALSE_POSITIVES = 5
WHY_UNRESOLVABLE = ("{n} non-members cannot resolve an FPR of {fpr:g}: it needs at least {need} "
                    "(>= {k} false positives at the threshold); add non-members or read the TPR at a higher FPR")


@dataclass(frozen=True)
class TprAtFpr:
    """The attack's TPR where its FPR is at most `target_fpr`; `tpr` is None when not resolvable."""

    target_fpr: float
    tpr: float | None
    tpr_ci: tuple[float, float] | None
    fpr: float | None
    fpr_ci: tuple[float, float] | None
    threshold: float | None
    tp: int | None
    fp: int | None
    why_null: str | None = None


@dataclass(frozen=True)
class AttackEvaluation:
    attack: str
    n_members: int
    n_non_members: int
    auc: float
    auc_ci: tuple[float, float] | None
    advantage: float
    advantage_ci: tuple[float, float] | None
    tpr_at_fpr: tuple[TprAtFpr, ...]
    epsilon: EpsilonBound
    epsilon_threshold: float
    roc_points: dict[str, list[float]]

    def at(self, target_fpr: float) -> TprAtFpr:
        return next(t for t in self.tpr_at_fpr if t.target_fpr == target_fpr)


def min_non_members(target_fpr: float) -> int:
    return int(np.ceil(MIN_FALSE_POSITIVES / target_fpr - 1e-9))


def tpr_at_fpr(members: np.ndarray, non_members: np.ndarray, target_fpr: float, *, confidence: float) -> TprAtFpr:
    n_non = np.asarray(non_members).size
    need = min_non_members(target_fpr)
    if n_non < need:
        why = WHY_UNRESOLVABLE.format(n=n_non, fpr=target_fpr, need=need, k=MIN_FALSE_POSITIVES)
        return TprAtFpr(target_fpr, None, None, None, None, None, None, None, why_null=why)
    op = _roc.at_fpr(members, non_members, target_fpr)
    return TprAtFpr(target_fpr=target_fpr, tpr=op.tpr, tpr_ci=clopper_pearson(op.tp, op.n_members, confidence),
                    fpr=op.fpr, fpr_ci=clopper_pearson(op.fp, op.n_non_members, confidence),
                    threshold=op.threshold, tp=op.tp, fp=op.fp)


def epsilon_grid(n_non_members: int) -> list[int]:
    """False-positive counts 0, 1, 3, 7, ... (2^j - 1) below half the non-members."""
    out, k = [], 0
    while k == 0 or k < n_non_members / 2:
        out.append(k)
        k = 2 * k + 1
    return out


def best_epsilon(members: np.ndarray, non_members: np.ndarray, *, delta: float, confidence: float,
                 family_size: int = 1) -> tuple[EpsilonBound, float]:
    """The largest epsilon bound over `epsilon_grid`, and the threshold that gives it.

    `family_size` is how many attacks the caller examines this way (for the Bonferroni factor).
    """
    grid = epsilon_grid(np.asarray(non_members).size)
    level = one_sided_level(confidence, len(grid) * family_size)
    candidates = []
    for k in grid:
        op = _roc.at_false_positives(members, non_members, k)
        bound = epsilon_lower_bound(op.tp, op.n_members, op.fp, op.n_non_members, delta=delta, interval_confidence=level)
        candidates.append((bound, op.threshold))
    return max(candidates, key=lambda c: c[0].value)  # first (lowest FP count) among equals


def evaluate_attack(name: str, members: np.ndarray, non_members: np.ndarray, *, delta: float = 0.0,
                    confidence: float = 0.95, n_bootstrap: int = 1000, seed: int = 0, family_size: int = 1,
                    fpr_targets: tuple[float, ...] = FPR_TARGETS, roc_points: int = 100) -> AttackEvaluation:
    """Every number the privacy section reports for one attack."""
    m = np.asarray(members, dtype=np.float64)
    n = np.asarray(non_members, dtype=np.float64)
    rng = np.random.default_rng(seed)
    eps, eps_threshold = best_epsilon(m, n, delta=delta, confidence=confidence, family_size=family_size)
    return AttackEvaluation(
        attack=name, n_members=m.size, n_non_members=n.size,
        auc=_roc.auc(m, n), auc_ci=_roc.bootstrap_interval(_roc.auc, m, n, n_boot=n_bootstrap, confidence=confidence, rng=rng),
        advantage=_roc.advantage(m, n),
        advantage_ci=_roc.bootstrap_interval(_roc.advantage, m, n, n_boot=n_bootstrap, confidence=confidence, rng=rng),
        tpr_at_fpr=tuple(tpr_at_fpr(m, n, f, confidence=confidence) for f in fpr_targets),
        epsilon=eps, epsilon_threshold=eps_threshold,
        roc_points=_roc.downsample(_roc.roc(m, n), roc_points),
    )
