"""Bad input: one-line errors (messages compared verbatim) or documented warnings; small and missing groups."""

from __future__ import annotations

import numpy as np
import pytest

from rai.audit.fairness import MISSING, FairnessConfig, assess_fairness
from rai.audit.fairness import assess as A
from rai.audit.fairness import inputs as I
from rai.core.errors import InputError


def _run(df, **kw):
    kw.setdefault("sensitive", ("sex",))
    kw.setdefault("n_boot", 0)
    return assess_fairness(df, FairnessConfig(**kw), where="p.csv")


def _error(df, **kw) -> str:
    with pytest.raises(InputError) as exc:
        _run(df, **kw)
    text = str(exc.value)
    assert "\n" not in text
    return text


@pytest.fixture
def df(predictions):
    return predictions.copy()


def test_missing_columns(df):
    assert _error(df.drop(columns=["prediction"])).startswith("p.csv: missing column(s) prediction")
    assert _error(df, sensitive=("sex", "religion")).startswith("p.csv: missing column(s) religion")
    assert _error(df, score_column="proba").startswith("p.csv: missing column(s) proba")


def test_no_sensitive_column(df):
    assert _error(df, sensitive=()) == f"p.csv: {I.ERR_NO_SENSITIVE}"


def test_empty_labels(df):
    df.loc[[5, 9], "label"] = np.nan
    assert _error(df) == "p.csv: " + I.ERR_MISSING_VALUES.format(column="label", count=2, row=5)


def test_single_class(df):
    df["label"] = 1
    df["prediction"] = 1
    assert _error(df) == "p.csv: " + I.ERR_SINGLE_CLASS.format(value="1")


def test_binary_labels_need_a_positive_label_unless_0_1(df):
    df["label"] = df["label"].map({0: "no", 1: "yes"})
    df["prediction"] = df["prediction"].map({0: "no", 1: "yes"})
    assert _error(df) == "p.csv: " + I.ERR_NEED_POSITIVE.format(classes="no, yes")
    assert _error(df, positive_label="maybe") == "p.csv: " + I.ERR_UNKNOWN_POSITIVE.format(label="maybe", classes="no, yes")
    assert _run(df, positive_label="yes").sections["fairness"]["positive_label"] == "yes"


def test_boolean_labels_default_to_true(df):
    df["label"] = df["label"].astype(bool)
    df["prediction"] = df["prediction"].astype(bool)
    assert _run(df).sections["fairness"]["positive_label"] == "True"


def test_single_score_column_needs_binary_labels(df):
    df.loc[:5, "label"] = 2
    assert _error(df) == "p.csv: " + I.ERR_SCORE_NOT_BINARY.format(column="score", k=3, classes="0, 1, 2")
    # per-class scores are the multi-class form
    multi = df.drop(columns=["score"]).assign(score_0=0.2, score_1=0.5, score_2=0.3)
    assert _run(multi).sections["fairness"]["columns"]["score"] == {"0": "score_0", "1": "score_1", "2": "score_2"}
    assert _error(multi.drop(columns=["score_2"])) == "p.csv: " + I.ERR_SCORE_PARTIAL.format(missing="2", found="score_0, score_1")


def test_nan_or_text_scores(df):
    df["score"] = df["score"].astype(object)
    df.loc[3, "score"] = np.nan
    df.loc[7, "score"] = "high"
    assert _error(df) == "p.csv: " + I.ERR_BAD_SCORE.format(column="score", count=2, row=3)


def test_single_group(df):
    df["sex"] = "Female"
    assert _error(df) == "p.csv: " + I.ERR_SINGLE_GROUP.format(column="sex", group="Female")


def test_reference_group_errors(df):
    assert _error(df, reference_groups=("sex",)) == "p.csv: " + A.ERR_REFERENCE_FORMAT.format(value="sex")
    assert _error(df, reference_groups=("age=old",)) == "p.csv: " + A.ERR_REFERENCE_ATTRIBUTE.format(attribute="age", attributes="sex")
    assert _error(df, reference_groups=("sex=Other",)) == "p.csv: " + A.ERR_REFERENCE_GROUP.format(value="Other", attribute="sex", groups="Female, Male")
    n_other = int((df["race"] == "Other").sum())
    assert _error(df, sensitive=("race",), reference_groups=("race=Other",)) == "p.csv: " + A.ERR_REFERENCE_SMALL.format(
        attribute="race", value="Other", n=n_other, min_size=30)


def test_reference_group_default_is_the_largest_and_can_be_given(df):
    res = _run(df, sensitive=("sex", "race"), reference_groups=("race=Black",))
    blocks = {b["attribute"]: b for b in res.sections["fairness"]["views"][0]["attributes"]}
    assert blocks["sex"]["reference_group"] == "Male" and blocks["sex"]["reference_source"] == "largest"
    assert blocks["race"]["reference_group"] == "Black" and blocks["race"]["reference_source"] == "given"
    assert blocks["sex&race"]["reference_group"] == "Male&White"
    for rec in res.metric_values("fairness.demographic_parity_ratio_vs_reference"):
        assert rec.details["reference_group"] == blocks[rec.details["attribute"]]["reference_group"]


def test_all_one_predictions_warn_and_still_report(df):
    df["prediction"] = 1
    res = _run(df)
    assert any("every prediction is 1" in w for w in res.warnings)
    (dp,) = res.metric_values("fairness.demographic_parity_difference")
    assert dp.value == 0.0
    (eo,) = res.metric_values("fairness.equalized_odds_difference")
    assert eo.value == 0.0  # TPR = FPR = 1 everywhere


def test_small_groups_are_reported_flagged_and_excluded_with_a_warning(df):
    res = _run(df, sensitive=("race",), n_boot=50)
    block = res.sections["fairness"]["views"][0]["attributes"][0]
    rows = {g["group"]: g for g in block["groups"]}
    assert rows["Other"]["small"] is True and rows["Other"]["count"] < 30
    assert rows["Other"]["metrics"]["selection_rate"]["value"] is not None  # still reported
    assert block["excluded_groups"] == [g for g, r in rows.items() if r["small"]]
    assert any("Other" in w and "left out of the disparities" in w for w in res.warnings)
    (small,) = res.metric_values("fairness.small_groups")
    assert small.value == len(block["excluded_groups"]) and "Other" in small.details["groups"]
    (dp,) = res.metric_values("fairness.demographic_parity_difference")
    eligible = [r for r in rows.values() if not r["small"]]
    rates = [r["metrics"]["selection_rate"]["value"] for r in eligible]
    assert dp.value == pytest.approx(max(rates) - min(rates)) and dp.details["groups_compared"] == len(eligible)


def test_missing_sensitive_values_form_an_explicit_group(df):
    res = _run(df, sensitive=("race",), min_group_size=1)
    rows = {g["group"]: g for g in res.sections["fairness"]["views"][0]["attributes"][0]["groups"]}
    assert rows[MISSING]["missing"] is True
    assert rows[MISSING]["count"] == int(df["race"].isna().sum()) > 0
    assert sum(r["count"] for r in rows.values()) == len(df)  # no row dropped
    assert any(MISSING in w for w in res.warnings)


def test_no_group_large_enough_gives_null_disparities_not_zero(df):
    res = _run(df, sensitive=("race",), min_group_size=10_000)
    (dp,) = res.metric_values("fairness.demographic_parity_difference")
    assert dp.value is None
    assert any("demographic_parity_difference" in w and "undefined" in w for w in res.warnings)


def test_undefined_rates_are_null_with_a_reason_and_left_out(df):
    df.loc[df["race"] == "Asian", "label"] = 0  # no positives: TPR undefined for Asian
    res = _run(df, sensitive=("race",))
    rows = {g["group"]: g for g in res.sections["fairness"]["views"][0]["attributes"][0]["groups"]}
    assert rows["Asian"]["metrics"]["true_positive_rate"] == {"value": None, "ci": None, "why_null": "no positive labels"}
    assert any("true_positive_rate is undefined for Asian" in w for w in res.warnings)
    (eo,) = res.metric_values("fairness.equal_opportunity_difference")
    assert "Asian" not in (eo.details["highest_group"], eo.details["lowest_group"])


def test_same_seed_same_intervals_other_seed_differs(df):
    a = _run(df, n_boot=200, seed=3).metric_values("fairness.demographic_parity_ratio")[0].ci
    b = _run(df, n_boot=200, seed=3).metric_values("fairness.demographic_parity_ratio")[0].ci
    c = _run(df, n_boot=200, seed=4).metric_values("fairness.demographic_parity_ratio")[0].ci
    assert a == b and a != c
