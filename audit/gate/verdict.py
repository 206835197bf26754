"""The gate's answer: one `Verdict` listing every rule, each record it judged, its status and why.

`Verdict.to_dict()` is the verdict JSON (`rai.verdict/1`) that `rai gate --verdict` writes.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from rai.audit.gate.policy import Rule
from rai.core.formatting import details_label, format_observed

VERDICT_SCHEMA = "rai.verdict/1"


class Status(str, Enum):
    """A record's or rule's outcome. `fail` and `missing` block the release; the rest do not."""

    PASS = "pass"
    WARN = "warn"
    WAIVED = "waived"
    SKIPPED = "skipped"
    MISSING = "missing"
    FAIL = "fail"

    @property
    def rank(self) -> int:
        """Severity order: the worst status of a rule's records is the rule's status."""
        return _RANK[self]

    @property
    def blocks(self) -> bool:
        return self in (Status.FAIL, Status.MISSING)


_RANK = {Status.SKIPPED: 0, Status.PASS: 1, Status.WAIVED: 2, Status.WARN: 3, Status.MISSING: 4, Status.FAIL: 5}


@dataclass(frozen=True)
class RecordResult:
    """One metric record judged against one rule."""

    details: dict[str, Any]
    value: float | int | None
    ci: tuple[float | None, float | None] | None
    status: Status
    why: str
    baseline_value: float | int | None = None
    regression: float | None = None
    waiver: dict[str, str] | None = None

    @property
    def label(self) -> str:
        return details_label(self.details)

    @property
    def observed(self) -> str:
        return format_observed(self.value, self.ci)

    def to_dict(self) -> dict[str, Any]:
        return {"details": self.details, "label": self.label, "value": self.value,
                "ci": list(self.ci) if self.ci is not None else None, "status": self.status.value, "why": self.why,
                "baseline_value": self.baseline_value, "regression": self.regression, "waiver": self.waiver}


@dataclass(frozen=True)
class RuleResult:
    rule: Rule
    status: Status
    why: str
    records: tuple[RecordResult, ...] = ()

    @property
    def worst(self) -> RecordResult | None:
        """The record that decided the rule's status (the first of the worst)."""
        return max(self.records, key=lambda r: r.status.rank, default=None)

    def to_dict(self) -> dict[str, Any]:
        r = self.rule
        return {"rule": r.label, "metric": r.metric, "min": r.min, "max": r.max, "bound": r.bound.value,
                "severity": r.severity.value, "required": r.required, "max_regression": r.max_regression,
                "min_n": r.min_n,
                "details": r.details, "description": r.description, "threshold": r.threshold_text(), "line": r.line,
                "status": self.status.value, "why": self.why, "records": [rec.to_dict() for rec in self.records]}


@dataclass(frozen=True)
class Verdict:
    policy: str
    policy_source: str
    rules: tuple[RuleResult, ...]
    warnings: tuple[str, ...] = ()
    today: _dt.date = field(default_factory=lambda: _dt.datetime.now(_dt.timezone.utc).date())
    audit: str | None = None
    baseline: str | None = None
    policy_description: str = ""
    policy_sha256: str | None = None  # of the policy file judged with, so a verdict names exactly which rules it applied

    @property
    def passed(self) -> bool:
        """Fail closed: any failing or missing rule fails the gate; warnings and waivers do not."""
        return not any(r.status.blocks for r in self.rules)

    @property
    def counts(self) -> dict[str, int]:
        return {s.value: sum(r.status is s for r in self.rules) for s in Status}

    def summary(self) -> str:
        shown = ", ".join(f"{n} {name}" for name, n in self.counts.items() if n)
        return f"{'PASS' if self.passed else 'FAIL'}: policy {self.policy}, {len(self.rules)} rule(s): {shown}"

    def to_dict(self) -> dict[str, Any]:
        return {"schema": VERDICT_SCHEMA, "passed": self.passed, "status": "pass" if self.passed else "fail",
                "policy": {"name": self.policy, "source": self.policy_source, "sha256": self.policy_sha256,
                           "description": self.policy_description},
                "audit": self.audit, "baseline": self.baseline, "today": self.today.isoformat(),
                "counts": self.counts, "rules": [r.to_dict() for r in self.rules], "warnings": list(self.warnings)}
