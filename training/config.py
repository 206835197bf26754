"""`TrainConfig`: every setting of `rai train`, and the validator that checks them all at once.

Field names are the CLI flags with underscores, so `config.yaml` in a run directory can be fed
back with `rai train --config`. `validate_config` collects every problem before raising one
`InputError` (Opacus `ModuleValidator` style), so a user fixes all typos in one round trip.
Checks that need the data (δ < 1/n) live in `rai.training.data`.
"""

from __future__ import annotations

import enum
import math
import os
import re
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import yaml

from rai.core import limits
from rai.core.config import dump_yaml
from rai.core.errors import InputError

DEFAULT_EPSILON = 8.0
DEFAULT_DELTA_FACTOR = 0.1  # default δ = min(DEFAULT_DELTA_CAP, 0.1 / n), strictly below 1/n
DEFAULT_DELTA_CAP = 1e-5  # the customary δ (Abadi et al. 2016), which the bundled policies also require
# The one-run audit's bound grows slowly with m and then falls, as its δ term 2mδ grows (every guess right,
# 95 %, δ = 1e-5: 2.5 at m = 100, 3.7 at 1,000, 3.6 at 10,000); more canaries only cost training time and
# crowd out the user's data.


class Accountant(str, enum.Enum):
    """Privacy accountants (Opacus names): Rényi DP, or numerical composition of privacy random variables."""

    RDP = "rdp"
    PRV = "prv"


class GradSampleMode(str, enum.Enum):
    """How per-example gradients are clipped: materialised per layer (hooks), via norms and a second
    backward pass (ghost, Opacus' fast gradient clipping), or via norms in one backward pass (bookkeeping)."""

    HOOKS = "hooks"
    GHOST = "ghost"
    BOOKKEEPING = "bookkeeping"


class LRSchedule(str, enum.Enum):
    """Learning rate over the run: constant, or linear decay to zero at the last step (the HF Trainer default)."""

    CONSTANT = "constant"
    LINEAR = "linear"


class LayerChoice(str, enum.Enum):
    ALL = "all"
    HEAD = "head"
    LAST = "last"


@dataclass(frozen=True)
class TrainLayers:
    """`--train-layers`: all, head (classifier and pooler), or last:K (the last K encoder layers and the head)."""

    choice: LayerChoice
    k: int = 0

    def __str__(self) -> str:
        return f"last:{self.k}" if self.choice is LayerChoice.LAST else self.choice.value


ERR_TRAIN_LAYERS = "must be all, head or last:K with K a positive integer"
ERR_POSITIVE = "must be greater than 0"
ERR_AT_LEAST_ONE = "must be at least 1"
ERR_NOT_NEGATIVE = "must not be negative"
ERR_FRACTION = "must be strictly between 0 and 1"
ERR_DELTA = "must be strictly between 0 and 1"
ERR_CHOICE = "unknown value {value!r} (choose from {choices})"
ERR_BOTH_BUDGETS = "give --epsilon or --noise-multiplier, not both"
ERR_NO_DP_WITH_BUDGET = "--no-dp trains without a privacy guarantee: drop {flags}"
ERR_MAX_LENGTH = "must be at least 2 (room for the special tokens)"
ERR_AT_MOST = "must be at most {limit} (rai.core.limits)"
# Size settings and their upper bounds: the Python API gets the same limits as the flags.
SIZE_LIMITS = (("epochs", limits.MAX_EPOCHS), ("batch_size", limits.MAX_LOGICAL_BATCH_SIZE),
               ("max_physical_batch_size", limits.MAX_BATCH_SIZE), ("max_length", limits.MAX_LENGTH_TOKENS),
               ("canaries", limits.MAX_CANARIES), ("audit_canaries", limits.MAX_AUDIT_CANARIES))
ERR_REQUIRED = "is required"
ERR_BOOL = "must be true or false"
ERR_NOT_SERIALISABLE = "a {kind} cannot be saved in config.yaml (give a string, number, boolean or list of strings)"
ERR_GROUP_RESERVED = "column {column!r} is the text or label column or a predictions.csv column (id, label, prediction, score)"
PREDICTION_COLUMNS = frozenset({"id", "label", "prediction", "score"})


def parse_train_layers(value: str) -> TrainLayers:
    """Parse `all`, `head` or `last:K`; raise ValueError on anything else."""
    text = str(value).strip().lower()
    match = re.fullmatch(r"last:(\d+)", text)
    if match:
        k = int(match.group(1))
        if k < 1:
            raise ValueError(ERR_TRAIN_LAYERS)
        return TrainLayers(LayerChoice.LAST, k)
    if text in (LayerChoice.ALL.value, LayerChoice.HEAD.value):
        return TrainLayers(LayerChoice(text))
    raise ValueError(ERR_TRAIN_LAYERS)


@dataclass
class TrainConfig:
    """Settings of one training run (the `rai train` flags, underscores for dashes)."""

    data: str
    out: str
    eval: str | None = None
    model: str | None = None
    epochs: int = 3
    batch_size: int = 64
    max_physical_batch_size: int = 32
    learning_rate: float = 5e-4
    lr_schedule: str = LRSchedule.LINEAR.value
    epsilon: float | None = None
    noise_multiplier: float | None = None
    delta: float | None = None
    max_grad_norm: float = 1.0
    accountant: str = Accountant.RDP.value
    grad_sample_mode: str = GradSampleMode.BOOKKEEPING.value
    dp: bool = True
    train_layers: str = "all"
    max_length: int = 128
    seed: int = 0
    text_column: str = "text"
    label_column: str = "label"
    id_column: str | None = None
    group_columns: list[str] = field(default_factory=list)
    eval_fraction: float = 0.2
    positive_label: str | None = None
    canaries: int = 0
    audit_canaries: int = 0
    resume: bool = False
    stop_after_steps: int | None = None
    checkpoint_every: int = 50
    keep_checkpoint: bool = False

    # Not compared when a run is resumed: settings that only steer how it is executed, and the
    # input paths (the files themselves are compared by SHA-256, so a moved file still resumes).
    NOT_COMPARED_ON_RESUME = frozenset({"resume", "stop_after_steps", "checkpoint_every", "keep_checkpoint", "out", "data",
                                        "eval"})
    PATH_FIELDS = ("data", "out", "eval", "model")

    def __post_init__(self) -> None:
        """A `pathlib.Path` (any os.PathLike) is as good as a string: stored as one, so config.yaml can hold it."""
        for name in self.PATH_FIELDS:
            value = getattr(self, name)
            if isinstance(value, os.PathLike):
                setattr(self, name, str(os.fspath(value)))

    @classmethod
    def from_mapping(cls, mapping: dict[str, Any]) -> "TrainConfig":
        """Build from a dict (argparse namespace vars, a YAML file); keys outside the dataclass are ignored."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in mapping.items() if k in names})

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["group_columns"] = list(self.group_columns or [])
        return out

    @property
    def layers(self) -> TrainLayers:
        return parse_train_layers(self.train_layers)

    def target_epsilon(self) -> float | None:
        """The ε to calibrate the noise for: --epsilon, the default when no budget is given, or None."""
        if not self.dp or self.noise_multiplier is not None:
            return None
        return DEFAULT_EPSILON if self.epsilon is None else float(self.epsilon)

    def result_settings(self) -> dict[str, Any]:
        """The settings that determine the trained model and its ledger (compared on --resume)."""
        return {k: v for k, v in self.to_dict().items() if k not in self.NOT_COMPARED_ON_RESUME}


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _int_at_least(x: Any, minimum: int) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and x >= minimum


def config_problems(cfg: TrainConfig) -> list[str]:
    """Every problem with `cfg` that can be seen without reading data, as 'flag: message' lines."""
    problems: list[str] = []

    def bad(flag: str, message: str) -> None:
        problems.append(f"--{flag}: {message}")

    for name in ("data", "out"):
        if not getattr(cfg, name):
            bad(name, ERR_REQUIRED)
    for name in ("epochs", "batch_size", "max_physical_batch_size", "checkpoint_every"):
        if not _int_at_least(getattr(cfg, name), 1):
            bad(name.replace("_", "-"), ERR_AT_LEAST_ONE)
    if cfg.stop_after_steps is not None and not _int_at_least(cfg.stop_after_steps, 1):
        bad("stop-after-steps", ERR_AT_LEAST_ONE)
    for name in ("dp", "resume", "keep_checkpoint"):
        if not isinstance(getattr(cfg, name), bool):
            bad(name.replace("_", "-"), ERR_BOOL)
    if not _int_at_least(cfg.max_length, 2):
        bad("max-length", ERR_MAX_LENGTH)
    if not _int_at_least(cfg.canaries, 0):
        bad("canaries", ERR_NOT_NEGATIVE)
    if not _int_at_least(cfg.audit_canaries, 0):
        bad("audit-canaries", ERR_NOT_NEGATIVE)
    for name, limit in SIZE_LIMITS:
        value = getattr(cfg, name)
        if _int_at_least(value, 0) and value > limit:
            bad(name.replace("_", "-"), ERR_AT_MOST.format(limit=limit))
    for name in ("learning_rate", "max_grad_norm"):
        value = getattr(cfg, name)
        if not _finite(value) or value <= 0:
            bad(name.replace("_", "-"), ERR_POSITIVE)
    if not _finite(cfg.eval_fraction) or not 0 < cfg.eval_fraction < 1:
        bad("eval-fraction", ERR_FRACTION)
    if cfg.epsilon is not None and (not _finite(cfg.epsilon) or cfg.epsilon <= 0):
        bad("epsilon", ERR_POSITIVE)
    if cfg.noise_multiplier is not None and (not _finite(cfg.noise_multiplier) or cfg.noise_multiplier <= 0):
        bad("noise-multiplier", ERR_POSITIVE)
    if cfg.delta is not None and (not _finite(cfg.delta) or not 0 < cfg.delta < 1):
        bad("delta", ERR_DELTA)
    if cfg.dp and cfg.epsilon is not None and cfg.noise_multiplier is not None:
        problems.append(ERR_BOTH_BUDGETS)
    if not cfg.dp:
        given = [f"--{n.replace('_', '-')}" for n in ("epsilon", "noise_multiplier", "delta") if getattr(cfg, n) is not None]
        if given:
            problems.append(ERR_NO_DP_WITH_BUDGET.format(flags=", ".join(given)))
    for flag, enum_cls, value in (("accountant", Accountant, cfg.accountant), ("grad-sample-mode", GradSampleMode, cfg.grad_sample_mode),
                                  ("lr-schedule", LRSchedule, cfg.lr_schedule)):
        if value not in {e.value for e in enum_cls}:
            bad(flag, ERR_CHOICE.format(value=value, choices=", ".join(e.value for e in enum_cls)))
    try:
        parse_train_layers(cfg.train_layers)
    except ValueError:
        bad("train-layers", f"{ERR_TRAIN_LAYERS} (got {cfg.train_layers!r})")
    for name, value in cfg.to_dict().items():  # config.yaml is written after training: a value it cannot hold fails now
        try:
            dump_yaml({name: value})
        except yaml.YAMLError:
            bad(name.replace("_", "-"), ERR_NOT_SERIALISABLE.format(kind=type(value).__name__))
    for column in cfg.group_columns or []:
        if column in (cfg.text_column, cfg.label_column) or column in PREDICTION_COLUMNS or column.startswith("score_"):
            bad("group-columns", ERR_GROUP_RESERVED.format(column=column))
    return problems


def validate_config(cfg: TrainConfig) -> TrainConfig:
    """Raise one InputError listing every problem with `cfg`; return it unchanged when clean."""
    problems = config_problems(cfg)
    if problems:
        raise InputError("; ".join(problems), where="rai train")
    return cfg
