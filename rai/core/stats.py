"""One statistics shape and one set of interval methods for every audit (pure numpy/scipy).

`Stat` is what an audit states about one number: its value, its interval, how many units it
rests on, and, when the value is undefined, why (`why_null`, written into audit.json so a gate
reads the reason instead of parsing warning text). The interval methods are the only ones the
audits use: the percentile bootstrap (stratified: each sample resampled on its own),
Clopper-Pearson for a proportion, and the rank (Mann-Whitney) AUC.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import beta, rankdata

Interval = tuple[float, float]
# A vectorised statistic: one (resamples, n_i) array per sample in, one value per resample out.
Statistic = Callable[[list[np.ndarray]], np.ndarray]
MAX_DRAWS_PER_CHUNK = 4_000_000  # bootstrap index draws held in memory at once


def _finite(x: Any) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


@dataclass(frozen=True)
class Stat:
    """A value with its interval, its unit count, and the reason when it is undefined (null)."""

    value: float | None
    ci: Interval | None = None
    n: int | None = None
    why_null: str | None = None

    @classmethod
    def of(cls, value: Any, ci: Sequence[Any] | None = None, n: int | None = None, why_null: str | None = None) -> "Stat":
        """NaN/inf become null (undefined is never a number); a defined value carries no `why_null`."""
        v = _finite(value)
        interval = None if ci is None or v is None else (_finite(ci[0]), _finite(ci[1]))
        return cls(value=v, ci=interval, n=None if n is None else int(n), why_null=why_null if v is None else None)

    def to_dict(self) -> dict[str, Any]:
        """The one section shape of an estimate: `{"value", "ci"}` (ci a [low, high] list or null), with
        `n` when known and `why_null` beside a null value."""
        d: dict[str, Any] = {"value": self.value, "ci": ci_list(self.ci)}
        if self.n is not None:
            d["n"] = self.n
        if self.value is None and self.why_null is not None:
            d["why_null"] = self.why_null
        return d


def ci_list(interval: Sequence[Any] | None) -> list[Any] | None:
    """An interval as JSON writes it: [low, high], or null when none was computed."""
    return None if interval is None else [interval[0], interval[1]]


# --- percentile bootstrap -----------------------------------------------------------------------

def bootstrap_replicates(samples: Sequence[np.ndarray], statistic: Statistic, *, n_resamples: int,
                         rng: np.random.Generator, max_draws: int = MAX_DRAWS_PER_CHUNK) -> np.ndarray:
    """`statistic` over `n_resamples` stratified resamples (each sample redrawn on its own), in chunks
    of at most `max_draws` index draws so memory stays bounded."""
    arrays = [np.asarray(s) for s in samples]
    out = np.empty(n_resamples)
    chunk = max(1, max_draws // max(1, sum(len(a) for a in arrays)))
    for start in range(0, n_resamples, chunk):
        b = min(chunk, n_resamples - start)
        out[start:start + b] = statistic([a[rng.integers(0, len(a), size=(b, len(a)))] for a in arrays])
    return out


def resample_mean(drawn: list[np.ndarray]) -> np.ndarray:
    """The vectorised statistic of a mean: the mean of each resample of the (first) sample."""
    return drawn[0].mean(axis=1)


def per_resample(stat: Callable[..., float]) -> Statistic:
    """A statistic of one resample (`stat(sample_1, sample_2, ...)`) as a vectorised one."""
    return lambda drawn: np.array([stat(*rows) for rows in zip(*drawn)], dtype=np.float64)


def percentile_interval(replicates: np.ndarray, confidence: float) -> Interval:
    """The equal-tailed percentile interval of bootstrap replicates."""
    a = (1.0 - confidence) / 2.0
    low, high = np.quantile(np.asarray(replicates, dtype=np.float64), [a, 1.0 - a])
    return float(low), float(high)


def percentile_bootstrap(samples: Sequence[np.ndarray], statistic: Statistic, *, n_resamples: int, confidence: float,
                         rng: np.random.Generator, max_draws: int = MAX_DRAWS_PER_CHUNK) -> Interval | None:
    """Percentile interval of `statistic`, or None when any sample has fewer than two units (one unit
    cannot show its own variability) or no resample is asked for."""
    arrays = [np.asarray(s, dtype=np.float64) for s in samples]
    if n_resamples <= 0 or any(len(a) < 2 for a in arrays):
        return None
    return percentile_interval(bootstrap_replicates(arrays, statistic, n_resamples=n_resamples, rng=rng,
                                                    max_draws=max_draws), confidence)


# --- proportions and ranks ----------------------------------------------------------------------

def clopper_pearson(k: int, n: int, confidence: float = 0.95) -> Interval:
    """Two-sided exact interval for a binomial proportion k/n at `confidence`."""
    if n <= 0 or not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n and n > 0, got k={k}, n={n}")
    a = 1.0 - confidence
    lo = 0.0 if k == 0 else float(beta.ppf(a / 2, k, n - k + 1))
    hi = 1.0 if k == n else float(beta.ppf(1 - a / 2, k + 1, n - k))
    return lo, hi


def rank_auc(y_true: np.ndarray, score: np.ndarray) -> float | None:
    """Area under the ROC curve for binary labels (1 = positive): the Mann-Whitney U statistic, ties
    counted half; None without both classes."""
    y_true = np.asarray(y_true).astype(bool)
    n_pos, n_neg = int(y_true.sum()), int((~y_true).sum())
    if n_pos == 0 or n_neg == 0:
        return None
    ranks = rankdata(np.asarray(score, dtype=np.float64))
    u = ranks[y_true].sum() - n_pos * (n_pos + 1) / 2
    return float(u / (n_pos * n_neg))
