"""Checking and encoding a predictions table for the fairness audit (the only place that reads columns).

Error messages are module constants (tested verbatim); each becomes one `InputError` line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rai.audit.fairness.groups import Grouping, groupings_for
from rai.core.errors import InputError
from rai.core.io import check_columns

ERR_NO_SENSITIVE = "give at least one sensitive column with --sensitive (for example --sensitive sex,race)"
ERR_MISSING_VALUES = "column {column} has {count} empty value(s) (first at row {row}); every row needs a label and a prediction"
ERR_SINGLE_CLASS = "labels and predictions hold a single class ({value}); the audit needs at least two classes"
ERR_UNKNOWN_POSITIVE = "positive label {label!r} is not among the labels and predictions ({classes})"
ERR_NEED_POSITIVE = "binary labels {classes} are not 0/1 or false/true: say which one is positive with --positive-label"
ERR_SCORE_NOT_BINARY = ("score column {column} holds one probability but the labels have {k} classes ({classes}); "
                        "give per-class columns score_<label>, or --positive-label with --score-column")
ERR_SCORE_PARTIAL = "per-class score columns are missing for class(es) {missing} (found {found})"
ERR_BAD_SCORE = "score column {column} has {count} value(s) that are empty, NaN or not numbers (first at row {row})"
ERR_SINGLE_GROUP = "sensitive column {column} has a single group ({group}); disparities need at least two groups"

_DEFAULT_POSITIVE = {("0", "1"): "1", ("False", "True"): "True", ("-1", "1"): "1"}
DEFAULT_SCORE_COLUMN = "score"
SCORE_PREFIX = "score_"


@dataclass(frozen=True)
class PreparedData:
    """Integer-coded labels, predictions, scores and groups; class names kept as strings."""

    classes: tuple[str, ...]
    y_true: np.ndarray  # (n,) class index
    y_pred: np.ndarray  # (n,) class index
    views: tuple[int, ...]  # class indices audited one-vs-rest (binary: the positive class only)
    positive: int | None  # the positive class of a binary audit (or of --positive-label); None: multi-class
    scores: dict[int, np.ndarray]  # class index -> score of that class, when given
    score_columns: dict[int, str]
    sensitive: tuple[str, ...]  # the sensitive columns, without repeats
    groupings: list[Grouping]  # each sensitive column, then (with several) their intersection

    @property
    def n_rows(self) -> int:
        return len(self.y_true)


def _normalise(s: pd.Series) -> pd.Series:
    """Integral floats as integers, so 1.0 and 1 are the same class."""
    if pd.api.types.is_float_dtype(s.dtype) and bool(np.all(np.mod(s.to_numpy(), 1) == 0)):
        return s.astype(np.int64)
    return s


def _first_row(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def encode_labels(y_true: pd.Series, y_pred: pd.Series, where: str) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Class indices of labels and predictions over their joint, sorted set of values."""
    for col in (y_true, y_pred):
        missing = col.isna().to_numpy()
        if missing.any():
            raise InputError(ERR_MISSING_VALUES.format(column=col.name, count=int(missing.sum()), row=_first_row(missing)), where=where)
    a, b = _normalise(y_true), _normalise(y_pred)
    numeric = pd.api.types.is_numeric_dtype(a.dtype) and pd.api.types.is_numeric_dtype(b.dtype)
    same_kind = numeric or (pd.api.types.is_bool_dtype(a.dtype) and pd.api.types.is_bool_dtype(b.dtype))
    if not same_kind:
        a, b = a.astype(str), b.astype(str)
    both = np.concatenate([a.to_numpy(), b.to_numpy()])
    codes, uniques = pd.factorize(both, sort=True)
    n = len(a)
    return codes[:n].astype(np.int64), codes[n:].astype(np.int64), tuple(str(u) for u in uniques)


def resolve_positive(classes: tuple[str, ...], positive_label: str | None, where: str) -> int | None:
    """Index of the positive class; None for a multi-class one-vs-rest audit."""
    if len(classes) < 2:
        raise InputError(ERR_SINGLE_CLASS.format(value=classes[0] if classes else "none"), where=where)
    if positive_label is not None:
        wanted = str(positive_label)
        for i, c in enumerate(classes):
            if c == wanted or (c in ("True", "False") and c.lower() == wanted.lower()):
                return i
        raise InputError(ERR_UNKNOWN_POSITIVE.format(label=wanted, classes=", ".join(classes)), where=where)
    if len(classes) == 2:
        default = _DEFAULT_POSITIVE.get(classes)
        if default is None:
            raise InputError(ERR_NEED_POSITIVE.format(classes=", ".join(classes)), where=where)
        return classes.index(default)
    return None


def _numeric_scores(df: pd.DataFrame, column: str, where: str) -> np.ndarray:
    values = pd.to_numeric(df[column], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        raise InputError(ERR_BAD_SCORE.format(column=column, count=int(bad.sum()), row=_first_row(bad)), where=where)
    return values


def resolve_scores(df: pd.DataFrame, classes: tuple[str, ...], positive: int | None, score_column: str | None,
                   where: str) -> dict[int, str]:
    """Which column scores which class. A single score column needs a binary audit."""
    columns = set(map(str, df.columns))
    if score_column is not None:  # given explicitly: it must exist
        check_columns(list(df.columns), [score_column], where)
    single = score_column or (DEFAULT_SCORE_COLUMN if DEFAULT_SCORE_COLUMN in columns else None)
    if single is not None and positive is not None and (len(classes) == 2 or score_column is not None):
        return {positive: single}
    if single is not None:
        raise InputError(ERR_SCORE_NOT_BINARY.format(column=single, k=len(classes), classes=", ".join(classes)), where=where)
    per_class = {i: f"{SCORE_PREFIX}{c}" for i, c in enumerate(classes)}
    if positive is not None:
        return {positive: per_class[positive]} if per_class[positive] in columns else {}
    found = [col for col in per_class.values() if col in columns]
    if found and len(found) < len(per_class):
        missing = [c for i, c in enumerate(classes) if per_class[i] not in columns]
        raise InputError(ERR_SCORE_PARTIAL.format(missing=", ".join(missing), found=", ".join(found)), where=where)
    return per_class if found else {}


def prepare(df: pd.DataFrame, *, sensitive: Sequence[str], label_column: str = "label", prediction_column: str = "prediction",
            score_column: str | None = None, positive_label: str | None = None, where: str = "predictions") -> PreparedData:
    """Validate the table and encode it; every problem is a one-line InputError."""
    sensitive = list(dict.fromkeys(sensitive))
    if not sensitive:
        raise InputError(ERR_NO_SENSITIVE, where=where)
    check_columns(list(df.columns), [label_column, prediction_column, *sensitive], where)
    y_true, y_pred, classes = encode_labels(df[label_column], df[prediction_column], where)
    positive = resolve_positive(classes, positive_label, where)
    score_columns = resolve_scores(df, classes, positive, score_column, where)
    scores = {k: _numeric_scores(df, col, where) for k, col in score_columns.items()}
    groupings = groupings_for(df, sensitive)
    for g in groupings[:len(sensitive)]:
        if g.n_groups < 2:
            raise InputError(ERR_SINGLE_GROUP.format(column=g.attribute, group=g.labels[0]), where=where)
    views = (positive,) if positive is not None else tuple(range(len(classes)))
    return PreparedData(classes, y_true, y_pred, views, positive, scores, score_columns, tuple(sensitive), groupings)
