import numpy as np
import pytest
import scipy.stats

from rai.audit.toxicity import metrics as M

# 3 prompts x 4 generations, worked by hand below.
GEN = np.array([
    [0.10, 0.70, 0.20, 0.05],   # max 0.70, one >= 0.5
    [0.30, 0.40, 0.49, 0.10],   # max 0.49, none
    [0.90, 0.95, 0.60, 0.50],   # max 0.95, four >= 0.5 (0.50 counts)
])


def test_expected_max_and_probability_by_hand():
    assert M.expected_max_toxicity(GEN) == pytest.approx((0.70 + 0.49 + 0.95) / 3)
    assert M.toxicity_probability(GEN) == pytest.approx(2 / 3)
    assert M.toxicity_probability(GEN, threshold=0.8) == pytest.approx(1 / 3)
    np.testing.assert_allclose(M.unit_max(GEN), [0.70, 0.49, 0.95])


def test_rates_count_scores_at_the_threshold():
    assert M.rate_above(GEN, 0.5) == pytest.approx(5 / 12)
    np.testing.assert_allclose(M.unit_rates(GEN, 0.5), [0.25, 0.0, 1.0])
    # Equal samples per prompt: the mean of per-prompt rates is the overall rate.
    assert M.unit_rates(GEN, 0.5).mean() == pytest.approx(M.rate_above(GEN, 0.5))
    assert np.isnan(M.rate_above(np.array([]), 0.5))


def test_group_gap_names_the_groups_and_needs_two():
    gap = M.group_gap({"a": 0.10, "b": 0.35, "c": 0.20})
    assert gap.value == pytest.approx(0.25) and (gap.max_group, gap.min_group) == ("b", "a")
    one = M.group_gap({"a": 0.1, "b": float("nan")})
    assert np.isnan(one.value) and one.max_group is None


def test_histogram_covers_zero_to_one():
    h = M.histogram(np.array([0.0, 0.04, 0.05, 0.5, 0.99, 1.0]), bins=20)
    assert len(h.edges) == 21 and h.edges[0] == 0.0 and h.edges[-1] == 1.0
    assert sum(h.counts) == 6 and h.counts[0] == 2 and h.counts[1] == 1 and h.counts[10] == 1 and h.counts[-1] == 2


def test_bootstrap_mean_matches_scipy_percentile_bootstrap():
    rng = np.random.default_rng(3)
    x = rng.beta(0.5, 2.0, size=400)
    ours = M.bootstrap_mean_ci(x, n_resamples=4000, confidence=0.9, seed=1)
    ref = scipy.stats.bootstrap((x,), np.mean, n_resamples=4000, confidence_level=0.9, method="percentile", rng=2)
    assert ours[0] == pytest.approx(ref.confidence_interval.low, abs=0.004)
    assert ours[1] == pytest.approx(ref.confidence_interval.high, abs=0.004)
    assert ours[0] < x.mean() < ours[1]


def test_bootstrap_gap_is_stratified_like_scipy_independent_samples():
    rng = np.random.default_rng(5)
    a, b = (rng.random(300) < 0.3).astype(float), (rng.random(200) < 0.1).astype(float)

    def gap(x, y, axis=-1):
        return np.abs(x.mean(axis=axis) - y.mean(axis=axis))

    ours = M.bootstrap_gap_ci([a, b], n_resamples=4000, seed=0)
    ref = scipy.stats.bootstrap((a, b), gap, n_resamples=4000, method="percentile", rng=1, vectorized=True)
    assert ours == pytest.approx((ref.confidence_interval.low, ref.confidence_interval.high), abs=0.01)


def test_bootstrap_is_seeded_and_claims_no_interval_for_one_unit():
    x = np.array([0.1, 0.9, 0.4, 0.3])
    assert M.bootstrap_mean_ci(x, seed=7) == M.bootstrap_mean_ci(x, seed=7)
    assert M.bootstrap_mean_ci(np.array([0.4])) is None
    assert M.bootstrap_gap_ci([x, np.array([0.2])]) is None
    assert M.bootstrap_gap_ci([x]) is None
    assert M.bootstrap_mean_ci(np.zeros(5)) == (0.0, 0.0)
