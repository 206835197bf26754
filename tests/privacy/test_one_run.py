"""The one-run audit's mathematics (Steinke, Nasr & Jagielski 2023), checked against independent computations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import binom

from rai.audit.privacy.one_run import (ERR_COUNTS, GUESS_FRACTIONS, audit_from_losses, epsilon_lower_bound, guess_grid,
                                   p_value)


def _q(eps: float) -> float:
    return math.exp(eps) / (1.0 + math.exp(eps))


@pytest.mark.parametrize(("m", "r", "v", "eps"), [(100, 40, 30, 0.5), (1000, 200, 150, 1.0), (50, 50, 50, 2.0), (10, 4, 0, 1.0)])
def test_pure_dp_p_value_is_the_binomial_tail(m, r, v, eps):
    # δ = 0: ε-randomized response, P[Binomial(r, e^ε / (1 + e^ε)) >= v], by scipy directly
    assert p_value(m, r, v, eps, 0.0) == pytest.approx(float(binom.sf(v - 1, r, _q(eps))), rel=1e-12)


@pytest.mark.parametrize(("m", "r", "v"), [(200, 100, 90), (1000, 500, 400), (60, 60, 60)])
def test_pure_dp_bound_is_the_largest_rejected_epsilon(m, r, v):
    alpha = 0.05
    eps = epsilon_lower_bound(m, r, v, delta=0.0, significance=alpha)
    assert eps > 0
    assert binom.sf(v - 1, r, _q(eps)) < alpha  # rejected
    assert binom.sf(v - 1, r, _q(eps + 2e-6)) >= alpha  # and nothing much larger is


# Values of the paper's own listing for the bound (functions p_value_DP_audit and get_eps_audit), as
# reproduced in the unofficial implementation zj-jayzhang/one_round_auditing, src/dp_audit.py:
# get_eps_audit(m, r, v, delta, p = 1 - confidence), transcribed and run outside this repository.
REFERENCE = [
    ((1000, 100, 90, 1e-5, 0.05), 1.626143479719758),
    ((400, 40, 36, 1e-5, 0.05), 1.2947545871138573),
    ((100, 100, 100, 1e-5, 0.05), 3.490215953439474),
    ((1000, 100, 100, 1e-3, 0.05), 0.8090139180421829),
    ((1000, 200, 200, 0.0, 0.05), 4.193629985675216),
]


@pytest.mark.parametrize(("args", "expected"), REFERENCE)
def test_matches_the_reference_implementation(args, expected):
    m, r, v, delta, p = args
    assert epsilon_lower_bound(m, r, v, delta=delta, significance=p) == pytest.approx(expected, abs=2e-6)


def test_delta_only_lowers_the_bound_and_chance_guessing_proves_nothing():
    pure = epsilon_lower_bound(500, 200, 170, delta=0.0, significance=0.05)
    assert epsilon_lower_bound(500, 200, 170, delta=1e-5, significance=0.05) <= pure
    assert epsilon_lower_bound(500, 200, 170, delta=1e-2, significance=0.05) < pure
    assert epsilon_lower_bound(500, 200, 100, delta=0.0, significance=0.05) == 0.0  # half right: chance


def test_bad_counts_are_value_errors():
    with pytest.raises(ValueError, match=ERR_COUNTS.format(m=10, r=11, v=3).replace("(", r"\(").replace(")", r"\)")):
        p_value(10, 11, 3, 1.0, 0.0)
    with pytest.raises(ValueError):
        epsilon_lower_bound(10, 5, 3, delta=0.0, significance=1.0)


def test_grid_has_both_sides_and_never_overlaps():
    assert guess_grid(1) == []
    assert guess_grid(2) == [(0, 1), (1, 0), (1, 1)]
    grid = guess_grid(201)
    sizes = sorted({0} | {max(1, int(f * 100)) for f in GUESS_FRACTIONS})
    assert len(grid) == len(sizes) ** 2 - 1 and all(kp + km <= 201 and kp + km > 0 for kp, km in grid)


def test_perfect_separation_reports_the_best_pair_at_the_bonferroni_level():
    m = 200
    bits = np.arange(m) % 2 == 0
    losses = np.where(bits, 0.01, 2.0) + np.linspace(0, 1e-3, m)  # every included canary below every excluded one
    audit = audit_from_losses(losses, bits, delta=1e-5, confidence=0.95)
    level = 0.05 / len(guess_grid(m))
    assert audit.significance_per_test == pytest.approx(level)
    assert (audit.best.k_plus, audit.best.k_minus, audit.best.correct) == (100, 100, 200)
    assert audit.epsilon_lower_bound == pytest.approx(epsilon_lower_bound(m, 200, 200, delta=1e-5, significance=level))
    assert audit.epsilon_lower_bound == max(g.epsilon for g in audit.tried)
    assert audit.included == 100 and audit.m == m
    # the same canaries reversed (loss higher when included): every guess wrong, nothing proven
    assert audit_from_losses(-losses, bits, delta=1e-5, confidence=0.95).epsilon_lower_bound == 0.0
    assert audit_from_losses([0.3], [True], delta=0.0, confidence=0.95) is None


def test_bound_holds_for_a_mechanism_with_known_epsilon():
    """ε-randomized response on each inclusion bit is exactly ε-DP: the bound may exceed ε in at most
    about 5% of runs (here: never, Bonferroni is conservative), and it is not vacuous."""
    eps, m, trials = 1.0, 100, 40
    rng = np.random.default_rng(7)
    bounds = []
    for _ in range(trials):
        bits = rng.random(m) < 0.5
        reported = np.where(rng.random(m) < _q(eps), bits, ~bits)  # randomized response
        losses = np.where(reported, 0.1, 1.0) + rng.random(m) * 0.01  # post-processing
        bounds.append(audit_from_losses(losses, bits, delta=0.0, confidence=0.95).epsilon_lower_bound)
    assert sum(b > eps for b in bounds) <= 0.05 * trials + 3 * math.sqrt(0.05 * 0.95 * trials)
    assert np.median(bounds) > 0.1
