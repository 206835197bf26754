"""`rai train` end to end on a tiny BERT: the run directory, the ledger, ghost and hooks, --no-dp."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from safetensors.torch import load_file
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

from training_testdata import sentiment_data
from rai.cli.main import main
from rai.training.ledger import NO_GUARANTEE

LEDGER_KEYS = {"dp", "epsilon", "delta", "accountant", "noise_multiplier", "max_grad_norm", "sample_rate", "steps", "epochs",
               "dataset_size", "sampling", "unit", "grad_sample_mode", "opacus_version"}
RUN_FILES = {"model", "privacy.json", "metrics.json", "predictions.csv", "labels.json", "config.yaml", "private", "split.json"}
FAST = ["--epochs", "2", "--batch-size", "16", "--max-physical-batch-size", "8", "--max-length", "16", "--quiet"]


def _train(tmp: Path, name: str, model: Path, data: Path, *extra: str) -> Path:
    out = tmp / name
    assert main(["train", "--data", str(data), "--model", str(model), "--out", str(out), *FAST, *extra]) == 0
    return out


@pytest.fixture(scope="module")
def hooks_run(tmp_path_factory, module_bert, data_csv) -> Path:
    return _train(tmp_path_factory.mktemp("runs"), "hooks", module_bert, data_csv, "--grad-sample-mode", "hooks",
                  "--epsilon", "4", "--group-columns", "sex,race")


@pytest.fixture(scope="module")
def ghost_prv_run(tmp_path_factory, module_bert, data_csv) -> Path:
    return _train(tmp_path_factory.mktemp("runs"), "ghost", module_bert, data_csv, "--grad-sample-mode", "ghost",
                  "--accountant", "prv", "--noise-multiplier", "0.9")


def _json(path: Path) -> dict:
    return json.loads(path.read_text())


@pytest.mark.slow
def test_dp_run_directory(hooks_run, data_csv, module_bert):
    assert {p.name for p in hooks_run.iterdir()} == RUN_FILES
    ledger = _json(hooks_run / "privacy.json")
    assert LEDGER_KEYS <= set(ledger)
    split = _json(hooks_run / "split.json")
    n = len(split["train_rows"])
    assert ledger["dp"] is True and ledger["sampling"] == "poisson" and ledger["unit"] == "example"
    assert ledger["grad_sample_mode"] == "hooks" and ledger["accountant"] == "rdp" and ledger["noise_calibrated"]
    assert ledger["dataset_size"] == n and ledger["delta"] == pytest.approx(min(1e-5, 0.1 / n)) and ledger["delta"] < 1 / n
    assert ledger["sample_rate"] == 1 / 4 and ledger["steps"] == 8 and ledger["epochs"] == 2
    assert 3.95 <= ledger["epsilon"] <= 4.0  # calibrated to the target, never above it

    data = pd.read_csv(data_csv)
    assert sorted(split["train_rows"] + split["eval_rows"]) == list(range(len(data)))
    preds = pd.read_csv(hooks_run / "predictions.csv")
    assert list(preds.columns) == ["id", "label", "prediction", "score", "sex", "race"]
    assert preds["id"].tolist() == data["id"].iloc[split["eval_rows"]].tolist()
    assert preds["label"].tolist() == data["label"].iloc[split["eval_rows"]].tolist()
    assert preds[["sex", "race"]].equals(data[["sex", "race"]].iloc[split["eval_rows"]].reset_index(drop=True))

    assert [p.name for p in (hooks_run / "private").iterdir()] == ["README.txt"]  # no --keep-checkpoint: deleted
    assert ledger["secure_rng"] is True and "OS entropy" in ledger["noise_rng"]
    metrics = _json(hooks_run / "metrics.json")
    assert metrics["train"] == {"steps": 8, "epochs": 2}  # public facts only: no training loss
    ev = metrics["eval"]
    assert ev["accuracy"] == pytest.approx(accuracy_score(preds["label"], preds["prediction"]))
    assert ev["macro_f1"] == pytest.approx(f1_score(preds["label"], preds["prediction"], average="macro"))
    assert ev["auc"] == pytest.approx(roc_auc_score(preds["label"], preds["score"]))
    assert _json(hooks_run / "labels.json")["labels"] == [0, 1]

    card = (hooks_run / "model" / "README.md").read_text()
    assert f"ε = {ledger['epsilon']:.3g}" in card and f"δ = {ledger['delta']:.3g}" in card and "accuracy" in card
    assert "### What (ε, δ) covers" in card and "the label set" in card and "the hyper-parameters" in card
    assert "sha256" not in card  # a hash of the training file would identify the last unknown record
    config = yaml.safe_load((hooks_run / "config.yaml").read_text())
    assert config["epsilon"] == 4.0 and config["delta"] == ledger["delta"] and config["resume"] is False

    # The saved model is the trained one: scoring the evaluation texts again gives the same scores.
    from rai.training.inference import predict_proba
    from rai.training.models import load_classifier

    model, tokenizer = load_classifier(hooks_run)
    proba = predict_proba(model, tokenizer, data["text"].iloc[split["eval_rows"]].tolist(), max_length=16)
    np.testing.assert_allclose(proba[:, 1], preds["score"], atol=1e-6)
    base = load_file(module_bert / "model.safetensors")
    trained = load_file(hooks_run / "model" / "model.safetensors")
    assert not torch.equal(base["bert.embeddings.position_embeddings.weight"], trained["bert.embeddings.position_embeddings.weight"])


def _epsilons(ledger: dict) -> tuple[float, float]:
    """ε of the ledger's (q, σ, steps, δ) by Opacus' own accountant and by Google's dp-accounting."""
    import dp_accounting
    from dp_accounting import pld, rdp
    from opacus.accountants import create_accountant

    opacus_acc = create_accountant(ledger["accountant"])
    opacus_acc.history = [(ledger["noise_multiplier"], ledger["sample_rate"], ledger["steps"])]
    event = dp_accounting.SelfComposedDpEvent(
        dp_accounting.PoissonSampledDpEvent(ledger["sample_rate"], dp_accounting.GaussianDpEvent(ledger["noise_multiplier"])),
        ledger["steps"])
    google = rdp.RdpAccountant() if ledger["accountant"] == "rdp" else pld.PLDAccountant(value_discretization_interval=1e-4)
    google.compose(event)
    return float(opacus_acc.get_epsilon(delta=ledger["delta"])), float(google.get_epsilon(ledger["delta"]))


def test_rdp_epsilon_matches_opacus_and_dp_accounting(hooks_run):
    ledger = _json(hooks_run / "privacy.json")
    opacus_eps, google_eps = _epsilons(ledger)
    assert ledger["epsilon"] == pytest.approx(opacus_eps, rel=0.01)
    assert ledger["epsilon"] == pytest.approx(google_eps, rel=0.01)


@pytest.mark.slow
def test_ghost_run_with_prv_accountant(ghost_prv_run):
    ledger = _json(ghost_prv_run / "privacy.json")
    assert ledger["grad_sample_mode"] == "ghost" and ledger["accountant"] == "prv" and ledger["noise_multiplier"] == 0.9
    opacus_eps, google_pld_eps = _epsilons(ledger)  # PRV (Opacus) against the PLD accountant of dp-accounting
    assert ledger["epsilon"] == pytest.approx(opacus_eps, rel=0.01)
    assert ledger["epsilon"] == pytest.approx(google_pld_eps, rel=0.01)
    assert 0.0 <= _json(ghost_prv_run / "metrics.json")["eval"]["accuracy"] <= 1.0
    assert pd.read_csv(ghost_prv_run / "predictions.csv")["score"].between(0, 1).all()


def test_no_dp_run_claims_no_guarantee(tmp_path, module_bert, data_csv):
    out = _train(tmp_path, "nodp", module_bert, data_csv, "--no-dp", "--epochs", "1")
    ledger = _json(out / "privacy.json")
    assert ledger["dp"] is False and ledger["epsilon"] is None and ledger["delta"] is None
    assert ledger["noise_multiplier"] is None and ledger["guarantee"] == NO_GUARANTEE
    assert NO_GUARANTEE in (out / "model" / "README.md").read_text()


def test_multiclass_strings_eval_file_jsonl_canaries_and_frozen_layers(tmp_path, module_bert):
    """Three string classes from JSONL, a separate --eval, --canaries and --train-layers last:1 together."""
    classes = ("neg", "pos", "other")
    sentiment_data(60, 1, classes=classes).to_json(tmp_path / "train.jsonl", orient="records", lines=True)
    sentiment_data(15, 2, classes=classes).drop(columns=["id"]).to_csv(tmp_path / "eval.csv", index=False)
    out = _train(tmp_path, "multi", module_bert, tmp_path / "train.jsonl", "--eval", str(tmp_path / "eval.csv"), "--epochs", "1",
                 "--canaries", "4", "--train-layers", "last:1", "--noise-multiplier", "1.0", "--group-columns", "sex")
    assert not (out / "split.json").exists()  # every row of --data is a member
    labels = _json(out / "labels.json")
    assert labels["labels"] == ["neg", "other", "pos"] and labels["task"] == "multiclass"
    preds = pd.read_csv(out / "predictions.csv")
    assert list(preds.columns) == ["id", "label", "prediction", "score_neg", "score_other", "score_pos", "sex"]
    assert preds["id"].tolist() == list(range(15)) and set(preds["label"]) <= set(classes)
    np.testing.assert_allclose(preds[["score_neg", "score_other", "score_pos"]].sum(axis=1), 1.0, atol=1e-9)

    canaries = _json(out / "canaries.json")
    assert canaries["seed"] == 0 and len(canaries["canaries"]) == 4
    ledger = _json(out / "privacy.json")
    assert ledger["dataset_size"] == 60 + 4 and ledger["canaries"] == 4 and not ledger["noise_calibrated"]
    assert not any("account number" in t for t in pd.read_csv(tmp_path / "eval.csv")["text"])

    base = load_file(module_bert / "model.safetensors")
    trained = load_file(out / "model" / "model.safetensors")
    for name in ("bert.embeddings.word_embeddings.weight", "bert.encoder.layer.0.attention.self.query.weight"):
        assert torch.equal(base[name], trained[name]), f"{name} should be frozen"
    assert not torch.equal(base["bert.encoder.layer.1.attention.self.query.weight"],
                           trained["bert.encoder.layer.1.attention.self.query.weight"])
    assert ledger["trainable_parameters"] < sum(t.numel() for t in base.values()) / 2


def test_config_yaml_reproduces_the_run(tmp_path, module_bert, data_csv, monkeypatch):
    """Without DP, config.yaml reproduces a run exactly (with DP it must not: see test_privacy_randomness)."""
    monkeypatch.chdir(data_csv.parent)  # relative --data and --model: config.yaml records them absolute
    first = _train(tmp_path, "first", Path(os.path.relpath(module_bert)), Path(data_csv.name), "--epochs", "1", "--seed", "7",
                   "--no-dp")
    config = yaml.safe_load((first / "config.yaml").read_text())
    assert config["data"] == str(data_csv.resolve()) and config["model"] == str(module_bert.resolve())
    monkeypatch.chdir(tmp_path)
    again = tmp_path / "again"
    assert main(["train", "--config", str(first / "config.yaml"), "--out", str(again), "--quiet"]) == 0
    metrics, rerun = _json(first / "metrics.json"), _json(again / "metrics.json")
    # the eval split is described with the path as given: relative first, absolute from config.yaml
    assert rerun["eval"].pop("source") == metrics["eval"].pop("source").replace(data_csv.name, str(data_csv.resolve()))
    assert metrics == rerun
    assert _json(first / "privacy.json") == _json(again / "privacy.json")
    assert (first / "model" / "model.safetensors").read_bytes() == (again / "model" / "model.safetensors").read_bytes()
    shutil.rmtree(again)
