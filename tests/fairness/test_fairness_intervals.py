"""Bootstrap intervals: coverage of the truth on synthetic data with known disparities, and determinism."""

from __future__ import annotations

import numpy as np
import pytest

from rai.audit.fairness.disparities import DISPARITIES, Kind, Scope
from rai.audit.fairness.frame import GroupFrame
from rai.audit.fairness.groups import Grouping
from rai.audit.fairness.intervals import Estimate, extremum_interval, leaf, resample_counts
from rai.audit.fairness.metrics import false_positive_rate, selection_rate, true_positive_rate

REPS, B = 120, 400


def _truth(base, tpr, fpr):
    sr = (1 - base) * fpr + base * tpr
    rates = {"selection_rate": sr, "true_positive_rate": tpr, "false_positive_rate": fpr}
    out = {}
    for d in DISPARITIES:
        per_metric = [rates[m] for m in d.metrics]
        if d.kind is Kind.DIFFERENCE:
            out[(d.name, Scope.BETWEEN_GROUPS)] = max(r.max() - r.min() for r in per_metric)
            out[(d.name, Scope.VS_REFERENCE)] = max(np.abs(r - r[0]).max() for r in per_metric)
        else:
            out[(d.name, Scope.BETWEEN_GROUPS)] = min(r.min() / r.max() for r in per_metric)
            out[(d.name, Scope.VS_REFERENCE)] = min(np.minimum(r / r[0], r[0] / r).min() for r in per_metric)
    return out


# (base rate, TPR, FPR per group, rows per group): no disparity; a small one (about one standard
# error); a large one with ties inside each block (where max - min is least smooth)
SCENARIOS = {
    "zero": ([0.3] * 4, [0.6] * 4, [0.2] * 4, 300),
    "small": ([0.3] * 2, [0.60, 0.66], [0.20, 0.23], 500),
    "large_with_ties": ([0.3] * 4, [0.6, 0.6, 0.8, 0.8], [0.2, 0.2, 0.3, 0.3], 250),
}


def _simulate(name, seed=1):
    base, tpr, fpr, n = (np.array(x, dtype=float) if isinstance(x, list) else x for x in SCENARIOS[name])
    p = np.stack([(1 - base) * (1 - fpr), (1 - base) * fpr, base * (1 - tpr), base * tpr], axis=1)
    g = len(base)
    grouping = Grouping("a", tuple(f"g{i}" for i in range(g)), np.zeros(1, dtype=np.int64), (False,) * g)
    truth = _truth(base, tpr, fpr)
    rng = np.random.default_rng(seed)
    hits = {key: 0 for key in truth}
    naive_hits, width, naive_width = 0, 0.0, 0.0
    for _ in range(REPS):
        cells = rng.multinomial(n, p)  # one synthetic evaluation set: n rows per group
        frame = GroupFrame(grouping, cells).bootstrap(B, rng)
        for d in DISPARITIES:
            for scope in Scope:
                res = frame.disparity(d, scope, reference=0)
                lo, hi = res.ci
                hits[(d.name, scope)] += lo <= truth[(d.name, scope)] <= hi
                if d.name == "demographic_parity_difference" and scope is Scope.BETWEEN_GROUPS:
                    width += hi - lo
        sr = selection_rate(frame.replicates)
        lo, hi = np.quantile(sr.max(axis=1) - sr.min(axis=1), [0.025, 0.975])  # the plain percentile interval
        naive_hits += lo <= truth[("demographic_parity_difference", Scope.BETWEEN_GROUPS)] <= hi
        naive_width += hi - lo
    return {k: v / REPS for k, v in hits.items()}, naive_hits / REPS, width / naive_width


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_disparity_intervals_cover_the_truth_at_the_stated_rate(scenario):
    coverage, naive, width_ratio = _simulate(scenario)
    low = {k: v for k, v in coverage.items() if v < 0.92}  # 95% nominal; 120 replications: sd ~ 0.02
    assert not low, f"{scenario}: coverage below nominal: {low}"
    assert width_ratio < 1.6, f"{scenario}: honest but needlessly wide ({width_ratio:.2f} x the plain interval)"
    if scenario == "zero":
        assert naive < 0.5, "the plain percentile interval of max - min should miss a zero disparity"


def test_extremum_of_one_component_is_the_basic_interval():
    rng = np.random.default_rng(0)
    delta = rng.normal(0.01, 0.05, size=(2000, 1))
    lo, hi = extremum_interval(np.array([0.4]), delta, largest=True, confidence=0.9, gamma=0.01)
    q = np.quantile(delta[:, 0], [0.05, 0.95])
    assert lo == pytest.approx(0.4 - q[1]) and hi == pytest.approx(0.4 - q[0])


def test_no_bootstrap_means_no_interval():
    assert leaf(0.5, None).interval(0.95) is None
    assert extremum_interval(np.array([0.1, 0.2]), None, largest=True, confidence=0.95, gamma=0.01) is None
    assert Estimate(float("nan"), np.zeros(10)).interval(0.95) is None


def test_resampling_keeps_group_sizes_and_is_seeded():
    counts = np.array([[10, 5, 3, 2], [100, 0, 0, 1]])
    a = resample_counts(counts, 50, np.random.default_rng(7))
    b = resample_counts(counts, 50, np.random.default_rng(7))
    assert a.shape == (50, 2, 4) and (a.sum(axis=2) == counts.sum(axis=1)).all()
    assert (a[:, 1, 1:3] == 0).all()  # empty cells stay empty: rows are redrawn from the group itself
    np.testing.assert_array_equal(a, b)


def test_resampling_matches_the_row_bootstrap_in_distribution():
    """Multinomial counts = resampling the group's rows with replacement (compare means and variances)."""
    rng = np.random.default_rng(1)
    cells = np.array([[40, 10, 20, 30]])
    rows = np.repeat(np.arange(4), cells[0])
    by_rows = np.stack([np.bincount(rng.choice(rows, size=len(rows)), minlength=4) for _ in range(4000)])
    by_counts = resample_counts(cells, 4000, rng)[:, 0]
    for fn in (selection_rate, true_positive_rate, false_positive_rate):
        assert fn(by_counts).mean() == pytest.approx(fn(by_rows).mean(), abs=0.005)
        assert fn(by_counts).std() == pytest.approx(fn(by_rows).std(), rel=0.08)
