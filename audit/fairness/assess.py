"""The fairness audit: a predictions table in, an `AuditResult` (section "fairness" + metric records) out.

Pure composition of the pieces in this package; file reading is the CLI's job. The Python API
returns exactly what `rai audit fairness` writes.

    from rai.audit.fairness import FairnessConfig, assess_fairness
    result = assess_fairness(df, FairnessConfig(sensitive=("sex", "race")))
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from rai.audit.fairness.bias_auc import FAMILIES, POWER, bias_auc_report
from rai.audit.fairness.disparities import DISPARITIES, DisparityResult, Scope
from rai.audit.fairness.frame import ConfusionFrame, GroupFrame, overall_frame
from rai.audit.fairness.groups import Grouping
from rai.audit.fairness.inputs import PreparedData, prepare
from rai.audit.fairness.intervals import Estimate, safe_divide, selection_level, smooth
from rai.audit.fairness.metrics import RATE_METRICS
from rai.audit.result import AuditResult
from rai.core.errors import InputError
from rai.core.progress import progress

SECTION = "fairness"
INTERVAL_METHOD = ("group metrics: percentile bootstrap within groups; disparities and minimum AUCs: "
                   "extremum bounds (pointwise upper, selected simultaneous max-t lower; ratios on the log scale)")
ERR_REFERENCE_FORMAT = "reference group must look like attribute=value, got {value!r}"
ERR_REFERENCE_ATTRIBUTE = "reference group names {attribute!r}, which is not an audited attribute ({attributes})"
ERR_REFERENCE_GROUP = "reference group {value!r} does not occur in {attribute} (groups: {groups})"
ERR_REFERENCE_SMALL = "reference group {attribute}={value} has {n} rows, fewer than --min-group-size {min_size}"
DISPARITY_METRICS: tuple[str, ...] = tuple(dict.fromkeys(m for d in DISPARITIES for m in d.metrics))
WARN_NULL_DISPARITIES = "{attribute}: {count} of {total} disparities written as null ({ids}): {why}"
_NULL_MARK = " disparities written as null ("
SUMMARY_IDS = {"subgroup": "fairness.min_subgroup_auc", "bpsn": "fairness.min_bpsn_auc", "bnsp": "fairness.min_bnsp_auc"}


@dataclass(frozen=True)
class FairnessConfig:
    sensitive: tuple[str, ...]
    label_column: str = "label"
    prediction_column: str = "prediction"
    score_column: str | None = None  # None: "score" (or score_<label>) when present
    reference_groups: tuple[str, ...] = ()  # "attribute=value"; default: the largest group
    positive_label: str | None = None
    n_boot: int = 1000
    confidence: float = 0.95
    min_group_size: int = 30
    seed: int = 0


def parse_reference_groups(items: tuple[str, ...], attributes: list[str], where: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        attribute, sep, value = item.partition("=")
        if not sep or not attribute.strip() or not value.strip():
            raise InputError(ERR_REFERENCE_FORMAT.format(value=item), where=where)
        if attribute.strip() not in attributes:
            raise InputError(ERR_REFERENCE_ATTRIBUTE.format(attribute=attribute.strip(), attributes=", ".join(attributes)), where=where)
        out[attribute.strip()] = value.strip()
    return out


def _reference(grouping: Grouping, sizes: np.ndarray, eligible: np.ndarray, given: str | None, min_size: int,
               where: str) -> tuple[int | None, str]:
    if given is None:
        if not eligible.any():
            return None, "largest"
        return int(np.argmax(np.where(eligible, sizes, -1))), "largest"
    idx = grouping.index(given)
    if idx is None:
        raise InputError(ERR_REFERENCE_GROUP.format(value=given, attribute=grouping.attribute, groups=", ".join(grouping.labels)), where=where)
    if not eligible[idx]:
        raise InputError(ERR_REFERENCE_SMALL.format(attribute=grouping.attribute, value=given, n=int(sizes[idx]), min_size=min_size), where=where)
    return idx, "given"


def _stat(est: Estimate, confidence: float, undefined_when: str = "a denominator is 0") -> dict[str, Any]:
    return est.stat(confidence, undefined_when).to_dict()


class _Auditor:
    """Builds the section and the metric records of one audit; holds the shared settings."""

    def __init__(self, data: PreparedData, config: FairnessConfig, result: AuditResult) -> None:
        self.data, self.config, self.result = data, config, result
        self.multiclass = data.positive is None
        seeds = np.random.SeedSequence(config.seed).spawn(1 + 2 * len(data.groupings))
        self.rngs = [np.random.default_rng(s) for s in seeds]

    def warn(self, text: str) -> None:
        if f"{SECTION}: {text}" not in self.result.warnings:
            self.result.warnings.append(f"{SECTION}: {text}")

    def _details(self, k: int, attribute: str, **extra: Any) -> dict[str, Any]:
        d = {"attribute": attribute}
        if self.multiclass:
            d["class"] = self.data.classes[k]
        return {**d, **extra}

    # --- group metrics --------------------------------------------------------------
    def metric_stats(self, frame: GroupFrame, g: int) -> dict[str, Any]:
        return {m: _stat(frame.estimate(m, g), self.config.confidence, RATE_METRICS[m].undefined_when) for m in RATE_METRICS}

    def _vs_reference(self, frame: GroupFrame, g: int, ref: int) -> dict[str, Any]:
        out = {}
        for m in DISPARITY_METRICS:
            e, r = frame.estimate(m, g), frame.estimate(m, ref)
            out[m] = {"difference": _stat(smooth(np.subtract, e, r), self.config.confidence),
                      "ratio": _stat(smooth(safe_divide, e, r), self.config.confidence)}
        return out

    def _warn_undefined(self, frame: GroupFrame, k: int) -> None:
        suffix = f" (class {self.data.classes[k]})" if self.multiclass else ""
        for m in DISPARITY_METRICS:
            bad = [frame.labels[g] for g in np.flatnonzero(frame.eligible & ~np.isfinite(frame.values(m)))]
            if bad:
                self.warn(f"{frame.grouping.attribute}{suffix}: {m} is undefined for {', '.join(bad)} "
                          f"({RATE_METRICS[m].undefined_when}); left out of the disparities that use it")
            v = frame.values(m)
            edge = [frame.labels[g] for g in np.flatnonzero(frame.eligible & ((v == 0) | (v == 1)))]
            if edge and self.config.n_boot:
                self.warn(f"{frame.grouping.attribute}{suffix}: {m} is exactly 0 or 1 for {', '.join(edge)}; resampling cannot "
                          "vary it, so intervals that involve it understate the uncertainty (0 events in n rows allow a rate up to about 3/n)")

    # --- disparities ----------------------------------------------------------------
    def _record_disparity(self, res: DisparityResult, k: int, attribute: str, n: int) -> dict[str, Any]:
        details = self._details(k, attribute, **res.details)
        if res.value is not None and res.ci is None and self.config.n_boot:
            self.warn(f"{res.metric_id} ({attribute}): no interval, the statistic is undefined in too many bootstrap resamples")
        self.result.add_metric(res.metric_id, res.value, section=SECTION, ci=res.ci, n=n, details=details, why_null=res.why_null)
        return {"id": res.metric_id, "scope": res.scope.value, "value": res.value, "ci": res.ci, "details": res.details,
                "why_null": res.why_null}

    def _warn_null(self, disparities: list[dict[str, Any]], k: int, attribute: str) -> None:
        """One line per attribute (and class) naming the disparities that are null and why: visible before the gate."""
        null = [d for d in disparities if d["value"] is None]
        if null:
            where = f"{attribute} (class {self.data.classes[k]})" if self.multiclass else attribute
            ids = "all" if len(null) == len(disparities) else ", ".join(d["id"] for d in null)
            why = "; ".join(dict.fromkeys(str(d["why_null"]) for d in null))
            self.warn(WARN_NULL_DISPARITIES.format(attribute=where, count=len(null), total=len(disparities), ids=ids, why=why))

    # --- bias AUCs ------------------------------------------------------------------
    def _bias_auc(self, grouping: Grouping, k: int, eligible: np.ndarray, rng: np.random.Generator, n: int) -> dict[str, Any]:
        cfg = self.config
        rep = bias_auc_report(self.data.scores[k], self.data.y_true == k, grouping.codes, grouping.labels, eligible,
                              n_boot=cfg.n_boot, rng=rng, confidence=cfg.confidence, gamma=selection_level(n))
        block: dict[str, Any] = {
            "overall_auc": _stat(rep.overall, cfg.confidence, "a single class"),
            "per_group": {label: {f: _stat(rep.per_group[f][g], cfg.confidence, "one of the compared sets is empty") for f in FAMILIES}
                          for g, label in enumerate(grouping.labels)}}
        for f, low in rep.minima.items():
            extra = {} if low.worst_group is None else {"worst_group": low.worst_group}
            self.result.add_metric(SUMMARY_IDS[f], low.value, section=SECTION, ci=low.ci, n=n,
                                   details=self._details(k, grouping.attribute, **extra), why_null=low.why_null)
            block[SUMMARY_IDS[f]] = {"value": low.value, "ci": low.ci, **extra, "why_null": low.why_null}
        if rep.generalized_mean is not None:
            ci = rep.generalized_mean.interval(cfg.confidence)
            details = self._details(k, grouping.attribute, power=POWER, family_means=rep.family_means,
                                    overall_auc=rep.overall.value, jigsaw_final_metric=rep.jigsaw_final_metric)
            self.result.add_metric("fairness.generalized_mean_bias_auc", rep.generalized_mean.value, section=SECTION, ci=ci, n=n,
                                   details=details)
            block["fairness.generalized_mean_bias_auc"] = {"value": rep.generalized_mean.value, "ci": ci, **details}
        return block

    # --- one attribute -----------------------------------------------------------------
    def setup_grouping(self, i: int, grouping: Grouping, reference: str | None, where: str) -> tuple[ConfusionFrame, tuple[int | None, str]]:
        """Count (and resample) one grouping, pick its reference group, warn about small and missing groups."""
        data, cfg = self.data, self.config
        conf = ConfusionFrame.from_codes(grouping, data.y_true, data.y_pred, len(data.classes))
        if cfg.n_boot:
            conf = conf.bootstrap(cfg.n_boot, self.rngs[1 + 2 * i])
        sizes = grouping.sizes()
        eligible = sizes >= cfg.min_group_size
        ref = _reference(grouping, sizes, eligible, reference, cfg.min_group_size, where)
        small = [f"{grouping.labels[g]} ({sizes[g]})" for g in np.flatnonzero(~eligible)]
        if small:
            self.warn(f"{grouping.attribute}: {len(small)} group(s) have fewer than {cfg.min_group_size} rows and are "
                      f"reported but left out of the disparities: {', '.join(small)}")
        if any(grouping.missing) and i < len(data.sensitive):
            g = grouping.missing.index(True)
            self.warn(f"{grouping.attribute}: {int(sizes[g])} row(s) have no value and form the group {grouping.labels[g]}")
        if ref[0] is None:
            self.warn(f"{grouping.attribute}: no group has {cfg.min_group_size} rows; no disparity can be computed")
        self.result.add_metric("fairness.small_groups", len(small), section=SECTION, n=int(sizes.sum()),
                               details={"attribute": grouping.attribute, "min_group_size": cfg.min_group_size,
                                        "groups": [grouping.labels[g] for g in np.flatnonzero(~eligible)]})
        return conf, ref

    # --- one attribute, one class -----------------------------------------------------
    def attribute_block(self, conf: ConfusionFrame, k: int, ref: tuple[int | None, str], auc_rng: np.random.Generator) -> dict[str, Any]:
        cfg = self.config
        frame = conf.binary(k, min_group_size=cfg.min_group_size)
        grouping = frame.grouping
        ref_idx, ref_source = ref
        self._warn_undefined(frame, k)
        groups = []
        for g, label in enumerate(grouping.labels):
            row: dict[str, Any] = {"group": label, "count": int(frame.counts[g]), "small": bool(not frame.eligible[g]),
                                   "missing": grouping.missing[g], "metrics": self.metric_stats(frame, g)}
            if ref_idx is not None and frame.eligible[g] and g != ref_idx:
                row["vs_reference"] = self._vs_reference(frame, g, ref_idx)
            groups.append(row)
        n = int(frame.counts[frame.eligible].sum())
        gamma = selection_level(n)
        disparities = []
        for d in DISPARITIES:
            disparities.append(self._record_disparity(frame.disparity(d, Scope.BETWEEN_GROUPS, confidence=cfg.confidence, gamma=gamma), k, grouping.attribute, n))
            if ref_idx is None:
                res = DisparityResult(d, Scope.VS_REFERENCE, None, why_null="no group is large enough to be the reference")
            else:
                res = frame.disparity(d, Scope.VS_REFERENCE, confidence=cfg.confidence, gamma=gamma, reference=ref_idx)
            disparities.append(self._record_disparity(res, k, grouping.attribute, n))
        self._warn_null(disparities, k, grouping.attribute)
        block = {"attribute": grouping.attribute, "reference_group": None if ref_idx is None else grouping.labels[ref_idx],
                 "reference_source": ref_source, "groups": groups, "disparities": disparities,
                 "excluded_groups": [grouping.labels[g] for g in np.flatnonzero(~frame.eligible)]}
        if k in self.data.scores:
            block["bias_auc"] = self._bias_auc(grouping, k, frame.eligible, auc_rng, n)
        return block


def null_disparity_warnings(result: AuditResult) -> list[str]:
    """The warnings of `assess_fairness` that say which disparities are null and why (the CLI repeats them on stderr)."""
    return [w for w in result.warnings if w.startswith(f"{SECTION}: ") and _NULL_MARK in w]


def assess_fairness(df: pd.DataFrame, config: FairnessConfig, *, where: str = "predictions") -> AuditResult:
    """Run the fairness audit on a predictions table; returns the section and the metric records."""
    data = prepare(df, sensitive=config.sensitive, label_column=config.label_column, prediction_column=config.prediction_column,
                   score_column=config.score_column, positive_label=config.positive_label, where=where)
    attributes = [g.attribute for g in data.groupings]
    given = parse_reference_groups(tuple(config.reference_groups), attributes, where)
    result = AuditResult()
    auditor = _Auditor(data, config, result)
    if len(np.unique(data.y_pred)) == 1:
        auditor.warn(f"every prediction is {data.classes[int(data.y_pred[0])]}: selection rates are equal by construction, "
                     "so demographic parity holds trivially and says nothing about the model")
    confs, refs = [], []
    for i, grouping in enumerate(progress(data.groupings, desc="fairness bootstrap", unit="attribute")):
        conf, ref = auditor.setup_grouping(i, grouping, given.get(grouping.attribute), where)
        confs.append(conf)
        refs.append(ref)
    overall = overall_frame(data.y_true, data.y_pred, len(data.classes))
    if config.n_boot:
        overall = overall.bootstrap(config.n_boot, auditor.rngs[0])
    views = []
    for k in data.views:
        ov = overall.binary(k)
        view = {"class": data.classes[k], "overall": {"count": data.n_rows, "metrics": auditor.metric_stats(ov, 0)},
                "attributes": [auditor.attribute_block(conf, k, ref, auditor.rngs[2 + 2 * i]) for i, (conf, ref) in enumerate(zip(confs, refs))]}
        views.append(view)
    result.add_section(SECTION, {
        "task": "multiclass" if auditor.multiclass else "binary",
        "classes": list(data.classes),
        "positive_label": None if data.positive is None else data.classes[data.positive],
        "columns": {"label": config.label_column, "prediction": config.prediction_column,
                    "score": {data.classes[k]: c for k, c in data.score_columns.items()}, "sensitive": list(data.sensitive)},
        "attributes": attributes,
        "rows": data.n_rows,
        "settings": {**{k: v for k, v in asdict(config).items() if k in ("n_boot", "confidence", "min_group_size", "seed")},
                     "interval_method": INTERVAL_METHOD if config.n_boot else None},
        "views": views,
    })
    return result
