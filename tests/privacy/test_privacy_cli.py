"""`rai audit privacy` end to end on run directories around an untrained tiny BERT (no training needed)."""

from __future__ import annotations

import json
import math
import shutil

import numpy as np
import pytest
import yaml
from privacy_runs import random_token_data, write_run_dir
from scipy.stats import rankdata
from sklearn.metrics import roc_auc_score

from rai.audit.privacy import audit as privacy_audit
from rai.audit.privacy import inputs
from rai.audit.privacy.mia import WHY_UNRESOLVABLE
from rai.core import rundir
from rai.training.canaries import make_canaries
from rai.training.inference import per_example_loss, predict_proba
from rai.training.labels import ERR_UNSEEN_LABELS
from rai.training.models import load_classifier

FAST = ("--bootstrap", "100", "--quiet")
CONTRACT = {"privacy.audit.epsilon_lower_bound", "privacy.audit.epsilon_excess", "privacy.mia.auc", "privacy.mia.tpr_at_1pct_fpr", "privacy.mia.epsilon_lower_bound", "privacy.mia.advantage",
            "privacy.mia.tpr_at_0_1pct_fpr", "privacy.canary.exposure_mean", "privacy.canary.exposure_max",
            "privacy.dp.epsilon", "privacy.dp.delta"}


def _metrics(path) -> dict:
    return {m["id"]: m for m in json.loads(path.read_text())["metrics"]}


def _losses(model_dir, df):
    model, tok = load_classifier(model_dir)
    return per_example_loss(predict_proba(model, tok, df["text"].tolist(), max_length=32), df["label"].to_numpy())


def test_audit_privacy_end_to_end(tmp_path, tiny_bert_dir, rai):
    cs = make_canaries(2, 5, [0, 1], secret_format="##")  # 100 secrets: the rank is exact
    privacy = {"schema": rundir.PRIVACY_SCHEMA, "dp": True, "epsilon": 3.0, "delta": 1e-5, "accountant": "rdp",
               "noise_multiplier": 1.1}
    run = write_run_dir(tmp_path, tiny_bert_dir, n_members=300, n_non_members=500, canaries=cs.to_json(), privacy=privacy)
    out = tmp_path / "audit.json"
    code, _, err = rai("audit", "privacy", run, "--out", out, *FAST)
    assert code == 0, err
    doc = json.loads(out.read_text())
    metrics = _metrics(out)
    assert set(metrics) == CONTRACT
    section = doc["sections"]["privacy"]
    assert set(section["attacks"]) == {"loss", "calibrated"}
    assert section["reference"]["kind"] == "base-probe"
    assert section["membership"]["members"]["n"] == 300 and section["membership"]["non_members"]["n"] == 500

    # theory copied from privacy.json
    assert metrics["privacy.dp.epsilon"]["value"] == 3.0 and metrics["privacy.dp.delta"]["value"] == 1e-5

    # the loss attack's AUC, recomputed independently from the model and the files
    loss_m = _losses(run / "model", random_token_data(300, 1))
    loss_n = _losses(run / "model", random_token_data(500, 2))
    expected = roc_auc_score(np.r_[np.ones(300), np.zeros(500)], -np.r_[loss_m, loss_n])
    assert section["attacks"]["loss"]["auc"]["value"] == pytest.approx(expected, abs=1e-9)
    auc = metrics["privacy.mia.auc"]
    assert auc["value"] == max(a["auc"]["value"] for a in section["attacks"].values())
    assert auc["ci"][0] <= auc["value"] <= auc["ci"][1] and auc["n"] == 800

    # 500 non-members resolve 1% FPR (5 false positives) but not 0.1%
    tpr = metrics["privacy.mia.tpr_at_1pct_fpr"]
    assert tpr["value"] is not None and tpr["details"]["fp"] <= 5 and tpr["ci"][0] <= tpr["value"] <= tpr["ci"][1]
    assert metrics["privacy.mia.tpr_at_0_1pct_fpr"]["value"] is None
    why = WHY_UNRESOLVABLE.format(n=500, fpr=0.001, need=5000, k=5)
    assert any(why in w for w in doc["warnings"])
    assert metrics["privacy.mia.epsilon_lower_bound"]["value"] >= 0.0

    # exposure: the exhaustive rank, recomputed by scoring all 100 secrets of each canary
    model, tok = load_classifier(run / "model")
    for c, row in zip(cs.canaries, section["canaries"]["per_canary"]):
        texts = [cs.fill(f"{i:02d}") for i in range(100)]
        losses = per_example_loss(predict_proba(model, tok, texts, max_length=32), [c.label] * 100)
        rank = rankdata(losses)[int(c.secret)]  # mid-rank for ties
        assert row["exhaustive"] and row["estimates"]["rank"]["rank"] == pytest.approx(rank)
        assert row["exposure"] == pytest.approx(math.log2(100) - math.log2(rank))
    assert metrics["privacy.canary.exposure_max"]["value"] == pytest.approx(
        max(r["exposure"] for r in section["canaries"]["per_canary"]))

    # same inputs and seed, same numbers
    out2 = tmp_path / "again.json"
    assert rai("audit", "privacy", run, "--out", out2, *FAST)[0] == 0
    assert json.loads(out2.read_text())["metrics"] == doc["metrics"]


def test_split_json_members_and_options(tmp_path, tiny_bert_dir, rai):
    run = write_run_dir(tmp_path, tiny_bert_dir, n_members=80)
    (run / "split.json").write_text(json.dumps({"train_rows": list(range(0, 50)), "eval_rows": list(range(50, 80))}))
    ref = tmp_path / "reference"
    shutil.copytree(run / "model", ref)
    dup = random_token_data(30, 2)
    dup.loc[:3, "text"] = random_token_data(80, 1)["text"][:4].to_numpy()  # 4 of them are members' texts
    dup.to_csv(tmp_path / "heldout.csv", index=False)
    out = tmp_path / "audit.json"
    code, _, err = rai("audit", "privacy", run, "--out", out, "--non-members", tmp_path / "heldout.csv",
                       "--reference-model", ref, "--max-members", "20", "--attacks", "calibrated", "--bootstrap", "100")
    assert code == 0, err
    doc = json.loads(out.read_text())
    section = doc["sections"]["privacy"]
    assert section["membership"]["members"]["n"] == 20
    assert "split.json train_rows" in section["membership"]["members"]["source"]
    assert section["membership"]["non_members"]["n"] == 26
    assert privacy_audit.WARN_DUPLICATES.format(n=4, total=30) in doc["warnings"]
    few = privacy_audit.WARN_FEW_EXAMPLES.format(members=20, non_members=26, few=privacy_audit.FEW_EXAMPLES)
    assert few in doc["warnings"]
    steps = [line for line in err.splitlines() if line.startswith("rai audit privacy: ") and "warning" not in line]
    assert steps[0] == f"rai audit privacy: scoring 20 members and 26 non-members with {run / 'model'}"
    assert steps[1] == f"rai audit privacy: reference: scoring with the reference model {ref}"
    assert steps[2] == "rai audit privacy: attacks calibrated: 100 bootstrap resamples"
    for warning in (privacy_audit.WARN_DUPLICATES.format(n=4, total=30), few):  # said when written, not only at the gate
        assert f"rai audit privacy: warning: {warning}" in err.splitlines()
    assert section["reference"]["kind"] == "model" and set(section["attacks"]) == {"calibrated"}
    metrics = _metrics(out)
    assert metrics["privacy.canary.exposure_mean"]["value"] is None
    assert metrics["privacy.dp.epsilon"]["value"] is None  # trained without DP: no guarantee to copy
    assert any(privacy_audit.WHY_NO_DP in w and w.startswith("privacy.dp.epsilon") for w in doc["warnings"])
    assert any(privacy_audit.WHY_NO_CANARIES in w for w in doc["warnings"])

    # without --non-members, the split's eval rows are the non-members
    out = tmp_path / "split.json.audit.json"
    assert rai("audit", "privacy", run, "--out", out, "--attacks", "loss", *FAST)[0] == 0
    assert json.loads(out.read_text())["sections"]["privacy"]["membership"]["non_members"]["n"] == 30


def _expect_error(rai, tmp_path, *argv) -> str:
    out = tmp_path / "err.json"
    code, _, err = rai("audit", "privacy", *argv, "--out", out, "--quiet")
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and err.startswith("rai: error: "), err
    assert not out.exists()
    return err


def test_bad_inputs_are_one_line_errors(tmp_path, fake_run, rai):
    assert inputs.ERR_NO_RUN_DIR in _expect_error(rai, tmp_path, tmp_path / "nope")
    err = _expect_error(rai, tmp_path, fake_run, "--attacks", "loss,shadow")
    assert privacy_audit.ERR_ATTACK.format(name="shadow", known="loss, calibrated") in err

    bad = random_token_data(10, 3)
    bad.loc[2, "label"] = 7
    bad.to_csv(tmp_path / "bad.csv", index=False)
    err = _expect_error(rai, tmp_path, fake_run, "--members", tmp_path / "bad.csv")
    assert ERR_UNSEEN_LABELS.format(labels="7") in err

    err = _expect_error(rai, tmp_path, fake_run, "--members", tmp_path / "bad.csv", "--label-column", "y")
    assert "missing column(s) y" in err

    (fake_run / "split.json").write_text(json.dumps({"train_rows": [], "eval_rows": [0, 1]}))
    assert inputs.ERR_NO_ROWS.format(what="members") in _expect_error(rai, tmp_path, fake_run)
    (fake_run / "split.json").unlink()

    config = yaml.safe_load((fake_run / "config.yaml").read_text())
    (fake_run / "config.yaml").write_text(yaml.safe_dump({**config, "eval": None}))
    assert inputs.ERR_NO_SPLIT_SOURCE in _expect_error(rai, tmp_path, fake_run)
    (fake_run / "config.yaml").write_text(yaml.safe_dump(config))

    (fake_run / "labels.json").write_text(json.dumps({"labels": [0, 1, 2]}))
    assert privacy_audit.ERR_MODEL_LABELS.format(k=2, n=3) in _expect_error(rai, tmp_path, fake_run)
    (fake_run / "labels.json").write_text(json.dumps({"labels": [0, 1]}))

    other = tmp_path / "other-run"
    shutil.copytree(fake_run, other)
    (other / "labels.json").write_text(json.dumps({"labels": ["neg", "pos"]}))
    err = _expect_error(rai, tmp_path, fake_run, "--reference-model", other)
    assert privacy_audit.ERR_REFERENCE_LABELS.format(ref=["neg", "pos"], target=[0, 1]) in err

    ledger = json.loads((fake_run / "privacy.json").read_text())
    (fake_run / "privacy.json").write_text(json.dumps({**ledger, "schema": "rai.privacy/99"}))
    assert rundir.ERR_PRIVACY_SCHEMA.format(got="rai.privacy/99", known="rai.privacy/1") in _expect_error(rai, tmp_path, fake_run)
    (fake_run / "privacy.json").unlink()
    assert inputs.ERR_MISSING_FILE.format(name="privacy.json") in _expect_error(rai, tmp_path, fake_run)
