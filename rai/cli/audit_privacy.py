"""`rai audit privacy RUN_DIR`: membership inference and canary exposure on a trained classifier."""

from __future__ import annotations

import argparse

from rai.cli.commands import AuditCommand, at_most, csv_list, positive_int, probability
from rai.core.limits import MAX_BATCH_SIZE, MAX_BOOTSTRAP, MAX_CANARY_CANDIDATES, MAX_LENGTH_TOKENS, MAX_PROBE_FOLDS

HELP = "what a trained classifier memorised: membership-inference attacks and canary exposure"


def add_arguments(p: argparse.ArgumentParser) -> None:
    from rai.audit.privacy.attacks import ATTACKS
    from rai.audit.privacy.exposure import ESTIMATORS

    p.add_argument("run_dir", metavar="RUN_DIR", help="a run directory written by rai train (model/, privacy.json, labels.json, config.yaml)")
    p.add_argument("--members", metavar="FILE", help="training examples to test (default: the run's training rows, from split.json or config.yaml data)")
    p.add_argument("--non-members", metavar="FILE", help="held-out examples from the same population (default: the run's evaluation rows or eval file)")
    p.add_argument("--text-column", help="text column of the member and non-member files (default: the run's)")
    p.add_argument("--label-column", help="label column (default: the run's)")
    p.add_argument("--attacks", type=csv_list, default=list(ATTACKS), metavar="LIST",
                   help=f"attacks to run, comma-separated: {', '.join(ATTACKS)} (default: all)")
    p.add_argument("--reference-model", metavar="PATH",
                   help="reference classifier for the calibrated attack, trained on data disjoint from the members AND the "
                        "non-members (default: a probe on the run's frozen base model, fitted on non-members; see docs/privacy.md)")
    p.add_argument("--max-members", type=positive_int, metavar="N", help="audit a random sample of N members (seeded)")
    p.add_argument("--max-non-members", type=positive_int, metavar="N", help="audit a random sample of N non-members (seeded)")
    p.add_argument("--canary-candidates", type=at_most(positive_int, MAX_CANARY_CANDIDATES), default=1000, metavar="M",
                   help="random secrets scored per canary to estimate its rank (default 1000; the rank estimate resolves at most log2(M+1) bits)")
    p.add_argument("--exposure-estimator", choices=list(ESTIMATORS), default="rank",
                   help="rank: from the sampled rank (default); skewnorm: Carlini et al.'s fitted-tail extrapolation")
    p.add_argument("--confidence", type=probability, default=0.95, help="confidence of every interval and of the epsilon bound (default 0.95)")
    p.add_argument("--bootstrap", type=at_most(positive_int, MAX_BOOTSTRAP), default=1000, metavar="B", help="bootstrap resamples for the AUC and advantage intervals")
    p.add_argument("--probe-folds", type=at_most(positive_int, MAX_PROBE_FOLDS), default=5, metavar="K", help="cross-fitting folds of the base-model probe (default 5)")
    p.add_argument("--batch-size", type=at_most(positive_int, MAX_BATCH_SIZE), default=64, help="scoring batch size")
    p.add_argument("--max-length", type=at_most(positive_int, MAX_LENGTH_TOKENS), help="token limit per text (default: the run's max_length)")


def run(args: argparse.Namespace):
    from rai.audit.privacy.audit import PrivacyAuditOptions, audit_privacy

    options = PrivacyAuditOptions(
        attacks=tuple(args.attacks), confidence=args.confidence, bootstrap=args.bootstrap,
        canary_candidates=args.canary_candidates, exposure_estimator=args.exposure_estimator,
        max_members=args.max_members, max_non_members=args.max_non_members, probe_folds=args.probe_folds,
        batch_size=args.batch_size, max_length=args.max_length, seed=args.seed,
    )
    return audit_privacy(args.run_dir, members=args.members, non_members=args.non_members,
                         reference_model=args.reference_model, text_column=args.text_column,
                         label_column=args.label_column, options=options)


AUDIT = AuditCommand(name="privacy", help=HELP, add_arguments=add_arguments, run=run)
