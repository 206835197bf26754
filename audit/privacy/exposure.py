"""Canary exposure (Carlini et al. 2019, "The Secret Sharer"), for a classifier.

A canary is a text "template + secret" trained with a label. Its *rank* is its position when
every secret of the space R is put in the template and sorted by the model's loss for the
canary's label (rank 1 = lowest loss). Exposure = log2 |R| - log2 rank: 0 bits when the canary
looks like any other secret, log2 |R| bits when it has the lowest loss of the whole space.

R is too large to enumerate (10^12 for twelve digits), so the rank is estimated from m
candidate secrets drawn without replacement (`rai.training.canaries.sample_candidates`):

- `rank` (default): the canary's rank among the m candidates and itself, scaled to R:
  rank_hat = |R| * (b + t/2 + 1) / (m + 1), where b candidates have a lower loss and t tie.
  Exposure = -log2((b + t/2 + 1) / (m + 1)). It is exact when the candidates are every other
  secret (m = |R| - 1), and it never claims more than log2(m + 1) bits: the sample cannot
  resolve ranks finer than |R| / (m + 1). A larger --canary-candidates raises that ceiling.
- `skewnorm`: Carlini et al.'s extrapolation (Section 4.3): fit a skew-normal distribution to
  the candidates' losses and take exposure = -log2 CDF(canary loss), capped at log2 |R|. It can
  report exposures beyond the sampling ceiling, at the price of trusting the fitted tail. A
  classifier's losses are often bimodal (confidently right or confidently wrong), which no
  skew-normal fits; so the fit is refused (null, with the reason) when its CDF is more than
  MAX_KS_DISTANCE away from the candidates' empirical CDF (Kolmogorov-Smirnov distance).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

MAX_KS_DISTANCE = 0.05
WHY_BAD_FIT = "the skew-normal does not fit the candidate losses (Kolmogorov-Smirnov distance {d:.3f} > {max:g})"


@dataclass(frozen=True)
class ExposureEstimate:
    """One canary under one estimator; `exposure` is None (with `why_null`) when undefined."""

    exposure: float | None
    rank: float | None
    why_null: str | None = None


def exposure_from_rank(rank: float, space_size: int) -> float:
    """log2 |R| - log2 rank, for a rank in [1, |R|]."""
    if not 1 <= rank <= space_size:
        raise ValueError(f"rank must lie in [1, {space_size}], got {rank}")
    return math.log2(space_size) - math.log2(rank)


def rank_estimate(canary_loss: float, candidate_losses: np.ndarray, space_size: int) -> ExposureEstimate:
    """The sampled-rank estimator described in the module docstring (exact when exhaustive)."""
    c = np.asarray(candidate_losses, dtype=np.float64)
    if c.size == 0:
        return ExposureEstimate(None, None, "no candidates were scored")
    below = float(np.sum(c < canary_loss))
    ties = float(np.sum(c == canary_loss))
    fraction = (below + ties / 2 + 1) / (c.size + 1)
    rank = max(1.0, fraction * space_size)
    return ExposureEstimate(exposure=exposure_from_rank(rank, space_size), rank=rank)


def skewnorm_estimate(canary_loss: float, candidate_losses: np.ndarray, space_size: int) -> ExposureEstimate:
    """Carlini et al.'s distribution-fit estimator: -log2 of the fitted skew-normal CDF at the canary loss."""
    from scipy.stats import skewnorm

    c = np.asarray(candidate_losses, dtype=np.float64)
    if c.size < 3 or np.ptp(c) == 0.0:
        return ExposureEstimate(None, None, "the candidate losses are too few or all equal to fit a distribution")
    from scipy.stats import kstest

    with np.errstate(all="ignore"):  # the optimiser probes extreme shapes; the result is checked below
        a, loc, scale = skewnorm.fit(c)
        log_cdf = float(skewnorm.logcdf(canary_loss, a, loc=loc, scale=scale))
        distance = float(kstest(c, skewnorm(a, loc=loc, scale=scale).cdf).statistic)
    if math.isnan(log_cdf) or math.isnan(distance):
        return ExposureEstimate(None, None, "the skew-normal fit did not converge")
    if distance > MAX_KS_DISTANCE:
        return ExposureEstimate(None, None, WHY_BAD_FIT.format(d=distance, max=MAX_KS_DISTANCE))
    bits = min(math.log2(space_size), max(0.0, -log_cdf / math.log(2)))
    return ExposureEstimate(exposure=bits, rank=space_size * 2.0 ** -bits)


ESTIMATORS: dict[str, Callable[[float, np.ndarray, int], ExposureEstimate]] = {
    "rank": rank_estimate,
    "skewnorm": skewnorm_estimate,
}
