"""The one-run audit end to end: `rai train --audit-canaries`, `rai audit privacy`, `rai gate`.

Without noise, a tiny model memorises its audit canaries and the audit proves an epsilon well
above a small claimed one: a ledger that claims 0.5 for such a model (a broken implementation) is
caught by the gate. With DP, the bound stays at or below the ledger's epsilon.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from privacy_runs import random_token_data

from rai.audit.privacy.one_run import epsilon_lower_bound, guess_grid
from rai.audit.privacy.one_run_audit import WARN_EXCEEDS, WHY_NO_AUDIT_CANARIES, WHY_NO_CLAIM, WHY_TOO_FEW
from rai.training.audit_canaries import ERR_JSON, ERR_LEDGER, FILE, make_audit_canaries
from rai.training.config import TrainConfig
from rai.training.inference import per_example_loss, predict_proba
from rai.training.models import load_classifier
from rai.training.trainer import train

M = 200
FAST = ("--attacks", "loss", "--bootstrap", "50", "--quiet")


@pytest.fixture(scope="module")
def setup(tiny_bert_dir, tmp_path_factory) -> tuple[Path, Path, Path]:
    root = tmp_path_factory.mktemp("one-run")
    bert = Path(shutil.copytree(tiny_bert_dir, root / "bert"))
    random_token_data(20, 1).to_csv(root / "train.csv", index=False)
    random_token_data(40, 2).to_csv(root / "eval.csv", index=False)
    return root, bert, root / "train.csv"


def _train(setup, name: str, **kw) -> Path:
    root, bert, data = setup
    return train(TrainConfig(data=str(data), eval=str(root / "eval.csv"), model=str(bert), out=str(root / name),
                             audit_canaries=M, batch_size=16, max_physical_batch_size=16, learning_rate=0.002,
                             lr_schedule="constant", max_length=40, **kw))


def _audit(rai, run: Path, out: Path) -> dict:
    code, _, err = rai("audit", "privacy", run, "--out", out, *FAST)
    assert code == 0, err
    return json.loads(out.read_text())


def _metric(doc: dict, metric_id: str) -> dict:
    return next(m for m in doc["metrics"] if m["id"] == metric_id)


def _gate_status(rai, audit_path: Path, verdict: Path) -> str:
    rai("gate", audit_path, "--policy", "default", "--verdict", verdict, "--quiet")
    rules = json.loads(verdict.read_text())["rules"]
    return next(r["status"] for r in rules if r["rule"] == "privacy.audit.epsilon_excess")


@pytest.mark.slow
def test_a_model_trained_without_noise_refutes_a_small_claimed_epsilon(setup, rai, tmp_path):
    run = _train(setup, "no-dp", dp=False, epochs=40)
    doc = _audit(rai, run, tmp_path / "audit.json")
    bound = _metric(doc, "privacy.audit.epsilon_lower_bound")
    assert bound["value"] > 1.0, bound
    assert _metric(doc, "privacy.audit.epsilon_excess")["value"] is None
    assert any(WHY_NO_CLAIM in w for w in doc["warnings"])

    # the bound, recomputed from the model and the private file with the paper's counting
    canaries = json.loads((run / FILE).read_text())["canaries"]
    model, tok = load_classifier(run / "model")
    losses = per_example_loss(predict_proba(model, tok, [c["text"] for c in canaries], max_length=40),
                              [int(c["label"]) for c in canaries])
    bits = np.array([c["included"] for c in canaries])
    order = np.argsort(losses, kind="stable")
    d = bound["details"]
    correct = bits[order[:d["k_plus"]]].sum() + (~bits[order[M - d["k_minus"]:]]).sum()
    assert (d["m"], d["guesses"], d["correct"]) == (M, d["k_plus"] + d["k_minus"], correct)
    assert bound["value"] == pytest.approx(epsilon_lower_bound(M, d["guesses"], int(correct), delta=0.0,
                                                               significance=0.05 / len(guess_grid(M))), abs=1e-9)

    # a broken implementation: the same weights, a ledger that claims epsilon 0.5
    ledger = json.loads((run / "privacy.json").read_text())
    ledger.update(dp=True, epsilon=0.5, delta=1e-5)
    (run / "privacy.json").write_text(json.dumps(ledger))
    claimed = _audit(rai, run, tmp_path / "claimed.json")
    excess = _metric(claimed, "privacy.audit.epsilon_excess")
    assert excess["value"] > 0.5 and excess["details"]["ledger_epsilon"] == 0.5
    measured = _metric(claimed, "privacy.audit.epsilon_lower_bound")["value"]
    assert WARN_EXCEEDS.format(measured=measured, confidence=0.95, claimed=0.5) in claimed["warnings"]
    assert _gate_status(rai, tmp_path / "claimed.json", tmp_path / "verdict.json") == "fail"


def test_a_dp_model_stays_at_or_below_its_ledger(setup, rai, tmp_path):
    run = _train(setup, "dp", epsilon=2.0, epochs=8)
    doc = _audit(rai, run, tmp_path / "audit.json")
    claimed = json.loads((run / "privacy.json").read_text())["epsilon"]
    bound = _metric(doc, "privacy.audit.epsilon_lower_bound")
    assert 0.0 <= bound["value"] <= claimed and bound["details"]["delta"] > 0
    assert _metric(doc, "privacy.audit.epsilon_excess")["value"] == pytest.approx(bound["value"] - claimed)
    section = doc["sections"]["privacy"]["one_run"]
    assert section["m"] == M and section["ledger_epsilon"] == claimed and len(section["tried"]) == len(guess_grid(M))
    assert _gate_status(rai, tmp_path / "audit.json", tmp_path / "verdict.json") == "pass"


def _plant(run: Path, m: int, *, ledger_entry: bool = True):
    cs = make_audit_canaries(m, 0, [0, 1])
    (run / FILE).parent.mkdir(exist_ok=True)
    (run / FILE).write_text(json.dumps(cs.to_json()))
    if ledger_entry:
        ledger = json.loads((run / "privacy.json").read_text())
        (run / "privacy.json").write_text(json.dumps({**ledger, "audit_canaries": cs.ledger_entry()}))
    return cs


def test_undefined_values_say_why_and_foreign_files_are_refused(fake_run, rai, tmp_path):
    doc = _audit(rai, fake_run, tmp_path / "none.json")  # an untrained model, no audit canaries
    for metric_id in ("privacy.audit.epsilon_lower_bound", "privacy.audit.epsilon_excess"):
        assert _metric(doc, metric_id)["value"] is None
        assert any(w.startswith(metric_id) and WHY_NO_AUDIT_CANARIES in w for w in doc["warnings"])
    assert doc["sections"]["privacy"]["one_run"] is None

    _plant(fake_run, 1)
    doc = _audit(rai, fake_run, tmp_path / "one.json")
    assert any(WHY_TOO_FEW in w for w in doc["warnings"]) and _metric(doc, "privacy.audit.epsilon_lower_bound")["value"] is None

    _plant(fake_run, 60)  # an untrained model guesses at chance: nothing proven, and no claim to compare with
    doc = _audit(rai, fake_run, tmp_path / "sixty.json")
    assert _metric(doc, "privacy.audit.epsilon_lower_bound")["value"] < 1.0
    assert _metric(doc, "privacy.audit.epsilon_lower_bound")["details"]["m"] == 60

    ledger = json.loads((fake_run / "privacy.json").read_text())
    (fake_run / "privacy.json").write_text(json.dumps({k: v for k, v in ledger.items() if k != "audit_canaries"}))
    cs = _plant(fake_run, 60, ledger_entry=False)  # a file the ledger knows nothing of: another run's bits
    for message in (ERR_LEDGER.format(ledger="none", file=f"60/{len(cs.included)}"), ERR_JSON.format(why="Expecting")):
        out = tmp_path / "refused.json"
        code, _, err = rai("audit", "privacy", fake_run, "--out", out, *FAST)
        assert code == 2 and err.count("\n") == 1 and message in err and not out.exists(), err
        (fake_run / FILE).write_text("{")
