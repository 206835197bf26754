"""The empirical epsilon lower bound implied by exact binomial (Clopper-Pearson, `rai.core.stats`) intervals.

An (epsilon, delta)-DP training algorithm limits every membership test: for any threshold,
TPR <= exp(epsilon) * FPR + delta (Kairouz et al. 2015; Jagielski et al. 2020, "Auditing
differentially private machine learning"). Turned around, an observed operating point proves
epsilon >= ln((TPR - delta) / FPR). Observed rates are estimates, so the bound uses the
Clopper-Pearson *lower* bound of TPR and *upper* bound of FPR: the claim holds with the stated
confidence, not just on this sample.

Why the FPR bound is valid although the threshold is picked from the non-member scores: a
threshold just below the (k+1)-th largest of n non-member scores has true FPR distributed
Beta(k+1, n-k) (continuous scores), and the Clopper-Pearson upper bound for k of n is exactly
a quantile of that distribution. Members are scored independently of the threshold, so their
count is binomial given it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rai.core.stats import clopper_pearson


def one_sided_level(confidence: float, comparisons: int) -> float:
    """Two-sided level of each interval so that `comparisons` (TPR lower, FPR upper) pairs hold
    together with probability `confidence`: Bonferroni over the 2 * comparisons one-sided bounds,
    each failing with probability (1 - confidence) / (2 * comparisons), which is one tail of a
    two-sided interval at 1 - (1 - confidence) / comparisons."""
    if comparisons < 1:
        raise ValueError("comparisons must be >= 1")
    return 1.0 - (1.0 - confidence) / comparisons


@dataclass(frozen=True)
class EpsilonBound:
    """ln((TPR_lower - delta) / FPR_upper) at one operating point, floored at 0 (no evidence)."""

    value: float
    tp: int
    n_members: int
    fp: int
    n_non_members: int
    tpr_lower: float
    fpr_upper: float
    delta: float
    interval_confidence: float


def epsilon_lower_bound(tp: int, n_members: int, fp: int, n_non_members: int, *, delta: float = 0.0,
                        interval_confidence: float = 0.95) -> EpsilonBound:
    """The epsilon that an attack with `tp` of `n_members` and `fp` of `n_non_members` proves.

    `interval_confidence` is the two-sided level of each Clopper-Pearson interval; only the
    TPR's lower end and the FPR's upper end are used (see `one_sided_level`).
    """
    tpr_lo, _ = clopper_pearson(tp, n_members, interval_confidence)
    _, fpr_hi = clopper_pearson(fp, n_non_members, interval_confidence)
    value = math.log((tpr_lo - delta) / fpr_hi) if tpr_lo - delta > fpr_hi else 0.0
    return EpsilonBound(value=value, tp=tp, n_members=n_members, fp=fp, n_non_members=n_non_members,
                        tpr_lower=tpr_lo, fpr_upper=fpr_hi, delta=delta, interval_confidence=interval_confidence)
