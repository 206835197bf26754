"""Privacy audit: what a trained classifier memorised (membership inference, canary exposure).

Pure math in `roc`, `bounds`, `mia`, `exposure`, `attacks`, `reference.probe_losses`; file and
model I/O in `inputs` and `scoring`; `audit.audit_privacy` composes them into the `privacy`
section. The CLI is `rai audit privacy`. See docs/privacy.md.
"""

from rai.audit.privacy.attacks import ATTACKS, Attack
from rai.audit.privacy.audit import PrivacyAuditOptions, audit_privacy
from rai.audit.privacy.bounds import EpsilonBound, epsilon_lower_bound
from rai.audit.privacy.exposure import ESTIMATORS, ExposureEstimate, exposure_from_rank
from rai.audit.privacy.mia import AttackEvaluation, TprAtFpr, evaluate_attack

__all__ = [
    "ATTACKS", "Attack", "AttackEvaluation", "ESTIMATORS", "EpsilonBound", "ExposureEstimate", "PrivacyAuditOptions",
    "TprAtFpr", "audit_privacy", "epsilon_lower_bound", "evaluate_attack", "exposure_from_rank",
]
