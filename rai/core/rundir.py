"""The run directory contract: what `rai train` writes (training) and the audits read (audit, CLI, demo).

File names and the privacy ledger's schema id live here, at the bottom layer, so the writer and the
readers cannot drift apart and neither has to import the other. A reader refuses a ledger whose schema
id it does not know: a foreign or future `privacy.json` never reads as a guarantee.
"""

from __future__ import annotations

from typing import Any

from rai.core.errors import InputError

MODEL_DIR = "model"  # save_pretrained output (config.json, weights, tokenizer) and the model card
PRIVACY = "privacy.json"  # the privacy ledger (schema PRIVACY_SCHEMA)
LABELS = "labels.json"  # {"labels": [...], ...}: the model's label order
CONFIG = "config.yaml"  # the resolved training configuration
SPLIT = "split.json"  # {"train_rows": [...], "eval_rows": [...]} when the evaluation set was split from --data
CANARIES = "canaries.json"  # the planted canaries (exposure audit)
METRICS = "metrics.json"  # the evaluation metrics
PREDICTIONS = "predictions.csv"  # the evaluation set's predictions (`rai audit fairness` reads them)

PRIVACY_SCHEMA = "rai.privacy/1"
KNOWN_PRIVACY_SCHEMAS = (PRIVACY_SCHEMA,)
ERR_PRIVACY_SCHEMA = "privacy.json has schema {got!r}; this rai reads {known} (written by rai train)"
ERR_PRIVACY_DP = "privacy.json has no boolean 'dp' field"


def check_privacy_ledger(doc: Any, *, where: str) -> dict[str, Any]:
    """The ledger, when its schema id is one this version reads and it says whether DP was used."""
    got = doc.get("schema") if isinstance(doc, dict) else None
    if got not in KNOWN_PRIVACY_SCHEMAS:
        raise InputError(ERR_PRIVACY_SCHEMA.format(got=got, known=", ".join(KNOWN_PRIVACY_SCHEMAS)), where=where)
    if not isinstance(doc.get("dp"), bool):
        raise InputError(ERR_PRIVACY_DP, where=where)
    return doc
