"""The label mapping: original label values (strings, integers, booleans) to class indices.

Classes are ordered by sorted value (numbers numerically, strings lexicographically). For a
binary task the *positive* class (the one `score` in predictions.csv is the probability of) is
the last in that order, 1 over 0, True over False, ">50K" over "<=50K", "pos" over "neg",
unless `--positive-label` names the other one; the positive class always gets index 1.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rai.core.errors import InputError

ERR_SINGLE_CLASS = "needs at least two classes, found only {label!r}"
ERR_POSITIVE_NOT_A_LABEL = "{value!r} is not one of the labels ({labels})"
ERR_POSITIVE_MULTICLASS = "only applies to binary labels; these have {n} classes"
ERR_UNSEEN_LABELS = "label(s) {labels} do not occur in the training data"


def plain_label(value: Any) -> Any:
    """A label as a plain JSON-able Python value (numpy scalars unwrapped, 1.0 → 1)."""
    if hasattr(value, "item") and getattr(value, "shape", None) == ():
        value = value.item()
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return value


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    return "number" if isinstance(value, (int, float)) else "text"


def _sort_key(value: Any) -> tuple:
    return (0, value) if isinstance(value, (bool, int, float)) else (1, str(value))


@dataclass(frozen=True)
class LabelMap:
    """Class index ↔ original label value."""

    labels: tuple[Any, ...]

    @classmethod
    def from_values(cls, values: Iterable[Any], *, positive_label: str | None = None, where: str = "--data") -> "LabelMap":
        distinct = {plain_label(v) for v in values}
        if len({_kind(v) for v in distinct}) > 1:
            distinct = {str(v) for v in distinct}  # mixed kinds ("1" and 1): compare as text
        ordered = sorted(distinct, key=_sort_key)
        if len(ordered) < 2:
            raise InputError(ERR_SINGLE_CLASS.format(label=ordered[0] if ordered else None), where=where)
        if positive_label is not None:
            if len(ordered) != 2:
                raise InputError(ERR_POSITIVE_MULTICLASS.format(n=len(ordered)), where="--positive-label")
            match = [v for v in ordered if str(v) == str(positive_label)]
            if not match:
                raise InputError(ERR_POSITIVE_NOT_A_LABEL.format(value=positive_label, labels=", ".join(map(repr, ordered))),
                                 where="--positive-label")
            ordered = [v for v in ordered if v is not match[0]] + match
        return cls(tuple(ordered))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "LabelMap":
        """Read back `to_json` (labels.json of a run directory)."""
        return cls(tuple(data["labels"]))

    @property
    def binary(self) -> bool:
        return len(self.labels) == 2

    @property
    def positive(self) -> Any | None:
        return self.labels[1] if self.binary else None

    def __len__(self) -> int:
        return len(self.labels)

    def encode(self, values: Sequence[Any], *, where: str) -> np.ndarray:
        """Class indices of `values`; labels the map does not know are an input error."""
        as_text = all(isinstance(v, str) for v in self.labels)
        lookup = {(str(v) if as_text else v): i for i, v in enumerate(self.labels)}
        keys = [str(plain_label(v)) if as_text else plain_label(v) for v in values]
        unseen = sorted({k for k in keys if k not in lookup}, key=_sort_key)
        if unseen:
            raise InputError(ERR_UNSEEN_LABELS.format(labels=", ".join(map(repr, unseen[:5]))), where=where)
        return np.asarray([lookup[k] for k in keys], dtype=np.int64)

    def decode(self, indices: Iterable[int]) -> list[Any]:
        return [self.labels[int(i)] for i in indices]

    def score_columns(self) -> list[str]:
        """predictions.csv score columns: `score` (P(positive)) when binary, else `score_<label>` per class."""
        return ["score"] if self.binary else [f"score_{v}" for v in self.labels]

    def to_json(self) -> dict[str, Any]:
        return {
            "labels": list(self.labels),
            "id2label": {str(i): v for i, v in enumerate(self.labels)},
            "task": "binary" if self.binary else "multiclass",
            "positive_label": self.positive,
            "score_columns": self.score_columns(),
        }
