"""The policy model: rules on metric ids, waivers, and the choices they may take (the founding design, "Policies and gates").

A `Policy` is plain frozen data; `rai.audit.gate.loader` builds one from YAML (with file:line errors) and
`rai.audit.gate.evaluate` judges an audit result against it.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from enum import Enum
from typing import Any
from rai.core.formatting import details_label, format_number


class Severity(str, Enum):
    """How a threshold violation counts: `block` fails the gate, `warn` is reported only."""

    BLOCK = "block"
    WARN = "warn"


class Bound(str, Enum):
    """Which number a threshold judges: the point `value`, or the conservative end of the `ci`."""

    VALUE = "value"
    CI = "ci"


@dataclass(frozen=True)
class Rule:
    """One gate rule. At least one of `min`, `max`, `max_regression` is set (the loader checks)."""

    metric: str
    min: float | None = None
    max: float | None = None
    bound: Bound = Bound.VALUE
    severity: Severity = Severity.BLOCK
    required: bool = True
    max_regression: float | None = None
    min_n: int | None = None  # records with a smaller (or no) sample size `n` are insufficient evidence
    details: dict[str, Any] = field(default_factory=dict)  # only records whose details contain these
    name: str | None = None
    description: str | None = None
    line: int | None = None

    def __post_init__(self) -> None:
        if self.min is None and self.max is None and self.max_regression is None:
            raise ValueError(f"rule on {self.metric} needs at least one of min, max or max_regression")

    @property
    def label(self) -> str:
        """The rule's display name: its `name`, else the metric id plus its details filter."""
        if self.name:
            return self.name
        return self.metric + (f" [{details_label(self.details)}]" if self.details else "")

    def threshold_text(self) -> str:
        parts = []
        on = " (ci)" if self.bound is Bound.CI else ""
        if self.min is not None:
            parts.append(f">= {format_number(self.min)}{on}")
        if self.max is not None:
            parts.append(f"<= {format_number(self.max)}{on}")
        if self.max_regression is not None:
            parts.append(f"regression <= {format_number(self.max_regression)}")
        if self.min_n is not None:
            parts.append(f"n >= {self.min_n}")
        return ", ".join(parts)


@dataclass(frozen=True)
class Waiver:
    """An approved exception for a metric (optionally only records matching `details`), until `expires`."""

    metric: str
    reason: str
    approved_by: str
    expires: _dt.date
    details: dict[str, Any] = field(default_factory=dict)
    line: int | None = None

    def active(self, today: _dt.date) -> bool:
        """A waiver holds through its expiry date (inclusive) and is ignored from the day after."""
        return today <= self.expires


class Interval(str, Enum):
    """The binomial interval of a monitored rate: Wilson score, or the exact (conservative) Clopper-Pearson."""

    WILSON = "wilson"
    CLOPPER_PEARSON = "clopper-pearson"


@dataclass(frozen=True)
class Monitoring:
    """How `rai monitor` and `Guard` judge a stream of model outputs (the policy's `monitoring:` section).

    Rules use the same shape as gate rules, on `monitor.*` ids, and are evaluated on every window
    (`window` records, or `window_seconds`, whichever closes first)."""

    rules: tuple[Rule, ...]
    window: int = 100
    window_seconds: float | None = None
    interval: Interval = Interval.WILSON
    confidence: float = 0.95
    toxicity_threshold: float = 0.5


@dataclass(frozen=True)
class Policy:
    name: str
    rules: tuple[Rule, ...]
    waivers: tuple[Waiver, ...] = ()
    description: str = ""
    source: str = "<policy>"
    sha256: str | None = None  # of the policy file's bytes; None for a policy built in Python
    monitoring: Monitoring | None = None


def matches(details: dict[str, Any], wanted: dict[str, Any]) -> bool:
    """True when a record's details contain every key/value of a rule's or waiver's filter."""
    return all(k in details and details[k] == v for k, v in wanted.items())
