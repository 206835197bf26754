"""rai.core.stats: the one statistics shape and the interval methods every audit uses,
checked against scipy and sklearn (which we did not write)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats
from sklearn.metrics import roc_auc_score

from rai.core.stats import (Stat, bootstrap_replicates, ci_list, clopper_pearson, per_resample, percentile_bootstrap,
                            percentile_interval, rank_auc, resample_mean)


def test_stat_nan_is_null_and_only_a_null_value_says_why():
    assert Stat.of(float("nan"), (0.1, 0.2), 5, "no positive labels") == Stat(None, None, 5, "no positive labels")
    assert Stat.of(np.float64(0.5), (0.4, float("inf")), 7, "ignored").to_dict() == {"value": 0.5, "ci": [0.4, None], "n": 7}
    assert Stat.of(0.5).to_dict() == {"value": 0.5, "ci": None}
    assert Stat.of(None, (0.1, 0.2), why_null="a single class").to_dict() == {"value": None, "ci": None, "why_null": "a single class"}
    assert ci_list((1, 2)) == [1, 2] and ci_list(None) is None


def test_percentile_bootstrap_matches_scipy_percentile():
    x = np.random.default_rng(3).beta(0.5, 2.0, size=400)
    ours = percentile_bootstrap([x], resample_mean, n_resamples=4000, confidence=0.9, rng=np.random.default_rng(1))
    ref = scipy.stats.bootstrap((x,), np.mean, n_resamples=4000, confidence_level=0.9, method="percentile", rng=2)
    assert ours == pytest.approx((ref.confidence_interval.low, ref.confidence_interval.high), abs=0.004)


def test_percentile_interval_is_numpy_quantiles():
    reps = np.random.default_rng(0).normal(size=1001)
    assert percentile_interval(reps, 0.9) == pytest.approx(tuple(np.quantile(reps, [0.05, 0.95])), abs=1e-12)


def test_chunks_give_the_same_draws():
    x = np.linspace(0, 1, 50)
    whole = bootstrap_replicates([x], resample_mean, n_resamples=300, rng=np.random.default_rng(4))
    chunked = bootstrap_replicates([x], resample_mean, n_resamples=300, rng=np.random.default_rng(4), max_draws=50 * 7)
    np.testing.assert_allclose(chunked, whole)


def test_one_resample_at_a_time_draws_each_sample_in_turn():
    """max_draws=1 draws sample 1 then sample 2 for each resample: the stream a plain loop would use."""
    m, n = np.arange(6.0), np.arange(4.0) * 10
    stat = per_resample(lambda a, b: a.sum() - b.sum())
    ours = bootstrap_replicates([m, n], stat, n_resamples=25, rng=np.random.default_rng(9), max_draws=1)
    rng = np.random.default_rng(9)
    loop = [m[rng.integers(0, 6, 6)].sum() - n[rng.integers(0, 4, 4)].sum() for _ in range(25)]
    np.testing.assert_array_equal(ours, loop)


def test_no_interval_from_one_unit_or_no_resample():
    rng = np.random.default_rng(0)
    assert percentile_bootstrap([np.array([0.4])], resample_mean, n_resamples=100, confidence=0.95, rng=rng) is None
    assert percentile_bootstrap([np.arange(5.0)], resample_mean, n_resamples=0, confidence=0.95, rng=rng) is None


@pytest.mark.parametrize("k,n", [(0, 10), (3, 10), (10, 10), (17, 250)])
def test_clopper_pearson_matches_scipy_binomtest(k, n):
    ref = scipy.stats.binomtest(k, n).proportion_ci(0.95, method="exact")
    assert clopper_pearson(k, n, 0.95) == pytest.approx((ref.low, ref.high))
    with pytest.raises(ValueError):
        clopper_pearson(n + 1, n)


def test_rank_auc_matches_sklearn_with_ties():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    score = np.round(rng.random(200) * 0.6 + 0.4 * y, 1)
    assert rank_auc(y, score) == pytest.approx(roc_auc_score(y, score))
    assert rank_auc(np.zeros(4), np.arange(4)) is None
