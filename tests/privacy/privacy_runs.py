"""Random-token data and run directories for the privacy tests (shared by conftest.py and the tests).

A plain module, not conftest: `from conftest import ...` finds whichever conftest pytest loaded last.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from tiny_models import WORDS

from rai.core.rundir import PRIVACY_SCHEMA


def random_token_data(n: int, seed: int, *, words: int = 8) -> pd.DataFrame:
    """Texts of random words with random, balanced labels: nothing to generalise, everything to memorise.

    Balanced, so a model that learns only the label frequencies favours neither members nor non-members.
    """
    rng = np.random.default_rng(seed)
    vocab = np.array([w for w in WORDS if w.isalpha()])
    texts = [" ".join(rng.choice(vocab, size=words)) for _ in range(n)]
    labels = rng.permutation(np.arange(n) % 2)
    return pd.DataFrame({"id": [f"r{seed}-{i}" for i in range(n)], "text": texts, "label": labels})


def write_run_dir(root: Path, model_dir: Path, *, privacy: dict | None = None, labels: list | None = None,
                  n_members: int = 60, n_non_members: int = 40, canaries: dict | None = None) -> Path:
    """A run directory as `rai train` writes it, around an untrained model (for tests that need no training)."""
    run = root / "run"
    shutil.copytree(model_dir, run / "model")
    random_token_data(n_members, 1).to_csv(root / "train.csv", index=False)
    random_token_data(n_non_members, 2).to_csv(root / "eval.csv", index=False)
    (run / "privacy.json").write_text(json.dumps(privacy or {"schema": PRIVACY_SCHEMA, "dp": False, "epsilon": None, "delta": None}))
    (run / "labels.json").write_text(json.dumps({"labels": labels or [0, 1]}))
    (run / "config.yaml").write_text(yaml.safe_dump({"data": str(root / "train.csv"), "eval": str(root / "eval.csv"),
                                                     "model": str(model_dir), "text_column": "text", "label_column": "label",
                                                     "max_length": 32}))
    if canaries is not None:
        (run / "canaries.json").write_text(json.dumps(canaries))
    return run
