"""Bias AUCs (Borkan et al. 2019) cross-checked against sklearn's roc_auc_score on hand-built subsets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import pmean
from sklearn.metrics import roc_auc_score

from rai.audit.fairness import FairnessConfig, assess_fairness
from rai.audit.fairness.bias_auc import (bootstrap_bias_aucs, exact_bias_aucs, level_bias_aucs, level_counts, power_mean,
                                     score_levels)


def _data(n=2000, groups=4, seed=0, decimals=2):
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, groups, n)
    y = rng.random(n) < 0.4
    s = np.round(rng.random(n) * 0.8 + 0.25 * y - 0.05 * codes, decimals)  # rounding makes ties
    return s, y, codes


def _sklearn(s, y, codes, g):
    sub = codes == g
    bpsn = (~sub & y) | (sub & ~y)
    bnsp = (sub & y) | (~sub & ~y)
    return roc_auc_score(y[sub], s[sub]), roc_auc_score(y[bpsn], s[bpsn]), roc_auc_score(y[bnsp], s[bnsp])


def test_subgroup_bpsn_bnsp_equal_sklearn_on_the_subsets():
    s, y, codes = _data()
    ours = exact_bias_aucs(s, y, codes, 4)
    for g in range(4):
        assert (ours.subgroup[g], ours.bpsn[g], ours.bnsp[g]) == pytest.approx(_sklearn(s, y, codes, g), abs=1e-12)
    assert float(ours.overall) == pytest.approx(roc_auc_score(y, s), abs=1e-12)


def test_hand_computed_example():
    # group 0: positives 0.9, 0.4; negatives 0.5. group 1: positive 0.6; negatives 0.4, 0.7
    s = np.array([0.9, 0.4, 0.5, 0.6, 0.4, 0.7])
    y = np.array([1, 1, 0, 1, 0, 0], dtype=bool)
    codes = np.array([0, 0, 0, 1, 1, 1])
    out = exact_bias_aucs(s, y, codes, 2)
    assert out.subgroup[0] == pytest.approx(1 / 2)  # 0.9 > 0.5, 0.4 < 0.5
    assert out.bpsn[0] == pytest.approx(1.0)  # background positive 0.6 vs negative 0.5
    assert out.bnsp[0] == pytest.approx((1 + 1 + 0.5 + 0) / 4)  # 0.9 beats 0.4, 0.7; 0.4 ties 0.4, loses to 0.7
    assert out.subgroup[1] == pytest.approx(1 / 2)


def test_level_counts_give_the_same_aucs_as_exact_scores():
    s, y, codes = _data(decimals=2)
    levels, n_levels = score_levels(s, max_levels=10_000)
    dense = level_bias_aucs(level_counts(levels, n_levels, y, codes, 4))
    exact = exact_bias_aucs(s, y, codes, 4)
    for f in ("subgroup", "bpsn", "bnsp"):
        np.testing.assert_allclose(dense.family(f), exact.family(f), atol=1e-12)


def test_binning_keeps_order_and_caps_levels():
    s, y, codes = _data(decimals=6)
    levels, n_levels = score_levels(s, max_levels=50)
    assert n_levels <= 50
    order = np.argsort(s, kind="stable")
    assert (np.diff(levels[order]) >= 0).all()  # monotone in the score
    counts = level_counts(levels, n_levels, y, codes, 4)
    boot = bootstrap_bias_aucs(counts, 30, np.random.default_rng(0))
    assert boot.subgroup.shape == (30, 4) and np.isfinite(boot.bpsn).all()


def test_power_mean_equals_scipy_pmean():
    x = np.array([0.91, 0.72, 0.85, 0.66])
    assert float(power_mean(x)) == pytest.approx(pmean(x, -5), rel=1e-12)
    assert float(power_mean(np.array([0.0, 0.9]))) == 0.0


def test_audit_bias_auc_records_match_sklearn():
    s, y, codes = _data(n=3000, groups=3, seed=4)
    df = pd.DataFrame({"label": y.astype(int), "prediction": (s > 0.5).astype(int), "score": s,
                       "grp": np.array(["a", "b", "c"])[codes]})
    result = assess_fairness(df, FairnessConfig(sensitive=("grp",), n_boot=200))
    by_group = [_sklearn(s, y, codes, g) for g in range(3)]
    expected = {"fairness.min_subgroup_auc": min(b[0] for b in by_group), "fairness.min_bpsn_auc": min(b[1] for b in by_group),
                "fairness.min_bnsp_auc": min(b[2] for b in by_group),
                "fairness.generalized_mean_bias_auc": pmean([v for b in by_group for v in b], -5)}
    for metric_id, value in expected.items():
        (rec,) = result.metric_values(metric_id)
        assert rec.value == pytest.approx(value, abs=1e-12), metric_id
        assert rec.ci is not None and rec.ci[0] <= rec.ci[1]
    (rec,) = result.metric_values("fairness.min_subgroup_auc")
    worst = ["a", "b", "c"][int(np.argmin([b[0] for b in by_group]))]
    assert rec.details["worst_group"] == worst
