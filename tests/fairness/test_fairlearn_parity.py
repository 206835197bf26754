"""Every point estimate equals fairlearn's on the same data (MetricFrame and its disparity functions)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fairlearn import metrics as flm
from sklearn.metrics import accuracy_score, precision_score

from rai.audit.fairness import FairnessConfig, assess_fairness
from rai.audit.fairness.disparities import DISPARITIES, Scope
from rai.audit.fairness.frame import GroupFrame
from rai.audit.fairness.groups import MISSING

FAIRLEARN_METRICS = {
    "selection_rate": flm.selection_rate,
    "accuracy": accuracy_score,
    "true_positive_rate": flm.true_positive_rate,
    "false_positive_rate": flm.false_positive_rate,
    "false_negative_rate": flm.false_negative_rate,
    "true_negative_rate": flm.true_negative_rate,
    "precision": lambda y, p: precision_score(y, p, zero_division=np.nan),
    "base_rate": lambda y, p: float(np.mean(y)),
}
FAIRLEARN_DISPARITIES = {
    "demographic_parity_difference": flm.demographic_parity_difference,
    "demographic_parity_ratio": flm.demographic_parity_ratio,
    "equalized_odds_difference": flm.equalized_odds_difference,
    "equalized_odds_ratio": flm.equalized_odds_ratio,
    "equal_opportunity_difference": flm.equal_opportunity_difference,
    "equal_opportunity_ratio": flm.equal_opportunity_ratio,
}


def _sensitive(df: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    return df[cols].fillna(MISSING)


@pytest.mark.parametrize("cols", [["sex"], ["race"], ["sex", "race"]])
def test_by_group_overall_difference_ratio_equal_metricframe(predictions, cols):
    df = predictions
    ours = GroupFrame.from_predictions(df["label"], df["prediction"], _sensitive(df, cols))
    mf = flm.MetricFrame(metrics=FAIRLEARN_METRICS, y_true=df["label"], y_pred=df["prediction"], sensitive_features=_sensitive(df, cols))
    theirs = mf.by_group.dropna(how="all")
    theirs.index = ["&".join(map(str, i)) if isinstance(i, tuple) else str(i) for i in theirs.index]
    mine = ours.by_group(list(FAIRLEARN_METRICS)).loc[theirs.index]
    np.testing.assert_allclose(mine[list(FAIRLEARN_METRICS)].to_numpy(float), theirs[list(FAIRLEARN_METRICS)].to_numpy(float), rtol=1e-12)
    np.testing.assert_allclose(ours.overall(list(FAIRLEARN_METRICS))[list(FAIRLEARN_METRICS)].to_numpy(float),
                               mf.overall[list(FAIRLEARN_METRICS)].to_numpy(float), rtol=1e-12)
    for m in FAIRLEARN_METRICS:
        assert ours.difference(m) == pytest.approx(mf.difference()[m], rel=1e-12)
        assert ours.ratio(m) == pytest.approx(mf.ratio()[m], rel=1e-12)


def test_min_group_size_matches_fairlearn_on_the_eligible_rows(predictions):
    df = predictions
    sizes = df["race"].fillna(MISSING).value_counts()
    small = set(sizes[sizes < 30].index)
    assert small, "the fixture must have a small group"
    frame = GroupFrame.from_predictions(df["label"], df["prediction"], _sensitive(df, ["race"]), min_group_size=30)
    keep = ~df["race"].fillna(MISSING).isin(small)
    for d in DISPARITIES:
        expected = FAIRLEARN_DISPARITIES[d.name](df.loc[keep, "label"], df.loc[keep, "prediction"],
                                                 sensitive_features=_sensitive(df.loc[keep], ["race"]))
        assert frame.disparity(d).value == pytest.approx(expected, rel=1e-12), d.name


def test_reference_group_disparities_match_metricframe_by_group(predictions):
    df = predictions
    frame = GroupFrame.from_predictions(df["label"], df["prediction"], _sensitive(df, ["race"]), min_group_size=30)
    by = flm.MetricFrame(metrics={"sr": flm.selection_rate, "tpr": flm.true_positive_rate, "fpr": flm.false_positive_rate},
                         y_true=df["label"], y_pred=df["prediction"], sensitive_features=_sensitive(df, ["race"])).by_group
    by = by.loc[[g for g in by.index if g in frame.labels and frame.eligible[frame.labels.index(g)]]]
    ref = "White"
    others = by.drop(index=ref)
    expect = {
        "demographic_parity_difference": (others["sr"] - by.loc[ref, "sr"]).abs().max(),
        "demographic_parity_ratio": np.minimum(others["sr"] / by.loc[ref, "sr"], by.loc[ref, "sr"] / others["sr"]).min(),
        "equal_opportunity_difference": (others["tpr"] - by.loc[ref, "tpr"]).abs().max(),
        "equalized_odds_difference": max((others["tpr"] - by.loc[ref, "tpr"]).abs().max(), (others["fpr"] - by.loc[ref, "fpr"]).abs().max()),
        "equalized_odds_ratio": min(np.minimum(others[c] / by.loc[ref, c], by.loc[ref, c] / others[c]).min() for c in ("tpr", "fpr")),
    }
    for d in DISPARITIES:
        if d.name in expect:
            res = frame.disparity(d, Scope.VS_REFERENCE, reference=frame.labels.index(ref))
            assert res.value == pytest.approx(expect[d.name], rel=1e-12), d.name
            assert res.details["reference_group"] == ref


def test_audit_records_equal_fairlearn_for_each_attribute_and_the_intersection(predictions):
    df = predictions
    result = assess_fairness(df, FairnessConfig(sensitive=("sex", "race"), n_boot=0, min_group_size=1))
    for d in DISPARITIES:
        records = {r.details["attribute"]: r for r in result.metric_values(f"fairness.{d.name}")}
        assert set(records) == {"sex", "race", "sex&race"}
        for attr, cols in (("sex", ["sex"]), ("race", ["race"]), ("sex&race", ["sex", "race"])):
            expected = FAIRLEARN_DISPARITIES[d.name](df["label"], df["prediction"], sensitive_features=_sensitive(df, cols))
            assert records[attr].value == pytest.approx(expected, rel=1e-12), (d.name, attr)
            assert records[attr].ci is None  # --n-boot 0: no interval claimed


def test_string_labels_with_positive_label_match_fairlearn_pos_label(predictions):
    df = predictions.assign(label=predictions["label"].map({1: "approve", 0: "deny"}),
                            prediction=predictions["prediction"].map({1: "approve", 0: "deny"}))
    result = assess_fairness(df, FairnessConfig(sensitive=("sex",), n_boot=0, positive_label="approve"))
    rec = result.metric_values("fairness.equal_opportunity_difference")[0]
    mf = flm.MetricFrame(metrics=lambda y, p: flm.true_positive_rate(y, p, pos_label="approve"), y_true=df["label"],
                         y_pred=df["prediction"], sensitive_features=df["sex"])
    assert rec.value == pytest.approx(mf.difference(), rel=1e-12)


def test_multiclass_is_one_vs_rest_per_class():
    rng = np.random.default_rng(3)
    n = 3000
    df = pd.DataFrame({"label": rng.choice(["cat", "dog", "eel"], n), "prediction": rng.choice(["cat", "dog", "eel"], n),
                       "sex": rng.choice(["F", "M"], n)})
    result = assess_fairness(df, FairnessConfig(sensitive=("sex",), n_boot=0))
    records = {r.details["class"]: r for r in result.metric_values("fairness.demographic_parity_ratio")}
    assert set(records) == {"cat", "dog", "eel"}
    for cls, rec in records.items():
        expected = flm.demographic_parity_ratio((df["label"] == cls).astype(int), (df["prediction"] == cls).astype(int),
                                                sensitive_features=df["sex"])
        assert rec.value == pytest.approx(expected, rel=1e-12)
    assert result.sections["fairness"]["task"] == "multiclass"
