"""Bootstrap estimates and intervals that stay honest for max - min disparities.

A statistic is carried as an `Estimate`: its point value and `delta`, B bootstrap draws of
(replicate - value), which stand in for the law of (estimate - truth). Group rates and smooth
functions of them (a difference, a ratio, a power mean) get the percentile interval.

Every disparity is an extremum of smooth components: max - min of a rate is the max over
ordered pairs (g, h) of r_g - r_h; min / max is the min over pairs of r_g / r_h; equalized odds
takes the extremum over the pairs of two rates; min subgroup AUC over groups. The plug-in max is
biased upward (the plain percentile interval of max - min excludes 0 when all groups are
equal), so `extremum_interval` bounds the max from both sides separately (docs/fairness.md):

* upper bound: max_j U_j, each U_j a pointwise one-sided (1 - a/2) bootstrap bound. It fails only
  if the bound of the true maximiser fails: probability a/2, ties or not.
* lower bound: max_j (v_j - c se_j) over the components that can still be the maximiser, c the
  (1 - a/2) quantile of the bootstrap max-t over them: a simultaneous bound, so noise in many
  tied groups cannot push it up. The components are selected as in Chernozhukov, Lee & Rosen
  (2013, "intersection bounds"), at level gamma_n = 0.1 / ln(n).

A min is the max of the negated components.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rai.core.stats import Stat, percentile_interval

MIN_FINITE_SHARE = 0.5  # fewer usable bootstrap draws than this: no interval (and a warning upstream)


@dataclass(frozen=True)
class Estimate:
    value: float
    delta: np.ndarray | None  # (B,) replicate - value; None without bootstrap

    def interval(self, confidence: float, bounds: tuple[float, float] = (0.0, 1.0)) -> tuple[float, float] | None:
        """Percentile interval at `confidence`, or None without a bootstrap or with too few usable draws."""
        if self.delta is None or not math.isfinite(self.value):
            return None
        d = self.delta[np.isfinite(self.delta)]
        if len(d) < MIN_FINITE_SHARE * len(self.delta) or len(d) == 0:
            return None
        lo, hi = percentile_interval(d, confidence)  # of the deltas: value + quantile(replicate - value)
        return float(np.clip(self.value + lo, *bounds)), float(np.clip(self.value + hi, *bounds))


    def stat(self, confidence: float, why_null: str) -> Stat:
        """The section shape (`rai.core.stats.Stat`): value and interval; an undefined value is null with
        `why_null` (never NaN, never 0)."""
        return Stat.of(self.value, self.interval(confidence), why_null=why_null)


def leaf(value: float, replicates: np.ndarray | None) -> Estimate:
    """A statistic computed directly on each bootstrap resample."""
    return Estimate(float(value), None if replicates is None else np.asarray(replicates, dtype=np.float64) - value)


def safe_divide(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))
    return np.divide(a, b, out=np.full(a.shape, np.nan), where=b != 0)


def smooth(fn: Callable[..., np.ndarray], *parts: Estimate) -> Estimate:
    """A differentiable function of estimates: delta = f(values + deltas) - f(values)."""
    with np.errstate(invalid="ignore", over="ignore"):
        value = float(fn(*[np.float64(p.value) for p in parts]))
        if any(p.delta is None for p in parts):
            return Estimate(value, None)
        delta = np.asarray(fn(*[p.value + p.delta for p in parts]), dtype=np.float64) - value
    return Estimate(value, delta)


def selection_level(n: int) -> float:
    """gamma_n = 0.1 / ln(n) of Chernozhukov, Lee & Rosen (2013), for selecting near-maximal components."""
    return 0.1 / math.log(max(int(n), 3))


def _masked_max(x: np.ndarray, axis: int) -> np.ndarray:
    """max ignoring NaN; NaN where a slice has no finite entry (no RuntimeWarning)."""
    m = np.where(np.isnan(x), -np.inf, x).max(axis=axis) if np.isnan(x).any() else x.max(axis=axis)
    return np.where(np.isneginf(m), np.nan, m)


def extremum_interval(values: np.ndarray, deltas: np.ndarray | None, *, largest: bool, confidence: float,
                      gamma: float, bounds: tuple[float, float] = (0.0, 1.0)) -> tuple[float, float] | None:
    """Interval for max_j theta_j (largest=True) or min_j theta_j of smooth components.

    `values` (J,) are the components' point estimates, `deltas` (B, J) their bootstrap deltas.
    Two one-sided bounds at level a/2 each (module docstring); None without a bootstrap or when
    some component is undefined in too many bootstrap draws.
    """
    if deltas is None or len(values) == 0:
        return None
    sign = 1.0 if largest else -1.0
    v = sign * np.asarray(values, dtype=np.float64)
    d = sign * np.asarray(deltas, dtype=np.float64)
    finite = np.isfinite(d)
    if (finite.mean(axis=0) < MIN_FINITE_SHARE).any() or d.shape[0] < 2:
        return None
    complete = bool(finite.all())
    quantile = np.quantile if complete else np.nanquantile  # nan-aware versions are ~10x slower
    a = (1.0 - confidence) / 2.0
    # upper bound of the max: the largest pointwise (basic) upper bound
    upper = float(np.max(v - quantile(d, a, axis=0)))
    # lower bound of the max: simultaneous max-t bound over the selected components
    se = np.std(d, axis=0, ddof=1) if complete else np.nanstd(d, axis=0, ddof=1)
    z = np.divide(d, se, out=np.zeros_like(d), where=se > 0)
    if not complete:
        z = np.where(finite, z, np.nan)
    k0 = float(quantile(_masked_max(z, axis=1), 1.0 - gamma))
    keep = v + 2.0 * k0 * se >= np.max(v - k0 * se)
    crit = float(quantile(_masked_max(z[:, keep], axis=1), 1.0 - a))
    lower = float(np.max(v[keep] - crit * se[keep]))
    lo, hi = (lower, upper) if largest else (-upper, -lower)
    return float(np.clip(lo, *bounds)), float(np.clip(hi, *bounds))


def resample_counts(counts: np.ndarray, n_boot: int, rng: np.random.Generator, *, chunk_cells: int = 8_000_000) -> np.ndarray:
    """Bootstrap within groups: each group's cell counts (G, ...) redrawn as Multinomial(n_g, p_g).

    Resampling the rows of a group with replacement changes only these counts, so this is the
    row bootstrap stratified by group, at a cost independent of the number of rows.
    Returns (B, G, ...) int64.
    """
    shape = counts.shape
    flat = counts.reshape(shape[0], -1).astype(np.int64)
    n = flat.sum(axis=1)
    p = flat / np.maximum(n, 1)[:, None]
    step = max(1, chunk_cells // max(flat.size, 1))
    out = np.empty((n_boot, *flat.shape), dtype=np.int64)
    for start in range(0, n_boot, step):
        b = min(step, n_boot - start)
        out[start:start + b] = rng.multinomial(n, p, size=(b, flat.shape[0]))
    return out.reshape(n_boot, *shape)
