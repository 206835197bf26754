"""Binomial rates with intervals: the one shape every monitored rate takes. Pure; no I/O.

Wilson's score interval is the default (close to nominal coverage even at a rate of 0 and a few
dozen outputs, where the normal approximation collapses to [0, 0]); Clopper-Pearson is the exact,
conservative one. Both are checked against scipy's `binomtest(...).proportion_ci` in the tests.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from scipy.stats import beta, norm

from rai.audit.gate.policy import Interval


@dataclass(frozen=True)
class Rate:
    """k of n; `value` and `ci` are None for an empty window (an undefined rate is never read as 0)."""

    k: int
    n: int
    value: float | None
    ci: tuple[float, float] | None

    def to_dict(self) -> dict[str, object]:
        return {"k": self.k, "n": self.n, "value": self.value, "ci": None if self.ci is None else list(self.ci)}


def wilson(k: int, n: int, confidence: float) -> tuple[float, float]:
    z = float(norm.ppf(0.5 + confidence / 2))
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def clopper_pearson(k: int, n: int, confidence: float) -> tuple[float, float]:
    alpha = 1 - confidence
    lo = 0.0 if k == 0 else float(beta.ppf(alpha / 2, k, n - k + 1))
    hi = 1.0 if k == n else float(beta.ppf(1 - alpha / 2, k + 1, n - k))
    return lo, hi


INTERVALS: dict[Interval, Callable[[int, int, float], tuple[float, float]]] = {
    Interval.WILSON: wilson,
    Interval.CLOPPER_PEARSON: clopper_pearson,
}


def rate(k: int, n: int, interval: Interval, confidence: float) -> Rate:
    if n == 0:
        return Rate(k, n, None, None)
    return Rate(k, n, k / n, INTERVALS[interval](k, n, confidence))
