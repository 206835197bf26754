"""Identity-subgroup bias AUCs of a scored classifier (Borkan et al. 2019, "Nuanced metrics ...").

For each group g of an attribute (an "identity"):
  subgroup AUC  - AUC on the rows of g only;
  BPSN AUC      - background positives vs subgroup negatives (low: g's negatives score high);
  BNSP AUC      - subgroup positives vs background negatives (low: g's positives score low);
and the generalized power mean M_p = (mean x^p)^(1/p), p = -5, which leans on the worst value.
AUC is the Mann-Whitney probability that a positive outranks a negative, ties counting 1/2,
which is exactly sklearn's `roc_auc_score`.

Point estimates use exact scores (sorted arrays, O(n log n)). The bootstrap redraws
(group, score level, label) counts per group; when there are more than `MAX_BOOT_LEVELS`
distinct scores the *bootstrap only* uses equal-frequency score bins, so its cost is
O(B x groups x levels) and independent of the number of rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rai.audit.fairness.intervals import Estimate, extremum_interval, resample_counts, safe_divide, smooth

POWER = -5.0
MAX_BOOT_LEVELS = 500
FAMILIES = ("subgroup", "bpsn", "bnsp")


@dataclass(frozen=True)
class BiasAucs:
    """AUCs per group (the last axis) for each family, and the overall AUC."""

    subgroup: np.ndarray
    bpsn: np.ndarray
    bnsp: np.ndarray
    overall: np.ndarray

    def family(self, name: str) -> np.ndarray:
        return {"subgroup": self.subgroup, "bpsn": self.bpsn, "bnsp": self.bnsp}[name]


def power_mean(x: np.ndarray, p: float = POWER, axis: int = -1) -> np.ndarray:
    """Generalized mean (mean x^p)^(1/p); 0 if any x is 0 (p < 0)."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(divide="ignore"):
        m = np.mean(np.power(x, p), axis=axis)
        return np.where(np.isinf(m), 0.0, np.power(m, 1.0 / p))


def _below_plus_half_ties(sorted_ref: np.ndarray, x: np.ndarray) -> np.ndarray:
    """For each x: #ref < x + 0.5 #ref == x (sorted_ref ascending)."""
    left = np.searchsorted(sorted_ref, x, side="left")
    right = np.searchsorted(sorted_ref, x, side="right")
    return left + 0.5 * (right - left)


def exact_bias_aucs(scores: np.ndarray, positive: np.ndarray, codes: np.ndarray, n_groups: int) -> BiasAucs:
    """Subgroup, BPSN and BNSP AUC per group from exact scores (undefined: NaN)."""
    scores = np.asarray(scores, dtype=np.float64)
    pos_all = np.sort(scores[positive])
    neg_all = np.sort(scores[~positive])
    sub, bpsn, bnsp = (np.full(n_groups, np.nan) for _ in range(3))
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(n_groups + 1))
    for g in range(n_groups):
        rows = order[bounds[g]:bounds[g + 1]]
        s, y = scores[rows], positive[rows]
        gp, gn = np.sort(s[y]), np.sort(s[~y])
        # wins of positives over negatives: sum over positives of (#neg below + ties / 2)
        if len(gp) and len(gn):
            sub[g] = _below_plus_half_ties(gn, gp).sum() / (len(gp) * len(gn))
        n_bg_pos = len(pos_all) - len(gp)
        if len(gn) and n_bg_pos:
            # background positives above each subgroup negative (ties 1/2) = all positives' - the group's
            wins = (len(pos_all) - _below_plus_half_ties(pos_all, gn)) - (len(gp) - _below_plus_half_ties(gp, gn))
            bpsn[g] = wins.sum() / (n_bg_pos * len(gn))
        n_bg_neg = len(neg_all) - len(gn)
        if len(gp) and n_bg_neg:
            wins = _below_plus_half_ties(neg_all, gp) - _below_plus_half_ties(gn, gp)
            bnsp[g] = wins.sum() / (n_bg_neg * len(gp))
    overall = np.float64(_below_plus_half_ties(neg_all, pos_all).sum() / (len(pos_all) * len(neg_all))) \
        if len(pos_all) and len(neg_all) else np.float64(np.nan)
    return BiasAucs(sub, bpsn, bnsp, overall)


def auc_from_levels(pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
    """AUC from counts of positives and negatives per ascending score level (last axis)."""
    pos = pos.astype(np.float64)
    neg = neg.astype(np.float64)
    neg_below = np.cumsum(neg, axis=-1) - neg
    wins = np.sum(pos * (neg_below + 0.5 * neg), axis=-1)
    return safe_divide(wins, pos.sum(axis=-1) * neg.sum(axis=-1))


def level_bias_aucs(counts: np.ndarray) -> BiasAucs:
    """Bias AUCs from level counts (..., G, L, 2) [group, level, label: 0 negative, 1 positive]."""
    neg, pos = counts[..., 0], counts[..., 1]
    tot_neg, tot_pos = neg.sum(axis=-2, keepdims=True), pos.sum(axis=-2, keepdims=True)
    return BiasAucs(subgroup=auc_from_levels(pos, neg), bpsn=auc_from_levels(tot_pos - pos, neg),
                    bnsp=auc_from_levels(pos, tot_neg - neg), overall=auc_from_levels(tot_pos[..., 0, :], tot_neg[..., 0, :]))


def score_levels(scores: np.ndarray, max_levels: int = MAX_BOOT_LEVELS) -> tuple[np.ndarray, int]:
    """Ordered level index per row: the distinct scores, or at most `max_levels` equal-frequency bins."""
    uniq, inverse = np.unique(scores, return_inverse=True)
    if len(uniq) <= max_levels:
        return inverse.astype(np.int64), len(uniq)
    per_level = np.bincount(inverse, minlength=len(uniq))
    rank_end = np.cumsum(per_level)  # rows at or below each level
    bin_of_level = np.minimum((rank_end - 1) * max_levels // len(scores), max_levels - 1)
    _, dense = np.unique(bin_of_level, return_inverse=True)
    return dense[inverse].astype(np.int64), int(dense.max()) + 1


def level_counts(levels: np.ndarray, n_levels: int, positive: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """(G, L, 2) counts of rows per group, score level and label, by one bincount."""
    key = (codes.astype(np.int64) * n_levels + levels) * 2 + positive.astype(np.int64)
    return np.bincount(key, minlength=n_groups * n_levels * 2).reshape(n_groups, n_levels, 2)


def bootstrap_bias_aucs(counts: np.ndarray, n_boot: int, rng: np.random.Generator, *, chunk: int = 4_000_000) -> BiasAucs:
    """Bias AUCs of B within-group bootstrap resamples of level counts; arrays get a leading (B,) axis."""
    per_rep = counts.size
    step = max(1, chunk // max(per_rep, 1))
    parts = []
    for start in range(0, n_boot, step):
        b = min(step, n_boot - start)
        parts.append(level_bias_aucs(resample_counts(counts, b, rng)))
    return BiasAucs(*(np.concatenate([getattr(p, f) for p in parts], axis=0) for f in ("subgroup", "bpsn", "bnsp", "overall")))


@dataclass(frozen=True)
class BiasAucMinimum:
    """The lowest AUC of one family over the comparable groups, with its interval."""

    value: float | None
    ci: tuple[float, float] | None
    worst_group: str | None
    why_null: str | None = None


@dataclass(frozen=True)
class BiasAucReport:
    """Everything the audit reports about the bias AUCs of one attribute (one class)."""

    labels: tuple[str, ...]
    per_group: dict[str, list[Estimate]]  # family -> one estimate per group
    overall: Estimate
    minima: dict[str, BiasAucMinimum]  # family -> minimum over comparable groups
    generalized_mean: Estimate | None  # power mean of all comparable groups' AUCs, pooled
    family_means: dict[str, float]

    @property
    def jigsaw_final_metric(self) -> float | None:
        """0.25 overall AUC + 0.25 x the sum of the family power means (the Jigsaw competition's score)."""
        if len(self.family_means) < len(FAMILIES):
            return None
        return 0.25 * self.overall.value + 0.25 * sum(self.family_means.values())


def bias_auc_report(scores: np.ndarray, positive: np.ndarray, codes: np.ndarray, labels: tuple[str, ...], eligible: np.ndarray, *,
                    n_boot: int, rng: np.random.Generator, confidence: float, gamma: float) -> BiasAucReport:
    """Bias AUCs per group with bootstrap deltas, their minima (extremum intervals) and power mean.

    Groups outside `eligible` (too small) are reported but left out of the minima and the mean.
    """
    n_groups = len(labels)
    exact = exact_bias_aucs(scores, positive, codes, n_groups)
    deltas: dict[str, np.ndarray | None] = {f: None for f in (*FAMILIES, "overall")}
    if n_boot:
        levels, n_levels = score_levels(scores)
        counts = level_counts(levels, n_levels, positive, codes, n_groups)
        centre = level_bias_aucs(counts)  # the bootstrap's own centre (binned scores when there are many)
        reps = bootstrap_bias_aucs(counts, n_boot, rng)
        deltas = {f: reps.family(f) - centre.family(f) for f in FAMILIES}
        deltas["overall"] = reps.overall - centre.overall
    per_group = {f: [Estimate(float(exact.family(f)[g]), None if deltas[f] is None else deltas[f][:, g]) for g in range(n_groups)]
                 for f in FAMILIES}
    minima: dict[str, BiasAucMinimum] = {}
    pooled: list[Estimate] = []
    family_means: dict[str, float] = {}
    for f in FAMILIES:
        idx = [g for g in range(n_groups) if eligible[g] and np.isfinite(per_group[f][g].value)]
        if not idx:
            minima[f] = BiasAucMinimum(None, None, None, "no group with enough rows has both classes")
            continue
        ests = [per_group[f][g] for g in idx]
        values = np.array([e.value for e in ests])
        stacked = None if deltas[f] is None else np.stack([e.delta for e in ests], axis=1)
        ci = extremum_interval(values, stacked, largest=False, confidence=confidence, gamma=gamma)
        minima[f] = BiasAucMinimum(float(values.min()), ci, labels[idx[int(np.argmin(values))]])
        family_means[f] = float(power_mean(values))
        pooled += ests
    mean = smooth(lambda *xs: power_mean(np.stack(np.broadcast_arrays(*xs), axis=-1)), *pooled) if pooled else None
    return BiasAucReport(labels, per_group, Estimate(float(exact.overall), deltas["overall"]), minima, mean, family_means)
