"""The one-run privacy audit of Steinke, Nasr & Jagielski (2023, "Privacy Auditing with One (1) Training Run").

Setting: m audit canaries, each included in the training data independently with probability 1/2
(the secret inclusion bits S). After the one training run an auditor guesses IN for some canaries
and OUT for others (abstaining on the rest): r guesses, v of them correct. If training is
(ε, δ)-DP, the guesses are no better than ε-randomized response plus a δ term: the paper's main
result, in the form of its algorithm for computing the bound, caps the probability of v or more
correct guesses at

    p(ε, δ) = P[Binomial(r, q) >= v] + 2 m δ · max_{i=1..v} P[v - i <= Binomial(r, q) < v] / i,
    q = e^ε / (1 + e^ε),

(with δ = 0 only the binomial tail remains). An observation with p(ε, δ) < 1 - confidence
rejects "(ε, δ)-DP"; the largest such ε is the lower bound. Pure math: no model, no files.

Choosing how many to guess: IN for the k+ lowest-loss canaries and OUT for the k- highest, for
every pair of a small grid fixed in advance (k+ and k- each 0 or `GUESS_FRACTIONS` of m / 2, not
both 0). Both sides are needed: an overfit model is confidently wrong or right on an unseen
canary, so half the excluded canaries (those whose random label the model happens to predict)
have a low loss too and blur the IN end, while the high-loss end holds excluded canaries only.
The bound reported is the largest over the grid, each pair tested at (1 - confidence) / (number
of pairs) (Bonferroni), so it holds at the stated confidence although the best pair was picked
after looking.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq
from scipy.stats import binom

# Guesses per side: fraction * (m // 2), or none; 1.0 on both sides guesses on every canary. Fine
# steps matter more than the Bonferroni price (80 pairs cost a factor 80 in the p-value, i.e. a few
# guesses): an overfit model leaves about m / 4 sure OUT guesses (excluded canaries whose label it
# does not predict), and the grid should hold a k- just below that count.
GUESS_FRACTIONS = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0)
EPS_TOLERANCE = 1e-6

ERR_COUNTS = "need 0 <= correct <= guesses <= m, got m={m}, guesses={r}, correct={v}"
ERR_DELTA = "delta must be in [0, 1], got {delta}"
ERR_CONFIDENCE = "confidence must be strictly between 0 and 1, got {confidence}"
ERR_SHAPES = "losses and inclusion bits must be 1-D arrays of the same length, got {a} and {b}"


def _check(m: int, r: int, v: int, delta: float) -> None:
    if not 0 <= v <= r <= m:
        raise ValueError(ERR_COUNTS.format(m=m, r=r, v=v))
    if not 0.0 <= delta <= 1.0:
        raise ValueError(ERR_DELTA.format(delta=delta))


def p_value(m: int, r: int, v: int, epsilon: float, delta: float) -> float:
    """P[>= v of r guesses correct] under the hypothesis that training was (epsilon, delta)-DP."""
    _check(m, r, v, delta)
    q = 1.0 / (1.0 + math.exp(-epsilon))  # accuracy of epsilon-randomized response
    tail = float(binom.sf(v - 1, r, q))  # P[Binomial(r, q) >= v]
    if delta == 0.0 or v == 0:
        return min(tail, 1.0)
    below = np.cumsum(binom.pmf(np.arange(v - 1, -1, -1), r, q))  # i-th entry: P[v - i <= Binomial < v]
    alpha = float(np.max(below / np.arange(1, v + 1)))
    return min(tail + alpha * delta * 2 * m, 1.0)


def epsilon_lower_bound(m: int, r: int, v: int, *, delta: float, significance: float) -> float:
    """The largest epsilon that v correct of r guesses on m canaries rejects at `significance`; 0 when none.

    p_value grows with epsilon, so the rejected epsilons form an interval [0, ε*): bracket ε* by
    doubling, find it with Brent's method, and return a point at most EPS_TOLERANCE below it that is
    itself rejected (never an epsilon the observation does not reject).
    """
    _check(m, r, v, delta)
    if not 0.0 < significance < 1.0:
        raise ValueError(ERR_CONFIDENCE.format(confidence=1.0 - significance))

    def excess(eps: float) -> float:  # < 0 exactly where eps is rejected
        return p_value(m, r, v, eps, delta) - significance

    if excess(0.0) >= 0:
        return 0.0
    lo, hi = 0.0, 1.0
    while excess(hi) < 0:
        lo, hi = hi, 2.0 * hi
    root = float(brentq(excess, lo, hi, xtol=EPS_TOLERANCE / 4))
    eps = max(lo, root - EPS_TOLERANCE / 2)
    while excess(eps) >= 0:  # Brent's answer may sit on the wrong side of the root by up to xtol
        eps = max(lo, eps - EPS_TOLERANCE / 2)
    return eps


@dataclass(frozen=True)
class GuessResult:
    """One pair of the grid: IN for the k_plus lowest losses, OUT for the k_minus highest."""

    k_plus: int
    k_minus: int
    guesses: int
    correct: int
    epsilon: float


@dataclass(frozen=True)
class OneRunAudit:
    """The reported bound (the best pair of the grid), with every pair tried and the test's level."""

    epsilon_lower_bound: float
    m: int
    included: int
    best: GuessResult
    delta: float
    confidence: float
    significance_per_test: float
    tried: tuple[GuessResult, ...]


def guess_grid(m: int, fractions: Sequence[float] = GUESS_FRACTIONS) -> list[tuple[int, int]]:
    """The (k+, k-) pairs tested for m canaries; empty when m < 2 (no room for a guess on each side)."""
    if m < 2:
        return []
    sizes = sorted({0} | {max(1, int(f * (m // 2))) for f in fractions})
    return [(kp, km) for kp in sizes for km in sizes if kp + km > 0]


def audit_from_losses(losses: Sequence[float], included: Sequence[bool], *, delta: float, confidence: float,
                      fractions: Sequence[float] = GUESS_FRACTIONS) -> OneRunAudit | None:
    """Guess membership from each canary's loss (low = IN) and bound epsilon; None with fewer than 2 canaries.

    The ordering is a stable sort of the losses, so ties fall in canary order, which the secret bits
    do not depend on.
    """
    loss = np.asarray(losses, dtype=float)
    bits = np.asarray(included, dtype=bool)
    if loss.ndim != 1 or loss.shape != bits.shape:
        raise ValueError(ERR_SHAPES.format(a=loss.shape, b=bits.shape))
    if not 0.0 < confidence < 1.0:
        raise ValueError(ERR_CONFIDENCE.format(confidence=confidence))
    m = int(loss.size)
    grid = guess_grid(m, fractions)
    if not grid:
        return None
    order = np.argsort(loss, kind="stable")
    significance = (1.0 - confidence) / len(grid)
    tried = []
    for kp, km in grid:
        correct = int(bits[order[:kp]].sum() + (~bits[order[m - km:]]).sum())
        tried.append(GuessResult(k_plus=kp, k_minus=km, guesses=kp + km, correct=correct,
                                 epsilon=epsilon_lower_bound(m, kp + km, correct, delta=delta, significance=significance)))
    best = max(tried, key=lambda g: (g.epsilon, -g.guesses))
    return OneRunAudit(epsilon_lower_bound=best.epsilon, m=m, included=int(bits.sum()), best=best, delta=delta,
                       confidence=confidence, significance_per_test=significance, tried=tuple(tried))
