"""The one-run audit inside `rai audit privacy`: score the audit canaries, bound ε, write the metrics.

The math is `rai.audit.privacy.one_run`; this module turns a run's `private/audit_canaries.json` and
the trained model's losses into the `privacy.audit.*` metric records and the section's `one_run`
part. The ledger's ε and the measured lower bound sit side by side: a bound above the claim
means the guarantee does not hold for this model (broken accounting, sampling, clipping or noise).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from rai.audit.privacy.one_run import GUESS_FRACTIONS, OneRunAudit, audit_from_losses
from rai.audit.result import AuditResult
from rai.training.audit_canaries import FILE, AuditCanarySet
from rai.training.labels import LabelMap

SECTION = "privacy"
METHOD = ("Steinke, Nasr & Jagielski (2023), one-run audit: guess IN for the k+ lowest-loss and OUT for the k- "
          "highest-loss audit canaries; Bonferroni over the (k+, k-) pairs tried")
WHY_NO_AUDIT_CANARIES = (f"the run has no {FILE.as_posix()} "
                         "(train with rai train --audit-canaries M to run the one-run audit)")
WHY_TOO_FEW = "the one-run audit needs at least 2 audit canaries"
WHY_NO_CLAIM = "the model was trained without differential privacy, so there is no claimed epsilon to exceed"
WHY_NO_BOUND = "there is no one-run lower bound"
WARN_EXCEEDS = ("the one-run audit's epsilon lower bound {measured:.3g} ({confidence:.0%} confidence) exceeds the "
                "claimed epsilon {claimed:.3g}: the DP guarantee in privacy.json does not hold for this model")


def score_audit_canaries(cs: AuditCanarySet, losses_of: Callable[[Sequence[str], np.ndarray], np.ndarray],
                         labels: LabelMap, *, delta: float, confidence: float) -> OneRunAudit | None:
    """Each canary's loss under its planted label (included or not), then the guesses and the bound."""
    label_ids = labels.encode([c.label for c in cs.canaries], where=FILE.as_posix())
    losses = losses_of([c.text for c in cs.canaries], label_ids)
    return audit_from_losses(losses, [c.included for c in cs.canaries], delta=delta, confidence=confidence)


def one_run_metrics(result: AuditResult, privacy: dict[str, Any], audit: OneRunAudit | None, *,
                    has_canaries: bool) -> dict[str, Any] | None:
    """The two metric records (null with the reason when undefined); returns the section's `one_run` part."""
    claimed = privacy.get("epsilon") if privacy.get("dp") else None
    claimed = claimed if isinstance(claimed, (int, float)) and not isinstance(claimed, bool) else None
    if audit is None:
        why = WHY_TOO_FEW if has_canaries else WHY_NO_AUDIT_CANARIES
        result.add_metric("privacy.audit.epsilon_lower_bound", None, section=SECTION, why_null=why)
        result.add_metric("privacy.audit.epsilon_excess", None, section=SECTION, why_null=f"{WHY_NO_BOUND}: {why}")
        return None
    best = audit.best
    details = {"m": audit.m, "included": audit.included, "k_plus": best.k_plus, "k_minus": best.k_minus,
               "guesses": best.guesses, "correct": best.correct, "confidence": audit.confidence, "delta": audit.delta,
               "tests": len(audit.tried), "ledger_epsilon": claimed}
    result.add_metric("privacy.audit.epsilon_lower_bound", audit.epsilon_lower_bound, section=SECTION, n=audit.m,
                      details=details)
    excess = None if claimed is None else audit.epsilon_lower_bound - claimed
    result.add_metric("privacy.audit.epsilon_excess", excess, section=SECTION, n=audit.m, details=details,
                      why_null=None if claimed is not None else WHY_NO_CLAIM)
    if excess is not None and excess > 0:
        result.warnings.append(WARN_EXCEEDS.format(measured=audit.epsilon_lower_bound, confidence=audit.confidence,
                                                   claimed=claimed))
    return {
        "method": METHOD, "epsilon_lower_bound": audit.epsilon_lower_bound, "ledger_epsilon": claimed,
        "m": audit.m, "included": audit.included, "confidence": audit.confidence, "delta": audit.delta,
        "k_plus": best.k_plus, "k_minus": best.k_minus, "guesses": best.guesses, "correct": best.correct,
        "guess_fractions": list(GUESS_FRACTIONS), "significance_per_test": audit.significance_per_test,
        "tried": [{"k_plus": g.k_plus, "k_minus": g.k_minus, "guesses": g.guesses, "correct": g.correct,
                   "epsilon_lower_bound": g.epsilon} for g in audit.tried],
    }
