"""`rai audit fairness PATH`: group metrics, disparities with intervals, and bias AUCs of a predictions table."""

from __future__ import annotations

import argparse
from pathlib import Path

from rai.cli.commands import AuditCommand, at_most, csv_list, non_negative_int, positive_int, probability
from rai.core import rundir
from rai.core.limits import MAX_BOOTSTRAP

PREDICTIONS_FILE = rundir.PREDICTIONS
LABELS_FILE = rundir.LABELS
ERR_NO_PREDICTIONS = f"run directory has no {PREDICTIONS_FILE} (give the predictions file itself)"
ERR_LABELS_FILE = f"{LABELS_FILE} must be an object with a positive_label (null for multi-class), as rai train writes it"


def add_bootstrap_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--n-boot", type=at_most(non_negative_int, MAX_BOOTSTRAP), default=1000, help="bootstrap resamples for the intervals (0: no intervals)")
    parser.add_argument("--confidence", type=probability, default=0.95, help="confidence level of the intervals")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("predictions", metavar="PATH", help=f"predictions file (CSV, JSONL or Parquet) or a run directory (its {PREDICTIONS_FILE})")
    parser.add_argument("--sensitive", type=csv_list, required=True, metavar="COL[,COL]",
                        help="sensitive columns; each alone and, with several, their intersection")
    parser.add_argument("--label-column", default="label")
    parser.add_argument("--prediction-column", default="prediction")
    parser.add_argument("--score-column", default=None, help="probability of the positive class (default: score, or score_<label> per class, when present)")
    parser.add_argument("--reference-group", type=csv_list, default=[], metavar="ATTR=VALUE[,...]",
                        help="reference group per attribute, e.g. sex=Male (default: the largest group)")
    parser.add_argument("--positive-label", default=None, help="the favourable / positive class (default: a run directory's "
                        f"{LABELS_FILE}, else 1 or true for binary labels; multi-class labels without it are audited one-vs-rest per class)")
    add_bootstrap_arguments(parser)
    parser.add_argument("--min-group-size", type=positive_int, default=30,
                        help="smaller groups are reported and flagged but left out of the disparities")


def resolve_predictions(path: str) -> tuple[Path, Path | None]:
    """(predictions file, model directory or None) from a file or a run directory."""
    from rai.core.errors import InputError

    p = Path(path)
    if p.is_dir():
        f = p / PREDICTIONS_FILE
        if not f.is_file():
            raise InputError(ERR_NO_PREDICTIONS, where=str(p))
        return f, (p / "model") if (p / "model").is_dir() else None
    return p, None


def run_positive_label(path: str) -> str | None:
    """The positive label a run directory was trained with (its labels.json), so its audit needs no --positive-label."""
    from rai.core.documents import loads_json
    from rai.core.errors import InputError

    f = Path(path) / LABELS_FILE
    if not Path(path).is_dir() or not f.is_file():
        return None
    doc = loads_json(f.read_text(encoding="utf-8"), where=str(f))
    if not isinstance(doc, dict) or "positive_label" not in doc or isinstance(doc["positive_label"], (dict, list)):
        raise InputError(ERR_LABELS_FILE, where=str(f))
    return None if doc["positive_label"] is None else str(doc["positive_label"])


def run(args: argparse.Namespace):
    from rai.audit.fairness.assess import FairnessConfig, assess_fairness, null_disparity_warnings
    from rai.core.io import read_table
    from rai.core.progress import say

    file, model = resolve_predictions(args.predictions)
    positive_label = args.positive_label if args.positive_label is not None else run_positive_label(args.predictions)
    df = read_table(file)
    config = FairnessConfig(sensitive=tuple(args.sensitive), label_column=args.label_column, prediction_column=args.prediction_column,
                            score_column=args.score_column, reference_groups=tuple(args.reference_group),
                            positive_label=positive_label, n_boot=args.n_boot, confidence=args.confidence,
                            min_group_size=args.min_group_size, seed=args.seed)
    result = assess_fairness(df, config, where=str(file))
    for line in null_disparity_warnings(result):
        say(f"rai audit fairness: warning: {line}")
    result.add_input(file, len(df))
    if model is not None:
        result.subject["model"] = str(model)
    return result


AUDIT = AuditCommand("fairness", "group metrics, disparities (with honest intervals) and bias AUCs of a classifier's predictions",
                     add_arguments, run)
