"""Disparities between groups (max - min, min / max, as fairlearn) and against a reference group (as Aequitas).

Each disparity is a registry entry: which group metrics it compares and how. Groups that are
too small or whose metric is undefined are left out (the caller says which and why); with
fewer than two groups left a disparity is undefined, never 0. Every disparity is written as an
extremum of smooth components (pairs of groups) so that `extremum_interval` can bound it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import numpy as np

from rai.audit.fairness.intervals import extremum_interval, safe_divide
from rai.audit.fairness.metrics import RATE_METRICS


class Kind(str, Enum):
    DIFFERENCE = "difference"  # largest gap; 0 is parity
    RATIO = "ratio"  # smallest ratio; 1 is parity


class Scope(str, Enum):
    BETWEEN_GROUPS = "between_groups"
    VS_REFERENCE = "vs_reference"


@dataclass(frozen=True)
class Disparity:
    name: str
    metrics: tuple[str, ...]  # several metrics: the worst of them (fairlearn's agg="worst_case")
    kind: Kind

    def metric_id(self, scope: Scope) -> str:
        return f"fairness.{self.name}" + ("" if scope is Scope.BETWEEN_GROUPS else "_vs_reference")


TPR, FPR = "true_positive_rate", "false_positive_rate"
DISPARITIES: tuple[Disparity, ...] = (
    Disparity("demographic_parity_difference", ("selection_rate",), Kind.DIFFERENCE),
    Disparity("demographic_parity_ratio", ("selection_rate",), Kind.RATIO),
    Disparity("equalized_odds_difference", (TPR, FPR), Kind.DIFFERENCE),
    Disparity("equalized_odds_ratio", (TPR, FPR), Kind.RATIO),
    Disparity("equal_opportunity_difference", (TPR,), Kind.DIFFERENCE),
    Disparity("equal_opportunity_ratio", (TPR,), Kind.RATIO),
)


@dataclass(frozen=True)
class GroupValues:
    """One metric for every group of one attribute (and its bootstrap replicates)."""

    metric: str
    labels: tuple[str, ...]
    values: np.ndarray  # (G,)
    replicates: np.ndarray | None  # (B, G)
    eligible: np.ndarray  # (G,) bool: large enough to be compared

    def usable(self) -> np.ndarray:
        return np.flatnonzero(self.eligible & np.isfinite(self.values))

    def deltas(self) -> np.ndarray | None:
        return None if self.replicates is None else self.replicates - self.values


@dataclass(frozen=True)
class DisparityResult:
    disparity: Disparity
    scope: Scope
    value: float | None  # None: undefined, see why_null
    ci: tuple[float, float] | None = None
    details: dict[str, Any] = field(default_factory=dict)
    why_null: str | None = None

    @property
    def metric_id(self) -> str:
        return self.disparity.metric_id(self.scope)


@dataclass(frozen=True)
class _Components:
    values: np.ndarray  # (J,)
    deltas: np.ndarray | None  # (B, J)

    @staticmethod
    def concat(parts: list["_Components"]) -> "_Components":
        deltas = None if any(p.deltas is None for p in parts) else np.concatenate([p.deltas for p in parts], axis=1)
        return _Components(np.concatenate([p.values for p in parts]), deltas)


def _pairs(kind: Kind, v_num: np.ndarray, v_den: np.ndarray, d_num: np.ndarray | None, d_den: np.ndarray | None, *,
           log: bool = False) -> _Components:
    """Components num_i - den_i or num_i / den_i (log(num_i / den_i) with `log`) for aligned arrays.

    Ratios are bounded on the log scale, where a ratio of two rates is close to symmetric; on the
    linear scale its bootstrap is skewed and a t-type bound undercovers (docs/fairness.md).
    """
    if kind is Kind.DIFFERENCE:
        return _Components(v_num - v_den, None if d_num is None else d_num - d_den)
    ok = (v_den > 0) & (v_num > 0) if log else v_den > 0
    v_num, v_den = v_num[ok], v_den[ok]
    if log:
        values = np.log(v_num) - np.log(v_den)
        if d_num is None:
            return _Components(values, None)
        with np.errstate(divide="ignore", invalid="ignore"):
            deltas = np.log(v_num + d_num[:, ok]) - np.log(v_den + d_den[:, ok]) - values
        return _Components(values, np.where(np.isfinite(deltas), deltas, np.nan))
    values = v_num / v_den
    return _Components(values, None if d_num is None else safe_divide(v_num + d_num[:, ok], v_den + d_den[:, ok]) - values)


def _worse(metric: str, a: int, b: int, values: np.ndarray) -> int:
    """The less favourable of two groups for `metric` (e.g. the lower selection rate)."""
    higher_is_better = RATE_METRICS[metric].favourable == "higher"
    return a if (values[a] < values[b]) == higher_is_better else b


def _between(d: Disparity, gv: GroupValues) -> tuple[float | None, _Components | None, dict[str, Any], str | None]:
    idx = gv.usable()
    if len(idx) < 2:
        return None, None, {}, f"{gv.metric}: fewer than two groups with enough rows and a defined value"
    v = gv.values[idx]
    g_hi, g_lo = idx[int(np.argmax(v))], idx[len(v) - 1 - int(np.argmin(v[::-1]))]
    hi, lo = gv.values[g_hi], gv.values[g_lo]
    if d.kind is Kind.RATIO and hi <= 0:
        return None, None, {}, f"{gv.metric}: the largest group value is 0, so the ratio is undefined"
    value = float(hi - lo) if d.kind is Kind.DIFFERENCE else float(lo / hi)
    i, j = np.where(~np.eye(len(idx), dtype=bool))
    dl = gv.deltas()
    dl = None if dl is None else dl[:, idx]
    log = d.kind is Kind.RATIO and lo > 0
    comps = _pairs(d.kind, v[i], v[j], None if dl is None else dl[:, i], None if dl is None else dl[:, j], log=log)
    details = {"worst_group": gv.labels[_worse(gv.metric, g_hi, g_lo, gv.values)], "metric": gv.metric,
               "highest_group": gv.labels[g_hi], "highest_value": float(hi), "lowest_group": gv.labels[g_lo],
               "lowest_value": float(lo), "groups_compared": int(len(idx))}
    return value, (comps, log), details, None


def _vs_reference(d: Disparity, gv: GroupValues, ref: int) -> tuple[float | None, _Components | None, dict[str, Any], str | None]:
    r = gv.values[ref]
    if not np.isfinite(r):
        return None, None, {}, f"{gv.metric} is undefined for the reference group {gv.labels[ref]}"
    others = np.array([g for g in gv.usable() if g != ref], dtype=np.int64)
    if len(others) == 0:
        return None, None, {}, f"{gv.metric}: no other group with enough rows and a defined value to compare with the reference"
    v = gv.values[others]
    dl = gv.deltas()
    d_o = None if dl is None else dl[:, others]
    d_r = None if dl is None else np.repeat(dl[:, [ref]], len(others), axis=1)
    v_r = np.full(len(others), r)
    if d.kind is Kind.DIFFERENCE:
        log = False
        comps = _Components.concat([_pairs(d.kind, v, v_r, d_o, d_r), _pairs(d.kind, v_r, v, d_r, d_o)])
        scores = np.abs(v - r)
        worst = int(others[int(np.argmax(scores))])
        value = float(scores.max())
        extra = {"signed_difference": float(gv.values[worst] - r)}
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            sym = np.where((v > 0) & (r > 0), np.minimum(v / r, r / v), np.where((v == 0) & (r == 0), np.nan, 0.0))
        if np.isnan(sym).all():
            return None, None, {}, f"{gv.metric} is 0 for the reference group and every compared group"
        worst = int(others[int(np.nanargmin(sym))])
        value = float(np.nanmin(sym))
        log = value > 0
        comps = _Components.concat([_pairs(d.kind, v, v_r, d_o, d_r, log=log), _pairs(d.kind, v_r, v, d_r, d_o, log=log)])
        extra = {"disparity": float(gv.values[worst] / r) if r > 0 else None}
    details = {"worst_group": gv.labels[worst], "reference_group": gv.labels[ref], "metric": gv.metric,
               "worst_value": float(gv.values[worst]), "reference_value": float(r), **extra,
               "groups_compared": int(len(others) + 1)}
    return value, (comps, log), details, None


def compute_disparity(d: Disparity, scope: Scope, values: Mapping[str, GroupValues], *, confidence: float,
                      gamma: float, reference: int | None = None) -> DisparityResult:
    """One disparity of one attribute: the worst over its metrics, with the extremum interval."""
    results = []
    for metric in d.metrics:
        gv = values[metric]
        if scope is Scope.BETWEEN_GROUPS:
            res = _between(d, gv)
        elif reference is None:
            raise ValueError("a reference-group disparity needs the reference group")
        else:
            res = _vs_reference(d, gv, reference)
        if res[0] is None:
            return DisparityResult(d, scope, None, None, {"metric": metric}, res[3])
        results.append(res)
    largest = d.kind is Kind.DIFFERENCE
    pick = int(np.argmax([r[0] for r in results]) if largest else np.argmin([r[0] for r in results]))
    value, _, details, _ = results[pick]
    if len(results) > 1:
        details = {**details, "by_metric": {m: r[0] for m, r in zip(d.metrics, results)}}
    ci = _interval([r[1] for r in results], largest=largest, confidence=confidence, gamma=gamma)
    return DisparityResult(d, scope, value, ci, details)


def _interval(parts: list[tuple[_Components, bool]], *, largest: bool, confidence: float, gamma: float) -> tuple[float, float] | None:
    """The extremum interval over all components; ratios (always a min, <= 1) on the log scale unless one is 0."""
    if all(log for _, log in parts):
        comps = _Components.concat([c for c, _ in parts])
        ci = extremum_interval(comps.values, comps.deltas, largest=largest, confidence=confidence, gamma=gamma,
                               bounds=(-np.inf, 0.0))
        return None if ci is None else (float(np.exp(ci[0])), float(np.exp(ci[1])))
    comps = _Components.concat([c for c, _ in parts])
    return extremum_interval(comps.values, comps.deltas, largest=largest, confidence=confidence, gamma=gamma)
