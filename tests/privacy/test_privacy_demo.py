"""The demonstration of issue 4: memorisation shows without DP and disappears with strong DP.

A tiny BERT is trained with the real `rai.training.trainer.train` on random word strings with random
(balanced) labels: nothing to generalise, everything to memorise. Trained without DP until it
overfits, the membership attack separates members from non-members and the canaries stand out
from other secrets; trained with strong DP on the same data and recipe, neither happens.
"""

from __future__ import annotations

import json
import shutil

import pytest
from privacy_runs import random_token_data

from rai.audit.privacy.audit import WARN_THEORY, PrivacyAuditOptions, audit_privacy
from rai.training.config import TrainConfig
from rai.training.trainer import train


@pytest.mark.slow
def test_dp_closes_the_membership_gap(tmp_path, tiny_bert_dir):
    base = tmp_path / "base"
    shutil.copytree(tiny_bert_dir, base)
    random_token_data(128, 1).to_csv(tmp_path / "train.csv", index=False)
    random_token_data(128, 2).to_csv(tmp_path / "eval.csv", index=False)
    recipe = dict(data=str(tmp_path / "train.csv"), eval=str(tmp_path / "eval.csv"), model=str(base), epochs=40,
                  batch_size=16, learning_rate=5e-3, train_layers="all", max_length=16, seed=0, canaries=4)
    plain = train(TrainConfig(out=str(tmp_path / "plain"), dp=False, **recipe))
    # A fixed privacy key (Python only) keeps the noise, and so the interval checks below, the same on every run.
    private = train(TrainConfig(out=str(tmp_path / "private"), dp=True, noise_multiplier=5.0, **recipe), privacy_key=bytes(32))

    options = PrivacyAuditOptions(bootstrap=300, canary_candidates=200)
    results = {name: audit_privacy(run, options=options) for name, run in (("plain", plain), ("private", private))}
    m = {name: {r.id: r for r in res.metrics} for name, res in results.items()}

    # without DP: the model fits its members and the attack sees it
    members = results["plain"].sections["privacy"]["membership"]["members"]
    assert members["accuracy"] > 0.9
    auc = m["plain"]["privacy.mia.auc"]
    assert auc.value > 0.7 and auc.ci[0] > 0.6, auc
    assert m["plain"]["privacy.mia.advantage"].value > 0.3
    assert m["plain"]["privacy.mia.epsilon_lower_bound"].value > 0.0
    assert m["plain"]["privacy.dp.epsilon"].value is None

    # with strong DP: chance level, no evidence, and the measurement agrees with the theory
    auc = m["private"]["privacy.mia.auc"]
    assert abs(auc.value - 0.5) < 0.1 and auc.ci[0] < 0.5 < auc.ci[1], auc
    assert m["private"]["privacy.mia.epsilon_lower_bound"].value == 0.0
    claimed = json.loads((private / "privacy.json").read_text())["epsilon"]
    assert m["private"]["privacy.dp.epsilon"].value == claimed and claimed < 3
    assert not any(w.startswith(WARN_THEORY.split("{")[0]) for w in results["private"].warnings)

    # the canaries: memorised secrets stand out without DP, not with it (chance is about 1.44 bits)
    assert m["plain"]["privacy.canary.exposure_mean"].value > 3.0
    assert m["private"]["privacy.canary.exposure_mean"].value < 2.5
