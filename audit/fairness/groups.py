"""Sensitive attributes as integer group codes: each attribute alone and their intersection.

Missing values are never dropped: they form an explicit group named `MISSING`. Group
labels are strings (the report shows them; the gate reads them from `details`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

MISSING = "(missing)"
INTERSECTION_SEP = "&"


@dataclass(frozen=True)
class Grouping:
    """One way of splitting the rows into disjoint groups (an attribute or an intersection)."""

    attribute: str
    labels: tuple[str, ...]
    codes: np.ndarray  # int64, one code per row, 0 <= code < len(labels)
    missing: tuple[bool, ...]  # group holds rows with a missing value of (one of) the attribute(s)

    @property
    def n_groups(self) -> int:
        return len(self.labels)

    def sizes(self) -> np.ndarray:
        return np.bincount(self.codes, minlength=self.n_groups)

    def index(self, label: str) -> int | None:
        try:
            return self.labels.index(label)
        except ValueError:
            return None


def value_labels(values: pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(codes, labels) of a column; sorted labels; missing values get code -1.

    Integral floats (an int column that pandas read as float because of blanks) print as ints.
    """
    s = pd.Series(values, copy=False)
    if pd.api.types.is_float_dtype(s.dtype):
        finite = s.dropna()
        if len(finite) and bool(np.all(np.mod(finite.to_numpy(), 1) == 0)):
            s = s.astype("Int64")
    codes, uniques = pd.factorize(s, sort=True, use_na_sentinel=True)
    return codes.astype(np.int64), np.asarray([str(u) for u in uniques], dtype=object)


def encode_attribute(name: str, values: pd.Series | np.ndarray) -> Grouping:
    """Groups of one column; missing values become the group `MISSING` (last)."""
    codes, labels = value_labels(values)
    missing_rows = codes < 0
    label_list = [str(v) for v in labels]
    missing = [False] * len(label_list)
    if missing_rows.any():
        name_for_missing = MISSING if MISSING not in label_list else f"{MISSING} "
        codes = np.where(missing_rows, len(label_list), codes)
        label_list.append(name_for_missing)
        missing.append(True)
    return Grouping(name, tuple(label_list), codes, tuple(missing))


def intersect(groupings: Sequence[Grouping]) -> Grouping:
    """The intersection of several groupings; only combinations that occur become groups.

    O(rows): a mixed-radix code, then a lookup table over the combinations present.
    """
    radix = [g.n_groups for g in groupings]
    code = np.zeros(len(groupings[0].codes), dtype=np.int64)
    for g in groupings:
        code = code * g.n_groups + g.codes
    present = np.flatnonzero(np.bincount(code, minlength=int(np.prod(radix))))
    lut = np.full(int(np.prod(radix)), -1, dtype=np.int64)
    lut[present] = np.arange(len(present))
    parts = np.unravel_index(present, radix)
    labels = tuple(INTERSECTION_SEP.join(g.labels[i] for g, i in zip(groupings, idx)) for idx in zip(*parts))
    missing = tuple(any(g.missing[i] for g, i in zip(groupings, idx)) for idx in zip(*parts))
    name = INTERSECTION_SEP.join(g.attribute for g in groupings)
    return Grouping(name, labels, lut[code], missing)


def groupings_for(frame: pd.DataFrame, sensitive: Sequence[str]) -> list[Grouping]:
    """Each sensitive column alone, then (with two or more) their intersection."""
    singles = [encode_attribute(c, frame[c]) for c in sensitive]
    return singles + ([intersect(singles)] if len(singles) > 1 else [])


def single_group(n_rows: int, label: str = "all") -> Grouping:
    """Every row in one group: the 'overall' view uses the same machinery as the groups."""
    return Grouping("overall", (label,), np.zeros(n_rows, dtype=np.int64), (False,))
