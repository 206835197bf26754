"""The pure math of the privacy audit, cross-checked against sklearn / scipy and hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import binomtest, norm
from sklearn.metrics import roc_auc_score, roc_curve

from rai.audit.privacy import roc
from rai.audit.privacy.attacks import ATTACKS
from rai.audit.privacy.bounds import epsilon_lower_bound, one_sided_level
from rai.core.stats import clopper_pearson
from rai.audit.privacy.exposure import ESTIMATORS, WHY_BAD_FIT, exposure_from_rank, rank_estimate, skewnorm_estimate
from rai.audit.privacy.mia import WHY_UNRESOLVABLE, best_epsilon, epsilon_grid, evaluate_attack, tpr_at_fpr


def _scores(seed: int, n_m: int = 300, n_n: int = 200, shift: float = 0.7, rounding: int = 1):
    rng = np.random.default_rng(seed)
    # rounding creates many ties, the hard case for ROC code
    return rng.normal(shift, 1, n_m).round(rounding), rng.normal(0, 1, n_n).round(rounding)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_auc_and_roc_match_sklearn(seed):
    m, n = _scores(seed)
    y = np.r_[np.ones(m.size), np.zeros(n.size)]
    s = np.r_[m, n]
    assert roc.auc(m, n) == pytest.approx(roc_auc_score(y, s), abs=1e-12)
    fpr, tpr, thr = roc_curve(y, s, drop_intermediate=False)
    curve = roc.roc(m, n)
    np.testing.assert_allclose(curve.fpr, fpr, atol=1e-12)
    np.testing.assert_allclose(curve.tpr, tpr, atol=1e-12)
    np.testing.assert_allclose(curve.thresholds[1:], thr[1:])
    assert roc.advantage(m, n) == pytest.approx(np.max(tpr - fpr))


def test_roc_hand_computed():
    members, non = np.array([3.0, 2.0, 2.0]), np.array([2.0, 1.0])
    # P(m > n) + 0.5 P(tie): pairs (3,2)=1 (3,1)=1 (2,2)=.5 (2,1)=1 twice -> 5/6
    assert roc.auc(members, non) == pytest.approx(5 / 6)
    assert roc.advantage(members, non) == pytest.approx(0.5)  # threshold 1.5: tpr 1, fpr 0.5; or >2.5: 1/3
    op = roc.at_false_positives(members, non, 0)
    assert (op.threshold, op.tp, op.fp) == (2.0, 1, 0)  # ties at the threshold are rejected
    op = roc.at_fpr(members, non, 0.5)
    assert (op.threshold, op.tp, op.fp) == (1.0, 3, 1)
    op = roc.at_false_positives(members, non, 2)
    assert (op.tp, op.fp, op.threshold) == (3, 2, -math.inf)


@pytest.mark.parametrize("k,n", [(0, 10), (10, 10), (3, 17), (1, 1000), (250, 1000), (999, 1000)])
@pytest.mark.parametrize("confidence", [0.95, 0.999])
def test_clopper_pearson_matches_scipy(k, n, confidence):
    ci = binomtest(k, n).proportion_ci(confidence_level=confidence, method="exact")
    lo, hi = clopper_pearson(k, n, confidence)
    assert lo == pytest.approx(ci.low, abs=1e-9)
    assert hi == pytest.approx(ci.high, abs=1e-9)


def test_epsilon_bound_hand_computed():
    n, a = 100, 0.05
    # all members caught, no false positive: TPR_lo = (a/2)^(1/n), FPR_hi = 1 - (a/2)^(1/n)
    q = (a / 2) ** (1 / n)
    b = epsilon_lower_bound(n, n, 0, n, interval_confidence=1 - a)
    assert b.tpr_lower == pytest.approx(q)
    assert b.fpr_upper == pytest.approx(1 - q)
    assert b.value == pytest.approx(math.log(q / (1 - q)))
    with_delta = epsilon_lower_bound(n, n, 0, n, delta=0.1, interval_confidence=1 - a)
    assert with_delta.value == pytest.approx(math.log((q - 0.1) / (1 - q)))
    # no separation -> no evidence, floored at 0
    assert epsilon_lower_bound(50, 100, 50, 100).value == 0.0
    assert one_sided_level(0.95, 5) == pytest.approx(1 - 0.05 / 5)  # tails of 0.005 each: 10 bounds x 0.005 = 0.05


def test_epsilon_bound_holds_when_nothing_leaks():
    """Identical member and non-member distributions (epsilon = 0): the bound must stay 0 in >= 95% of trials."""
    positives = 0
    for seed in range(40):
        rng = np.random.default_rng(100 + seed)
        bound, _ = best_epsilon(rng.normal(size=200), rng.normal(size=200), delta=0.0, confidence=0.95, family_size=2)
        positives += bound.value > 0
    assert positives <= 2


def test_epsilon_bound_detects_a_perfect_attack():
    members, non = np.linspace(10, 11, 500), np.linspace(0, 1, 500)
    bound, threshold = best_epsilon(members, non, delta=0.0, confidence=0.95)
    assert bound.fp == 0 and bound.tp == 500 and threshold == 1.0
    assert bound.value > 4.0
    assert epsilon_grid(500) == [0, 1, 3, 7, 15, 31, 63, 127]
    assert epsilon_grid(20) == [0, 1, 3, 7]
    assert epsilon_grid(1) == [0]


def test_tpr_at_fpr_unresolvable_is_null_with_reason():
    m, n = _scores(0, n_n=200)
    t = tpr_at_fpr(m, n, 0.001, confidence=0.95)
    assert t.tpr is None and t.tpr_ci is None
    assert t.why_null == WHY_UNRESOLVABLE.format(n=200, fpr=0.001, need=5000, k=5)
    r = tpr_at_fpr(m, n, 0.05, confidence=0.95)  # 200 * 0.05 = 10 false positives allowed
    assert r.fp <= 10 and r.tpr == r.tp / m.size
    lo, hi = r.tpr_ci
    assert lo <= r.tpr <= hi


def test_evaluate_attack_is_deterministic_and_consistent():
    m, n = _scores(3, n_m=400, n_n=600, rounding=6)
    a = evaluate_attack("loss", m, n, seed=7, n_bootstrap=200)
    b = evaluate_attack("loss", m, n, seed=7, n_bootstrap=200)
    assert a == b
    assert a.auc_ci[0] <= a.auc <= a.auc_ci[1]
    assert a.advantage_ci[0] <= a.advantage <= a.advantage_ci[1]
    one = a.at(0.01)
    assert one.tpr is not None and one.fp <= 6
    assert a.at(0.001).tpr is None
    pts = a.roc_points
    assert pts["fpr"][0] == 0.0 and pts["fpr"][-1] == 1.0 and pts["tpr"][-1] == 1.0
    assert len(pts["fpr"]) <= 202 and np.all(np.diff(pts["fpr"]) >= 0) and np.all(np.diff(pts["tpr"]) >= 0)


def test_attack_scores():
    target, ref = np.array([0.1, 2.0]), np.array([0.5, 2.5])
    np.testing.assert_allclose(ATTACKS["loss"].score(target, None), [-0.1, -2.0])
    np.testing.assert_allclose(ATTACKS["calibrated"].score(target, ref), [0.4, 0.5])
    with pytest.raises(ValueError):
        ATTACKS["calibrated"].score(target, None)


# --- exposure --------------------------------------------------------------------------------

def test_exposure_from_rank_hand_computed():
    assert exposure_from_rank(1, 1024) == 10.0
    assert exposure_from_rank(1024, 1024) == 0.0
    assert exposure_from_rank(4, 10**12) == pytest.approx(math.log2(10**12) - 2)
    with pytest.raises(ValueError):
        exposure_from_rank(0, 10)


def test_rank_estimator_hand_computed():
    cands = np.array([1.0, 2.0, 3.0])
    # exhaustive space of 4 secrets, canary lowest -> rank 1 -> log2 4 = 2 bits
    e = rank_estimate(0.5, cands, 4)
    assert (e.rank, e.exposure) == (1.0, 2.0)
    # canary between 2 and 3: rank 3 of 4 -> log2(4/3)
    e = rank_estimate(2.5, cands, 4)
    assert e.rank == 3.0 and e.exposure == pytest.approx(math.log2(4 / 3))
    # a tie counts half: rank 1 + 1 + 0.5 = 2.5
    assert rank_estimate(2.0, cands, 4).rank == 2.5
    # sampled: 3 of 10^6 secrets, canary lowest: fraction 1/4 -> 2 bits, not 20 (the ceiling log2(m + 1))
    e = rank_estimate(0.0, cands, 10**6)
    assert e.exposure == pytest.approx(2.0) and e.rank == pytest.approx(250_000)
    # canary the worst: rank |R| -> 0 bits
    assert rank_estimate(9.0, cands, 4).exposure == 0.0
    assert rank_estimate(1.0, np.array([]), 4).exposure is None


def test_skewnorm_estimator_extrapolates_a_gaussian_tail():
    cands = np.random.default_rng(0).normal(5.0, 1.0, 20_000)
    e = skewnorm_estimate(2.0, cands, 10**12)  # 3 sigma below the mean
    assert e.exposure == pytest.approx(-math.log2(norm.cdf(-3.0)), abs=0.15)
    # capped at log2 |R|
    assert skewnorm_estimate(-100.0, cands, 2**20).exposure == pytest.approx(20.0)
    assert skewnorm_estimate(1.0, np.ones(10), 100).exposure is None


def test_skewnorm_estimator_refuses_a_bimodal_loss_distribution():
    """Classifier losses are often confidently-right or confidently-wrong: no skew-normal fits that."""
    rng = np.random.default_rng(1)
    bimodal = np.r_[rng.normal(0.01, 0.002, 500), rng.normal(4.0, 0.5, 500)]
    e = skewnorm_estimate(0.005, bimodal, 10**12)
    assert e.exposure is None and e.why_null.startswith(WHY_BAD_FIT.split("(")[0])
    assert rank_estimate(0.005, bimodal, 10**12).exposure > 0
    assert set(ESTIMATORS) == {"rank", "skewnorm"}
