"""The disaggregation object: confusion counts per group, group metrics, disparities, bootstrap.

Like fairlearn's `MetricFrame` (by_group, overall, difference, ratio), but a metric is a function
of confusion counts, so everything is computed from one `np.bincount` and the bootstrap redraws
counts per group (multinomial) instead of re-indexing rows.

    frame = GroupFrame.from_predictions(y_true, y_pred, df["sex"], pos_label=1)
    frame.by_group()                    # DataFrame: groups x metrics
    frame.difference("selection_rate")  # == fairlearn demographic_parity_difference
    frame = frame.bootstrap(1000, np.random.default_rng(0))
    frame.estimate("selection_rate", 0).interval(0.95)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from rai.audit.fairness.disparities import Disparity, DisparityResult, GroupValues, Scope, compute_disparity
from rai.audit.fairness.groups import Grouping, encode_attribute, groupings_for, single_group
from rai.audit.fairness.intervals import Estimate, leaf, resample_counts, selection_level
from rai.audit.fairness.metrics import RATE_METRICS, confusion_counts, count, one_vs_rest

DEFAULT_METRICS: tuple[str, ...] = tuple(RATE_METRICS)


@dataclass(frozen=True)
class ConfusionFrame:
    """K x K confusion matrices per group (and their bootstrap replicates) for one grouping."""

    grouping: Grouping
    conf: np.ndarray  # (G, K, K) [group, label, prediction]
    replicates: np.ndarray | None = None  # (B, G, K, K)

    @classmethod
    def from_codes(cls, grouping: Grouping, y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> "ConfusionFrame":
        return cls(grouping, confusion_counts(grouping.codes, grouping.n_groups, y_true, y_pred, n_classes))

    def bootstrap(self, n_boot: int, rng: np.random.Generator) -> "ConfusionFrame":
        """Resample rows within each group (as counts); B = n_boot."""
        return replace(self, replicates=resample_counts(self.conf, n_boot, rng))

    def binary(self, positive: int, *, min_group_size: int = 1) -> "GroupFrame":
        """The one-vs-rest view for class index `positive` (the binary case is K = 2)."""
        reps = None if self.replicates is None else one_vs_rest(self.replicates, positive)
        return GroupFrame(self.grouping, one_vs_rest(self.conf, positive), reps, min_group_size)


@dataclass(frozen=True)
class GroupFrame:
    """Binary confusion cells (tn, fp, fn, tp) per group, with optional bootstrap replicates."""

    grouping: Grouping
    cells: np.ndarray  # (G, 4)
    replicates: np.ndarray | None = None  # (B, G, 4)
    min_group_size: int = 1

    @classmethod
    def from_predictions(cls, y_true: Sequence, y_pred: Sequence, sensitive: pd.Series | pd.DataFrame, *,
                         pos_label=1, min_group_size: int = 1) -> "GroupFrame":
        """Convenience constructor from label arrays (several sensitive columns: their intersection)."""
        yt = np.asarray(y_true) == pos_label
        yp = np.asarray(y_pred) == pos_label
        if isinstance(sensitive, pd.DataFrame):
            gs = groupings_for(sensitive, list(sensitive.columns))
            grouping = gs[-1] if len(gs) > 1 else gs[0]
        else:
            grouping = encode_attribute(str(sensitive.name), sensitive)
        return ConfusionFrame.from_codes(grouping, yt.astype(np.int64), yp.astype(np.int64), 2).binary(1, min_group_size=min_group_size)

    # --- groups ---------------------------------------------------------------------
    @property
    def labels(self) -> tuple[str, ...]:
        return self.grouping.labels

    @property
    def counts(self) -> np.ndarray:
        return count(self.cells)

    @property
    def eligible(self) -> np.ndarray:
        """Groups large enough to enter disparities (the rest are reported and flagged)."""
        return self.counts >= self.min_group_size

    # --- point estimates ------------------------------------------------------------
    def values(self, metric: str) -> np.ndarray:
        return RATE_METRICS[metric].fn(self.cells)

    def by_group(self, metrics: Sequence[str] = DEFAULT_METRICS) -> pd.DataFrame:
        df = pd.DataFrame({m: self.values(m) for m in metrics}, index=pd.Index(self.labels, name=self.grouping.attribute))
        df.insert(0, "count", self.counts)
        return df

    def overall(self, metrics: Sequence[str] = DEFAULT_METRICS) -> pd.Series:
        total = self.cells.sum(axis=0)
        return pd.Series({"count": int(total.sum()), **{m: float(RATE_METRICS[m].fn(total)) for m in metrics}})

    def _eligible_finite(self, metric: str) -> np.ndarray:
        v = self.values(metric)
        return v[self.eligible & np.isfinite(v)]

    def difference(self, metric: str) -> float:
        """max - min over eligible groups with a defined value (fairlearn's between_groups difference)."""
        v = self._eligible_finite(metric)
        return float(v.max() - v.min()) if len(v) >= 2 else float("nan")

    def ratio(self, metric: str) -> float:
        """min / max over eligible groups with a defined value (fairlearn's between_groups ratio)."""
        v = self._eligible_finite(metric)
        return float(v.min() / v.max()) if len(v) >= 2 and v.max() > 0 else float("nan")

    # --- bootstrap ------------------------------------------------------------------
    def bootstrap(self, n_boot: int, rng: np.random.Generator) -> "GroupFrame":
        return replace(self, replicates=resample_counts(self.cells, n_boot, rng))

    def estimate(self, metric: str, group: int) -> Estimate:
        reps = None if self.replicates is None else RATE_METRICS[metric].fn(self.replicates[:, group])
        return leaf(self.values(metric)[group], reps)

    def group_values(self, metric: str) -> GroupValues:
        fn = RATE_METRICS[metric].fn
        reps = None if self.replicates is None else fn(self.replicates)
        return GroupValues(metric, self.labels, fn(self.cells), reps, self.eligible)

    def disparity(self, d: Disparity, scope: Scope = Scope.BETWEEN_GROUPS, *, confidence: float = 0.95,
                  gamma: float | None = None, reference: int | None = None) -> DisparityResult:
        """`d` over the eligible groups; gamma defaults to selection_level(rows in eligible groups)."""
        if gamma is None:
            gamma = selection_level(int(self.counts[self.eligible].sum()))
        values = {m: self.group_values(m) for m in d.metrics}
        return compute_disparity(d, scope, values, confidence=confidence, gamma=gamma, reference=reference)


def overall_frame(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> ConfusionFrame:
    """Everyone as one group, so overall metrics and their intervals use the same code."""
    return ConfusionFrame.from_codes(single_group(len(y_true)), y_true, y_pred, n_classes)
