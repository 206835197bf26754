"""`rai gate AUDIT --policy NAME|PATH [--baseline OLD] [--verdict verdict.json]`: the release decision.

Prints the verdict table, writes the verdict JSON atomically, and exits 0 (passed, warnings
allowed), 1 (failed) or 2 (bad input: audit, baseline or policy).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from rai.cli.commands import Command, add_force_argument
from rai.core.errors import EXIT_GATE_FAILED, EXIT_OK

if TYPE_CHECKING:
    from rai.audit.gate.verdict import Verdict
    from rai.audit.result import AuditResult


def add_policy_arguments(parser: argparse.ArgumentParser, *, required: bool) -> None:
    """--policy and --baseline, shared by `rai gate` and `rai report`."""
    parser.add_argument("--policy", metavar="NAME|PATH", required=required,
                        help="a bundled policy by bare name (see `rai policy list`), or a policy file by path "
                             "(./mine, policies/x.yaml, mine.yaml); a bare name never reads a file")
    parser.add_argument("--baseline", metavar="OLD.json", help="an earlier audit.json, for max_regression rules")


def judge(audit_path: str, policy: str | None, baseline_path: str | None) -> tuple["AuditResult", "Verdict | None"]:
    """Read the audit (and baseline) and evaluate the policy; every input problem is an InputError."""
    from rai.audit.gate import evaluate, load_policy
    from rai.audit.result import read_audit
    from rai.core.errors import InputError

    audit = read_audit(audit_path)
    if policy is None:
        if baseline_path is not None:
            raise InputError("--baseline needs --policy (it only serves max_regression rules)")
        return audit, None
    pol = load_policy(policy)
    baseline = read_audit(baseline_path) if baseline_path is not None else None
    return audit, evaluate(pol, audit, baseline=baseline, audit_path=audit_path, baseline_path=baseline_path)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("audit", metavar="AUDIT", help="the audit.json to judge")
    add_policy_arguments(parser, required=True)
    parser.add_argument("--verdict", metavar="verdict.json", help="also write the verdict as JSON (atomically)")
    add_force_argument(parser)


def run(args: argparse.Namespace) -> int:
    from rai.core.io import to_json_text
    from rai.reports.text import render_text

    _, verdict = judge(args.audit, args.policy, args.baseline)
    print(render_text(verdict), end="")
    if args.verdict:
        args.outputs.write_text(args.verdict, to_json_text(verdict.to_dict()), "--verdict")
    return EXIT_OK if verdict.passed else EXIT_GATE_FAILED


COMMAND = Command(name="gate", help="judge an audit.json against a release policy (exit 0 pass, 1 fail, 2 bad input)",
                  add_arguments=add_arguments, run=run, outputs=("verdict",))
