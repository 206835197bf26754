"""`audit_privacy`: what a trained classifier memorised, as one `AuditResult` (section "privacy").

The composition: read the run directory (`inputs`), load the target model and the reference
once (`rai.training.models`), score (`scoring`, `reference`), evaluate every attack (`mia`), the
canaries (`exposure`) and the one-run audit's canaries (`one_run_audit`), then write the section
and metric records. The CLI (`rai audit privacy`) is a thin wrapper; notebooks call
`audit_privacy` directly.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rai.audit.privacy.attacks import ATTACKS
from rai.audit.privacy.exposure import ESTIMATORS, ExposureEstimate
from rai.audit.privacy.inputs import Examples, RunDir, read_labels, read_run_dir, resolve_examples
from rai.audit.privacy.mia import FPR_TARGETS, MIN_FALSE_POSITIVES, AttackEvaluation, evaluate_attack
from rai.audit.privacy.one_run import OneRunAudit
from rai.audit.privacy.one_run_audit import one_run_metrics, score_audit_canaries
from rai.audit.privacy.reference import ReferenceLosses, probe_losses
from rai.audit.result import AuditResult
from rai.core.errors import InputError
from rai.core.stats import Stat, ci_list
from rai.core.progress import say
from rai.training.canaries import CanarySet, sample_candidates
from rai.training.labels import LabelMap
from rai.training.models import load_classifier, resolve_model_path

SECTION = "privacy"
GUARANTEE_KEYS = ("dp", "epsilon", "delta", "accountant", "noise_multiplier", "max_grad_norm", "sample_rate", "steps",
                  "epochs", "dataset_size", "sampling", "unit")
ERR_ATTACK = "unknown attack {name!r} (choose from {known})"
ERR_ESTIMATOR = "unknown exposure estimator {name!r} (choose from {known})"
ERR_MODEL_LABELS = "the model has {k} output classes but labels.json lists {n} labels"
ERR_REFERENCE_LABELS = "the reference model's labels {ref} differ from the audited model's labels {target}"
WHY_NO_DP = "the model was trained without differential privacy (privacy.json: dp false), so there is no guarantee"
WHY_NO_DELTA = "privacy.json records no delta"
WHY_NO_EPSILON = "privacy.json records no epsilon"
WHY_NO_EXPOSURE = "no canary has a defined exposure under the {estimator} estimator"
WHY_NO_CANARIES = "the run has no canaries.json (train with rai train --canaries N to measure exposure)"
ERR_ALL_DUPLICATES = "every non-member is also a member (same text): no held-out examples are left"
WARN_DUPLICATES = "{n} of {total} non-member text(s) also occur among the members and were dropped (they are not held out)"
FEW_EXAMPLES = 100  # this project's choice: below it, one example moves an AUC by more than 0.01
WARN_FEW_EXAMPLES = ("the attacks compare {members} member(s) with {non_members} non-member(s), fewer than {few} on a side: "
                     "their numbers rest on few examples (see the intervals; a policy can judge bound: ci or require min_n)")
WARN_THEORY = ("the measured epsilon lower bound {measured:.3g} exceeds the claimed epsilon {claimed:.3g}: "
               "the DP guarantee in privacy.json does not hold for this model (check the accounting and the data pipeline)")


@dataclass(frozen=True)
class PrivacyAuditOptions:
    """Settings of the audit; the CLI flags map onto these one to one."""

    attacks: tuple[str, ...] = ("loss", "calibrated")
    confidence: float = 0.95
    bootstrap: int = 1000
    canary_candidates: int = 1000
    exposure_estimator: str = "rank"
    max_members: int | None = None
    max_non_members: int | None = None
    probe_folds: int = 5
    batch_size: int = 64
    max_length: int | None = None  # None: the run's max_length, else 128
    seed: int = 0

    def check(self) -> None:
        for name in self.attacks:
            if name not in ATTACKS:
                raise InputError(ERR_ATTACK.format(name=name, known=", ".join(ATTACKS)))
        if not self.attacks:
            raise InputError(ERR_ATTACK.format(name="", known=", ".join(ATTACKS)))
        if self.exposure_estimator not in ESTIMATORS:
            raise InputError(ERR_ESTIMATOR.format(name=self.exposure_estimator, known=", ".join(ESTIMATORS)))


# --- preparing the examples -------------------------------------------------------------------

def drop_overlap(members: Examples, non_members: Examples) -> tuple[Examples, int]:
    """Non-members whose exact text is also a member are not held out: drop them."""
    seen = set(members.texts)
    keep = np.array([i for i, t in enumerate(non_members.texts) if t not in seen], dtype=np.int64)
    dropped = len(non_members) - keep.size
    return (non_members.subset(keep, f"{dropped} duplicate(s) of members dropped") if dropped else non_members), dropped


def subsample(ex: Examples, limit: int | None, rng: np.random.Generator) -> Examples:
    if limit is None or len(ex) <= limit:
        return ex
    keep = np.sort(rng.choice(len(ex), size=limit, replace=False))
    return ex.subset(keep, f"random subsample of {limit} of {len(ex)}")


# --- the pieces of the section ----------------------------------------------------------------

def attack_section(ev: AttackEvaluation) -> dict[str, Any]:
    eps = ev.epsilon
    n = ev.n_members + ev.n_non_members
    return {
        "description": ATTACKS[ev.attack].description,
        "auc": Stat.of(ev.auc, ev.auc_ci, n).to_dict(),
        "advantage": Stat.of(ev.advantage, ev.advantage_ci, n).to_dict(),
        "tpr_at_fpr": [{"target_fpr": t.target_fpr,
                        "tpr": Stat.of(t.tpr, t.tpr_ci, ev.n_members, t.why_null).to_dict(),
                        "fpr": Stat.of(t.fpr, t.fpr_ci, ev.n_non_members, t.why_null).to_dict(),
                        "threshold": t.threshold, "tp": t.tp, "fp": t.fp} for t in ev.tpr_at_fpr],
        "epsilon_lower_bound": {**asdict(eps), "threshold": ev.epsilon_threshold},
        "roc": ev.roc_points,
    }


@dataclass(frozen=True)
class CanaryExposure:
    id: str
    label: Any
    loss: float
    candidates: int
    exhaustive: bool
    estimates: dict[str, ExposureEstimate]


def canary_exposures(cs: CanarySet, losses_of, labels: LabelMap, *, candidates: int,
                     seed: int) -> list[CanaryExposure]:
    """Score every canary and its candidates (same template and label) in one pass; every estimator."""
    texts: list[str] = []
    label_ids: list[int] = []
    spans = []
    for c in cs.canaries:
        label_id = int(labels.encode([c.label], where=f"canaries.json: {c.id}")[0])
        cand = sample_candidates(cs, c, candidates, seed)
        spans.append((len(texts), len(cand.texts), cand.exhaustive))
        texts += [c.text, *cand.texts]
        label_ids += [label_id] * (1 + len(cand.texts))
    losses = losses_of(texts, label_ids)
    out = []
    for c, (start, m, exhaustive) in zip(cs.canaries, spans):
        own, cand_losses = float(losses[start]), losses[start + 1:start + 1 + m]
        out.append(CanaryExposure(id=c.id, label=c.label, loss=own, candidates=m, exhaustive=exhaustive,
                                  estimates={name: f(own, cand_losses, cs.space_size) for name, f in ESTIMATORS.items()}))
    return out


def _group_summary(ex: Examples, losses: np.ndarray, proba: np.ndarray) -> dict[str, Any]:
    return {"n": len(ex), "source": ex.source, "path": str(ex.path), "mean_loss": float(losses.mean()),
            "median_loss": float(np.median(losses)),
            "accuracy": float(np.mean(proba.argmax(axis=1) == ex.label_ids))}


def _step(text: str) -> None:
    """A progress line for each long step (quiet with --quiet): the audit takes minutes on a CPU."""
    say(f"rai audit privacy: {text}")


def _warn(result: AuditResult, text: str) -> None:
    """A warning about the sample: in the audit's warnings and on stderr now, before the numbers are read."""
    result.warnings.append(text)
    say(f"rai audit privacy: warning: {text}")


# --- the audit --------------------------------------------------------------------------------

def audit_privacy(run_dir: str | Path, *, members: str | Path | None = None, non_members: str | Path | None = None,
                  reference_model: str | Path | None = None, text_column: str | None = None,
                  label_column: str | None = None, options: PrivacyAuditOptions = PrivacyAuditOptions()) -> AuditResult:
    """Run the membership-inference attacks and the canary exposure test on a `rai train` run."""
    from rai.audit.privacy.scoring import Scorer  # imports torch

    options.check()
    run = read_run_dir(run_dir)
    text_column = text_column or str(run.config.get("text_column") or "text")
    label_column = label_column or str(run.config.get("label_column") or "label")
    mem, non = resolve_examples(run, members=members, non_members=non_members, text_column=text_column,
                                label_column=label_column)
    result = AuditResult()
    total = len(non)
    non, dropped = drop_overlap(mem, non)
    if len(non) == 0:
        raise InputError(ERR_ALL_DUPLICATES, where=non.source)
    if dropped:
        _warn(result, WARN_DUPLICATES.format(n=dropped, total=total))
    rng = np.random.default_rng(options.seed)
    mem = subsample(mem, options.max_members, rng)
    non = subsample(non, options.max_non_members, rng)
    if min(len(mem), len(non)) < FEW_EXAMPLES:
        _warn(result, WARN_FEW_EXAMPLES.format(members=len(mem), non_members=len(non), few=FEW_EXAMPLES))

    max_length = options.max_length or int(run.config.get("max_length") or 128)
    _check_num_labels(run)
    _step(f"scoring {len(mem)} members and {len(non)} non-members with {run.model_dir}")
    model, tokenizer = load_classifier(run.model_dir)
    target = Scorer(model, tokenizer, batch_size=options.batch_size, max_length=max_length)
    proba_m = target.proba(mem.texts, desc="scoring members")
    proba_n = target.proba(non.texts, desc="scoring non-members")
    loss_m, loss_n = target.loss(proba_m, mem.label_ids), target.loss(proba_n, non.label_ids)

    ref = None
    if any(ATTACKS[a].needs_reference for a in options.attacks):
        ref = _reference_losses(run, mem, non, reference_model, options, max_length)

    delta = float(run.privacy.get("delta") or 0.0) if run.privacy["dp"] else 0.0
    _step(f"attacks {', '.join(options.attacks)}: {options.bootstrap} bootstrap resamples")
    evaluations = {
        name: evaluate_attack(name, ATTACKS[name].score(loss_m, ref.members if ref else None),
                              ATTACKS[name].score(loss_n, ref.non_members if ref else None), delta=delta,
                              confidence=options.confidence, n_bootstrap=options.bootstrap, seed=options.seed,
                              family_size=len(options.attacks))
        for name in options.attacks
    }
    exposures = None
    if run.canaries is not None:
        _step(f"canary exposure: {len(run.canaries.canaries)} canaries, up to {options.canary_candidates} candidates each")
        exposures = canary_exposures(run.canaries, lambda t, y: target.loss(target.proba(t, desc="scoring canaries"), y),
                                     run.labels, candidates=options.canary_candidates, seed=options.seed)

    one_run = None
    if run.audit_canaries is not None:
        _step("one-run audit: scoring the audit canaries")
        one_run = score_audit_canaries(run.audit_canaries,
                                       lambda t, y: target.loss(target.proba(t, desc="scoring audit canaries"), y),
                                       run.labels, delta=delta, confidence=options.confidence)

    result.subject["model"] = str(run.model_dir)
    for ex in (mem, non):
        result.add_input(ex.path, len(ex))
    write_section(result, run, evaluations, exposures, one_run, options=options, delta=delta, reference=ref,
                  groups={"members": _group_summary(mem, loss_m, proba_m), "non_members": _group_summary(non, loss_n, proba_n)})
    return result


def _check_num_labels(run: RunDir) -> None:
    """Before loading weights: the model's head must have one output per label of labels.json."""
    from transformers import AutoConfig

    k = AutoConfig.from_pretrained(str(run.model_dir), local_files_only=True).num_labels
    if k != len(run.labels):
        raise InputError(ERR_MODEL_LABELS.format(k=k, n=len(run.labels)), where=str(run.model_dir))


def _reference_losses(run: RunDir, mem: Examples, non: Examples, reference_model: str | Path | None,
                      options: PrivacyAuditOptions, max_length: int) -> ReferenceLosses:
    from rai.audit.privacy.scoring import Scorer

    if reference_model is not None:
        _step(f"reference: scoring with the reference model {reference_model}")
        model, tokenizer = load_classifier(reference_model)
        ref_labels = read_labels(reference_model)
        target_labels = list(run.labels.labels)
        if (ref_labels is not None and list(ref_labels.labels) != target_labels) or model.config.num_labels != len(target_labels):
            shown = list(ref_labels.labels) if ref_labels is not None else f"({model.config.num_labels} classes)"
            raise InputError(ERR_REFERENCE_LABELS.format(ref=shown, target=target_labels), where=str(reference_model))
        scorer = Scorer(model, tokenizer, batch_size=options.batch_size, max_length=max_length)
        members = scorer.loss(scorer.proba(mem.texts, desc="reference: members"), mem.label_ids)
        non_members = scorer.loss(scorer.proba(non.texts, desc="reference: non-members"), non.label_ids)
        return ReferenceLosses(members, non_members, "model", {
            "path": str(reference_model),
            "assumption": "trained on data that contains neither the audited members nor the audited non-members"})
    base = resolve_model_path(run.config.get("model"))
    _step(f"reference: embedding with the base model {base} and fitting a {options.probe_folds}-fold probe")
    model, tokenizer = load_classifier(base)
    scorer = Scorer(model, tokenizer, batch_size=options.batch_size, max_length=max_length)
    members, non_members = probe_losses(scorer.embeddings(mem.texts, desc="reference: members"), mem.label_ids,
                                        scorer.embeddings(non.texts, desc="reference: non-members"), non.label_ids,
                                        num_labels=len(run.labels), folds=options.probe_folds, seed=options.seed)
    return ReferenceLosses(members, non_members, "base-probe", {
        "path": str(base), "folds": min(options.probe_folds, len(non)),
        "assumption": ("a logistic-regression probe on the frozen base model's mean-pooled embeddings, fitted on "
                       "non-members only and cross-fitted so no example is scored by a probe that saw it; assumes the "
                       "base model was not pretrained on the audited examples")})


def _best(evaluations: dict[str, AttackEvaluation], value) -> tuple[str, Any]:
    """The attack with the largest value (None values lose), and that value."""
    ranked = sorted(evaluations, key=lambda a: (value(evaluations[a]) is not None, value(evaluations[a]) or 0.0), reverse=True)
    return ranked[0], value(evaluations[ranked[0]])


def _guarantee_metrics(result: AuditResult, privacy: dict[str, Any]) -> None:
    """Theory: the (epsilon, delta) of privacy.json, null with the reason when there is none."""
    dp = bool(privacy["dp"])
    details = {k: privacy.get(k) for k in ("accountant", "noise_multiplier", "max_grad_norm", "steps")}
    for key, why_missing in (("epsilon", WHY_NO_EPSILON), ("delta", WHY_NO_DELTA)):
        value = privacy.get(key) if dp else None
        why = None if value is not None else (why_missing if dp else WHY_NO_DP)
        result.add_metric(f"privacy.dp.{key}", value, section=SECTION, why_null=why,
                          details=details if key == "epsilon" else {})


def _attack_metrics(result: AuditResult, evaluations: dict[str, AttackEvaluation], *, confidence: float) -> float:
    """Measurement: each metric from the attack that does best on it; returns the epsilon lower bound."""
    any_eval = next(iter(evaluations.values()))
    base = {"n_members": any_eval.n_members, "n_non_members": any_eval.n_non_members}
    n = any_eval.n_members + any_eval.n_non_members
    attack, auc = _best(evaluations, lambda e: e.auc)
    result.add_metric("privacy.mia.auc", auc, section=SECTION, ci=evaluations[attack].auc_ci, n=n,
                      details={**base, "attack": attack, "by_attack": {a: e.auc for a, e in evaluations.items()}})
    attack, adv = _best(evaluations, lambda e: e.advantage)
    result.add_metric("privacy.mia.advantage", adv, section=SECTION, ci=evaluations[attack].advantage_ci, n=n,
                      details={**base, "attack": attack})
    for target, metric_id in zip(FPR_TARGETS, ("privacy.mia.tpr_at_1pct_fpr", "privacy.mia.tpr_at_0_1pct_fpr")):
        attack, tpr = _best(evaluations, lambda e: e.at(target).tpr)
        point = evaluations[attack].at(target)
        result.add_metric(metric_id, tpr, section=SECTION, ci=point.tpr_ci, n=n, why_null=point.why_null,
                          details={**base, "attack": attack, "fpr": point.fpr, "fpr_ci": ci_list(point.fpr_ci),
                                   "tp": point.tp, "fp": point.fp})
    attack, eps_value = _best(evaluations, lambda e: e.epsilon.value)
    eps = evaluations[attack].epsilon
    result.add_metric("privacy.mia.epsilon_lower_bound", eps_value, section=SECTION, n=n,
                      details={**base, "attack": attack, "tpr_lower": eps.tpr_lower, "fpr_upper": eps.fpr_upper,
                               "tp": eps.tp, "fp": eps.fp, "delta": eps.delta, "confidence": confidence})
    return eps_value


def _canary_metrics(result: AuditResult, cs: CanarySet | None, exposures: list[CanaryExposure] | None, *,
                    estimator: str, candidates: int) -> dict[str, Any] | None:
    """Exposure metrics; returns the canaries part of the section (None without canaries)."""
    if cs is None or exposures is None:
        for metric_id in ("privacy.canary.exposure_mean", "privacy.canary.exposure_max"):
            result.add_metric(metric_id, None, section=SECTION, why_null=WHY_NO_CANARIES)
        return None
    defined = [x for x in (e.estimates[estimator].exposure for e in exposures) if x is not None]
    why = None if defined else WHY_NO_EXPOSURE.format(estimator=estimator)
    details = {"estimator": estimator, "candidates": candidates, "space_bits": cs.space_bits, "n_defined": len(defined)}
    result.add_metric("privacy.canary.exposure_mean", float(np.mean(defined)) if defined else None, section=SECTION,
                      n=len(exposures), details=details, why_null=why)
    result.add_metric("privacy.canary.exposure_max", max(defined) if defined else None, section=SECTION,
                      n=len(exposures), details=details, why_null=why)
    return {
        "n": len(exposures), "template": cs.template, "secret_format": cs.secret_format, "space_size": cs.space_size,
        "space_bits": cs.space_bits, "seed": cs.seed, "estimator": estimator, "candidates": candidates,
        "ceiling_bits_rank": min(cs.space_bits, math.log2(candidates + 1)),
        "per_canary": [{"id": e.id, "label": e.label, "loss": e.loss, "candidates": e.candidates,
                        "exhaustive": e.exhaustive, "exposure": e.estimates[estimator].exposure,
                        "estimates": {k: asdict(v) for k, v in e.estimates.items()}} for e in exposures],
    }


def write_section(result: AuditResult, run: RunDir, evaluations: dict[str, AttackEvaluation],
                  exposures: list[CanaryExposure] | None, one_run: OneRunAudit | None, *, options: PrivacyAuditOptions,
                  delta: float, reference: ReferenceLosses | None, groups: dict[str, Any]) -> None:
    """The privacy section and its metric records (pure: everything is computed already)."""
    _guarantee_metrics(result, run.privacy)
    eps_value = _attack_metrics(result, evaluations, confidence=options.confidence)
    claimed = run.privacy.get("epsilon")
    if run.privacy["dp"] and isinstance(claimed, (int, float)) and eps_value > claimed:
        result.warnings.append(WARN_THEORY.format(measured=eps_value, claimed=claimed))
    canaries = _canary_metrics(result, run.canaries, exposures, estimator=options.exposure_estimator,
                               candidates=options.canary_candidates)
    one_run_part = one_run_metrics(result, run.privacy, one_run, has_canaries=run.audit_canaries is not None)
    result.add_section(SECTION, {
        "run_dir": str(run.path),
        "guarantee": {k: run.privacy.get(k) for k in GUARANTEE_KEYS if k in run.privacy},
        "membership": {**groups, "confidence": options.confidence, "bootstrap": options.bootstrap,
                       "min_false_positives": MIN_FALSE_POSITIVES, "delta_used": delta,
                       "smallest_resolvable_fpr": MIN_FALSE_POSITIVES / groups["non_members"]["n"]},
        "reference": None if reference is None else {"kind": reference.kind, **reference.details},
        "attacks": {name: attack_section(ev) for name, ev in evaluations.items()},
        "canaries": canaries,
        "one_run": one_run_part,
    })
