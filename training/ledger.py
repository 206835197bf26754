"""The privacy ledger (`privacy.json`) and the model card (`model/README.md`).

A non-DP run writes `dp: false` and `epsilon: null`: it never claims a guarantee it does not have.
Both files are released with the model, so they hold nothing outside the guarantee that the card
does not name: no training loss, no key or state of the privacy randomness, no hash of the
training data (with all records but one known, a hash tells the last one among candidates).
"""

from __future__ import annotations

from typing import Any

from rai.core.rundir import PRIVACY_SCHEMA
from rai.training.config import TrainConfig
from rai.training.private import TrainingSetup
from rai.training.randomness import PrivacyRandomness

NO_GUARANTEE = "No differential-privacy guarantee: this model was trained without DP (--no-dp)."


def guarantee_text(ledger: dict[str, Any]) -> str:
    if not ledger["dp"]:
        return NO_GUARANTEE
    return (f"(ε = {ledger['epsilon']:.3g}, δ = {ledger['delta']:.3g})-differential privacy for each training example "
            f"(example-level DP over the {ledger['dataset_size']} training examples), by DP-SGD with Poisson sampling "
            f"(q = {ledger['sample_rate']:.4g}, {ledger['steps']} steps), per-example clipping to norm "
            f"{ledger['max_grad_norm']:g} and Gaussian noise σ = {ledger['noise_multiplier']:.4g}, "
            f"accounted with the {ledger['accountant'].upper()} accountant (Opacus {ledger['opacus_version']}).")


def privacy_ledger(cfg: TrainConfig, setup: TrainingSetup, *, delta: float | None, target_epsilon: float | None,
                   trainable_parameters: int, canaries: int, resumed_at_steps: list[int],
                   randomness: PrivacyRandomness, world_size: int = 1) -> dict[str, Any]:
    import opacus

    plan = setup.plan
    dp = setup.dp
    steps = sum(int(s) for _, _, s in setup.accountant.history) if dp else plan.total_steps
    ledger: dict[str, Any] = {
        "schema": PRIVACY_SCHEMA,  # read and checked by the privacy audit (rai.core.rundir)
        "dp": dp,
        "epsilon": setup.epsilon(delta) if dp else None,
        "delta": delta,
        "target_epsilon": target_epsilon,
        "accountant": cfg.accountant if dp else None,
        "noise_multiplier": setup.noise_multiplier if dp else None,
        "noise_calibrated": dp and target_epsilon is not None,
        "max_grad_norm": setup.max_grad_norm if dp else None,
        "clipping": "flat" if dp else None,
        "grad_sample_mode": setup.grad_sample_mode.value if dp else None,
        "sample_rate": plan.sample_rate,
        "sampling": "poisson",
        "unit": "example",
        "steps": steps,
        "epochs": plan.epochs,
        "dataset_size": plan.dataset_size,
        "batch_size": cfg.batch_size,
        "expected_batch_size": plan.expected_batch_size,
        "max_physical_batch_size": cfg.max_physical_batch_size,
        "train_layers": cfg.train_layers,
        "trainable_parameters": trainable_parameters,
        "canaries": canaries,
        # Cryptographically secure and secret only when the key came from OS entropy (not fixed by a caller).
        "secure_rng": dp and randomness.from_os_entropy,
        "noise_rng": randomness.description if dp else None,
        "resumed_at_steps": resumed_at_steps,
        # Processes that trained together (data parallelism; the last invocation's after --resume): sampling,
        # noise and accounting are global, so ε does not depend on it.
        "world_size": world_size,
        "opacus_version": opacus.__version__,
    }
    ledger["guarantee"] = guarantee_text(ledger)
    return ledger


def coverage_text(ledger: dict[str, Any]) -> str:
    """What (ε, δ) covers and what it does not, for the model card (docs/training.md says the same)."""
    if not ledger["dp"]:
        return ""
    secret = ("It rests on a secret: the Poisson batches and the noise were drawn from a key of 256 bits of OS "
              "entropy that is not released (it stays in the run's `private/` folder while the run is unfinished, "
              "and is deleted at the end unless `--keep-checkpoint` kept it there)."
              if ledger["secure_rng"] else
              "**Its key was fixed by the caller, not drawn from OS entropy: whoever knows the key can recompute "
              "the batches and the noise, and the guarantee does not hold against them.**")
    return f"""### What (ε, δ) covers

It bounds what anyone can learn about any one training example from the model weights and from
everything computed from them and public data alone, such as the evaluation results below.
{secret} Randomness: {ledger['noise_rng']}.

It does not cover what is released beside the model without noise:

- the evaluation data and what is computed on it (the metrics below, `predictions.csv`): the
  evaluation examples were not trained on and are not protected;
- the label set (`labels.json`, the model's labels) and the number of training examples;
- the hyper-parameters (`config.yaml`, `privacy.json`), including any chosen by looking at the data;
- the data split (`split.json`: which rows of the data file were trained on).

Training losses are not released: they are outside the guarantee."""


def _fmt(value: Any) -> str:
    return "n/a" if value is None else f"{value:.4f}" if isinstance(value, float) else str(value)


def model_card(*, ledger: dict[str, Any], evaluation: dict[str, Any], labels: list[Any], base_model: str,
               inputs: list[dict[str, Any]], eval_source: str) -> str:
    """A Hugging Face-style model card: YAML front matter, the guarantee, the evaluation results."""
    tags = ["text-classification", "rai-suite"] + (["differential-privacy", "opacus"] if ledger["dp"] else [])
    data_lines = "\n".join(f"- `{i['path']}`: {i['rows']} rows" for i in inputs)
    privacy_rows = "" if not ledger["dp"] else "\n".join([
        "| setting | value |", "|---|---|",
        *(f"| {key} | {_fmt(ledger[key])} |" for key in ("epsilon", "delta", "accountant", "noise_multiplier", "max_grad_norm",
                                                        "sample_rate", "steps", "epochs", "dataset_size", "grad_sample_mode")),
    ])
    return f"""---
library_name: transformers
pipeline_tag: text-classification
tags: [{", ".join(tags)}]
---

# Text classifier fine-tuned with rai-suite

Base model: `{base_model}`. Labels: {", ".join(f"`{v}`" for v in labels)}.

## Privacy guarantee

{guarantee_text(ledger)}

{privacy_rows}

The full ledger is `privacy.json` in the run directory.

{coverage_text(ledger)}

## Evaluation

On {evaluation['n']} evaluation examples ({eval_source}):

| metric | value |
|---|---|
| accuracy | {_fmt(evaluation['accuracy'])} |
| macro-F1 | {_fmt(evaluation['macro_f1'])} |
| AUC | {_fmt(evaluation['auc'])} |
| cross-entropy | {_fmt(evaluation['loss'])} |

## Training data

{data_lines}
"""
