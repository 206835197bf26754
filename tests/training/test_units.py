"""Pure parts of training: settings validation, the label map, the split, the metrics (against sklearn)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

from rai.core.errors import InputError
from rai.training import config as C
from rai.training.config import LayerChoice, TrainConfig, parse_train_layers, validate_config
from rai.training.data import stratified_split
from rai.training.labels import ERR_POSITIVE_NOT_A_LABEL, ERR_SINGLE_CLASS, ERR_UNSEEN_LABELS, LabelMap
from rai.core.stats import rank_auc
from rai.training.metrics import accuracy, evaluation_metrics, macro_f1
from rai.training.private import SamplingPlan


def test_validator_reports_every_problem_at_once():
    cfg = TrainConfig(data="d.csv", out="o", epsilon=-1.0, noise_multiplier=0.0, delta=1.5, epochs=0,
                      train_layers="last:x", accountant="gdp", group_columns=["text", "prediction"])
    with pytest.raises(InputError) as err:
        validate_config(cfg)
    msg = str(err.value)
    assert msg.startswith("rai train: ")
    for expected in (f"--epsilon: {C.ERR_POSITIVE}", f"--noise-multiplier: {C.ERR_POSITIVE}", f"--delta: {C.ERR_DELTA}",
                     f"--epochs: {C.ERR_AT_LEAST_ONE}", f"--train-layers: {C.ERR_TRAIN_LAYERS}", C.ERR_BOTH_BUDGETS,
                     "--accountant: " + C.ERR_CHOICE.format(value="gdp", choices="rdp, prv"),
                     "--group-columns: " + C.ERR_GROUP_RESERVED.format(column="text"),
                     "--group-columns: " + C.ERR_GROUP_RESERVED.format(column="prediction")):
        assert expected in msg
    assert "\n" not in msg


def test_paths_are_accepted_and_every_value_must_fit_config_yaml():
    cfg = TrainConfig(data=Path("d.csv"), out=Path("runs") / "o", eval=Path("e.csv"), model=Path("m"))
    assert (cfg.data, cfg.out, cfg.eval, cfg.model) == ("d.csv", str(Path("runs") / "o"), "e.csv", "m")
    assert validate_config(cfg) is cfg
    with pytest.raises(InputError) as err:  # found before training, not when config.yaml is written after it
        validate_config(TrainConfig(data="d", out="o", seed=np.int64(3), id_column=Path("id")))
    assert str(err.value) == "rai train: " + "; ".join(
        f"--{flag}: " + C.ERR_NOT_SERIALISABLE.format(kind=kind) for flag, kind in (("seed", "int64"), ("id-column", "PosixPath")))


def test_validator_refuses_booleans_for_every_count():
    cfg = TrainConfig(data="d", out="o", stop_after_steps=True, canaries=True, max_length=True)
    with pytest.raises(InputError) as err:
        validate_config(cfg)
    for expected in (f"--stop-after-steps: {C.ERR_AT_LEAST_ONE}", f"--canaries: {C.ERR_NOT_NEGATIVE}", f"--max-length: {C.ERR_MAX_LENGTH}"):
        assert expected in str(err.value)


def test_no_dp_refuses_a_budget_and_defaults_resolve():
    with pytest.raises(InputError, match=re.escape(C.ERR_NO_DP_WITH_BUDGET.format(flags="--epsilon"))):
        validate_config(TrainConfig(data="d", out="o", dp=False, epsilon=1.0))
    assert TrainConfig(data="d", out="o").target_epsilon() == C.DEFAULT_EPSILON
    assert TrainConfig(data="d", out="o", noise_multiplier=1.0).target_epsilon() is None
    assert TrainConfig(data="d", out="o", dp=False).target_epsilon() is None


@pytest.mark.parametrize("text, choice, k", [("all", LayerChoice.ALL, 0), ("head", LayerChoice.HEAD, 0), ("last:2", LayerChoice.LAST, 2)])
def test_parse_train_layers(text, choice, k):
    layers = parse_train_layers(text)
    assert (layers.choice, layers.k, str(layers)) == (choice, k, text)
    for bad in ("last:0", "last", "first:1", "2"):
        with pytest.raises(ValueError):
            parse_train_layers(bad)


@pytest.mark.parametrize("values, positive", [
    ([0, 1, 1, 0], 1), ([True, False], True), (["<=50K", ">50K"], ">50K"), (["pos", "neg"], "pos"), ([1.0, 0.0], 1),
])
def test_positive_label_is_the_last_in_sorted_order(values, positive):
    lm = LabelMap.from_values(values)
    assert lm.binary and lm.positive == positive and lm.labels[1] == positive
    assert lm.score_columns() == ["score"]
    assert lm.decode(lm.encode(values, where="x")) == [v if not isinstance(v, float) else int(v) for v in values]


def test_positive_label_override_and_errors():
    lm = LabelMap.from_values(["spam", "ham"], positive_label="ham")
    assert lm.labels == ("spam", "ham") and lm.positive == "ham"
    with pytest.raises(InputError, match=re.escape(ERR_POSITIVE_NOT_A_LABEL.format(value="eggs", labels="'ham', 'spam'"))):
        LabelMap.from_values(["spam", "ham"], positive_label="eggs")
    with pytest.raises(InputError, match=re.escape(ERR_SINGLE_CLASS.format(label="ham"))):
        LabelMap.from_values(["ham", "ham"])
    multi = LabelMap.from_values(["b", "c", "a"])
    assert multi.labels == ("a", "b", "c") and multi.positive is None
    assert multi.score_columns() == ["score_a", "score_b", "score_c"]
    with pytest.raises(InputError, match=re.escape(ERR_UNSEEN_LABELS.format(labels="'z'"))):
        multi.encode(["a", "z"], where="eval.csv")


def test_stratified_split_is_seeded_stratified_and_a_partition():
    labels = np.array([0] * 30 + [1] * 10 + [2])
    train, held = stratified_split(labels, 0.2, seed=3)
    again = stratified_split(labels, 0.2, seed=3)
    assert np.array_equal(train, again[0]) and np.array_equal(held, again[1])
    assert not np.array_equal(held, stratified_split(labels, 0.2, seed=4)[1])
    assert sorted(np.concatenate([train, held]).tolist()) == list(range(len(labels)))
    assert np.bincount(labels[held], minlength=3).tolist() == [6, 2, 0]  # the single-row class stays in training


def test_sampling_plan_follows_opacus_conventions():
    plan = SamplingPlan(dataset_size=3000, batch_size=64, epochs=2)
    assert (plan.steps_per_epoch, plan.total_steps, plan.expected_batch_size) == (47, 94, 63)
    assert plan.sample_rate == 1 / 47


def test_metrics_match_sklearn():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    score = np.round(rng.random(200) * 0.6 + 0.4 * y, 1)  # rounding makes ties
    pred = (score > 0.5).astype(int)
    assert accuracy(y, pred) == pytest.approx(accuracy_score(y, pred))
    assert macro_f1(y, pred) == pytest.approx(f1_score(y, pred, average="macro"))
    assert rank_auc(y, score) == pytest.approx(roc_auc_score(y, score))
    y3, p3 = rng.integers(0, 3, 100), rng.integers(0, 3, 100)
    p3[p3 == 2] = 1  # a class that is never predicted
    assert macro_f1(y3, p3) == pytest.approx(f1_score(y3, p3, average="macro", zero_division=0))
    assert rank_auc(np.ones(5), np.arange(5)) is None


def test_evaluation_metrics_shape():
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    out = evaluation_metrics(np.array([0, 1, 1]), proba)
    assert out["accuracy"] == pytest.approx(2 / 3) and out["auc"] == pytest.approx(1.0)
    assert out["loss"] == pytest.approx(-np.mean(np.log([0.9, 0.8, 0.4])))
    multi = evaluation_metrics(np.array([0, 1, 2]), np.eye(3))
    assert multi["auc"] is None and multi["auc_why_null"]


def test_linear_schedule_decays_to_zero_once_per_logical_step():
    import torch

    from rai.training.config import LRSchedule
    from rai.training.private import TrainingSetup, attach_schedule

    model = torch.nn.Linear(2, 2)
    setup = attach_schedule(TrainingSetup(model=model, optimizer=torch.optim.AdamW(model.parameters(), lr=0.1),
                                          plan=SamplingPlan(dataset_size=40, batch_size=10, epochs=1), dp=False), LRSchedule.LINEAR)
    lrs = []
    for ends in (False, True, False, True, True, True):  # physical batches; four logical steps
        setup.step(ends_logical_batch=ends)
        lrs.append(setup.optimizer.param_groups[0]["lr"])
    assert lrs == pytest.approx([0.1, 0.075, 0.075, 0.05, 0.025, 0.0])
