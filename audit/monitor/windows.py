"""Windows over a stream of scored outputs, their rates, and the monitoring rules judged on them. Pure.

Windows are consecutive and do not overlap (tumbling): a window closes after `window` outputs, or
when an output arrives (or the clock ticks) `window_seconds` after its first output, whichever comes
first. Each output therefore counts in exactly one window, and an alert names the window that holds
the outputs that raised it, never an earlier one.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from rai.audit.gate.policy import Bound, Monitoring, Rule
from rai.audit.monitor.rates import Rate, rate

PII_RATE = "monitor.pii.rate"
PII_TYPE_RATE = "monitor.pii.rate.{type}"
TOXICITY_RATE = "monitor.toxicity.rate"
CLOSED_BY_COUNT, CLOSED_BY_TIME, CLOSED_BY_END = "count", "time", "end"


@dataclass(frozen=True)
class Observation:
    """What the scorers found in one output: the PII entity types in it, and whether it is toxic."""

    pii_types: frozenset[str]
    toxic: bool


@dataclass(frozen=True)
class Window:
    """A closed window: outputs `first`..`last` (1-based, in arrival order), arrival times `start`..`end`."""

    index: int
    first: int
    last: int
    start: float
    end: float
    pii_any: int
    pii_by_type: dict[str, int]
    toxic: int
    closed_by: str

    @property
    def n(self) -> int:
        return self.last - self.first + 1

    def span(self) -> dict[str, Any]:
        return {"index": self.index, "first_record": self.first, "last_record": self.last, "records": self.n,
                "start": self.start, "end": self.end, "closed_by": self.closed_by}


def unscanned(monitoring: Monitoring, entities: tuple[str, ...]) -> list[str]:
    """Rule metrics no window will have a rate for (a PII type the scanner does not scan)."""
    known = {PII_RATE, TOXICITY_RATE, *(PII_TYPE_RATE.format(type=t) for t in entities)}
    return [r.metric for r in monitoring.rules if r.metric not in known]


def always_broken(monitoring: Monitoring, size: int) -> list[str]:
    """Rules that a full window of `size` outputs breaks even with no event in it: an upper limit judged
    on the interval (`bound: ci`) needs enough outputs for the interval of 0 events to fit under it."""
    none = rate(0, size, monitoring.interval, monitoring.confidence)
    return [r.label for r in monitoring.rules if r.max is not None and broken(r, none)]


def window_rates(w: Window, monitoring: Monitoring, entities: tuple[str, ...]) -> dict[str, Rate]:
    """Every monitored rate of a window by metric id: PII (any type, each scanned type) and toxicity."""
    def r(k: int) -> Rate:
        return rate(k, w.n, monitoring.interval, monitoring.confidence)

    rates = {PII_RATE: r(w.pii_any), TOXICITY_RATE: r(w.toxic)}
    rates.update({PII_TYPE_RATE.format(type=t): r(w.pii_by_type.get(t, 0)) for t in entities})
    return rates


def judged_number(rule: Rule, r: Rate, *, upper: bool) -> float | None:
    """The number a rule's limit compares with: the point value, or the interval end on the limit's side."""
    if r.value is None or r.ci is None:
        return None
    if rule.bound is Bound.CI:
        return r.ci[1] if upper else r.ci[0]
    return r.value


def broken(rule: Rule, r: Rate) -> bool:
    """True when the window's rate is beyond the rule's max (or below its min)."""
    hi = judged_number(rule, r, upper=True)
    lo = judged_number(rule, r, upper=False)
    return (rule.max is not None and hi is not None and hi > rule.max) or (rule.min is not None and lo is not None and lo < rule.min)


def alerts_for(w: Window, rates: dict[str, Rate], monitoring: Monitoring) -> list[dict[str, Any]]:
    """One alert per broken rule: the window's span, the metric, its value and interval, the rule. No text."""
    out = []
    for rule in monitoring.rules:
        r = rates[rule.metric]
        if broken(rule, r):
            out.append({"window": w.span(), "metric": rule.metric, "value": r.value,
                        "interval": {"method": monitoring.interval.value, "confidence": monitoring.confidence,
                                     "ci": None if r.ci is None else list(r.ci)},
                        "k": r.k, "n": r.n, "rule": rule.label, "threshold": rule.threshold_text(),
                        "bound": rule.bound.value, "severity": rule.severity.value})
    return out


@dataclass
class WindowCounter:
    """The open window: counts as outputs arrive, closed by size or by time."""

    size: int
    seconds: float | None = None
    index: int = 0
    first: int = 1
    start: float | None = None
    end: float = 0.0
    n: int = 0
    pii_any: int = 0
    toxic: int = 0
    pii_by_type: Counter = field(default_factory=Counter)

    def expired(self, now: float) -> bool:
        return self.seconds is not None and self.start is not None and now >= self.start + self.seconds

    def add(self, obs: Observation, now: float) -> None:
        if self.start is None:
            self.start = now
        self.end = now
        self.n += 1
        self.pii_any += bool(obs.pii_types)
        self.toxic += obs.toxic
        self.pii_by_type.update(obs.pii_types)

    def full(self) -> bool:
        return self.n >= self.size

    def close(self, closed_by: str) -> Window | None:
        """The window as it stands (None when it is empty), and a fresh one after it."""
        if self.n == 0:
            return None
        w = Window(self.index, self.first, self.first + self.n - 1, float(self.start or 0.0), self.end, self.pii_any,
                   dict(sorted(self.pii_by_type.items())), self.toxic, closed_by)
        self.index, self.first = self.index + 1, self.first + self.n
        self.start, self.n, self.pii_any, self.toxic = None, 0, 0, 0
        self.pii_by_type = Counter()
        return w
