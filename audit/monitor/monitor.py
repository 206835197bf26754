"""The stateful monitor: observations in, judged windows out, and the audit snapshot of the series.

The window arithmetic and the rules live in `windows` (pure); this class only keeps the open
window, the bounded series of closed ones, and the totals.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass
from typing import Any

from rai.audit.gate.policy import Monitoring
from rai.audit.monitor.rates import Rate, rate
from rai.audit.monitor.windows import (CLOSED_BY_COUNT, CLOSED_BY_END, CLOSED_BY_TIME, PII_RATE, PII_TYPE_RATE,
                                       TOXICITY_RATE, Observation, Window, WindowCounter, alerts_for, window_rates)
from rai.audit.result import AuditResult

SECTION = "monitor"
MAX_SERIES = 1000  # windows kept in the snapshot; older ones are counted, not listed (the file stays small)


@dataclass(frozen=True)
class Judged:
    window: Window
    rates: dict[str, Rate]
    alerts: list[dict[str, Any]]

    def row(self) -> dict[str, Any]:
        """The window in the snapshot's time series: its span, every rate with its interval, its alerts' rules."""
        return {**self.window.span(), "rates": {k: r.to_dict() for k, r in self.rates.items()},
                "alerts": [a["rule"] for a in self.alerts]}


class Monitor:
    def __init__(self, monitoring: Monitoring, entities: tuple[str, ...], *, window: int | None = None,
                 window_seconds: float | None = None) -> None:
        self.monitoring = monitoring
        self.entities = entities
        self.counter = WindowCounter(window or monitoring.window,
                                     window_seconds if window_seconds is not None else monitoring.window_seconds)
        self.series: deque[Judged] = deque(maxlen=MAX_SERIES)
        self.windows = 0
        self.alerts = 0
        self.records = 0
        self.pii_any = 0
        self.toxic = 0
        self.pii_by_type: Counter = Counter()

    def _close(self, closed_by: str) -> list[Judged]:
        w = self.counter.close(closed_by)
        if w is None:
            return []
        rates = window_rates(w, self.monitoring, self.entities)
        judged = Judged(w, rates, alerts_for(w, rates, self.monitoring))
        self.series.append(judged)
        self.windows += 1
        self.alerts += len(judged.alerts)
        return [judged]

    def tick(self, now: float) -> list[Judged]:
        """Close the open window if its time is up (a quiet stream still closes its time windows)."""
        return self._close(CLOSED_BY_TIME) if self.counter.expired(now) else []

    def add(self, obs: Observation, now: float) -> list[Judged]:
        done = self.tick(now)
        self.counter.add(obs, now)
        self.records += 1
        self.pii_any += bool(obs.pii_types)
        self.toxic += obs.toxic
        self.pii_by_type.update(obs.pii_types)
        if self.counter.full():
            done += self._close(CLOSED_BY_COUNT)
        return done

    def finish(self) -> list[Judged]:
        """Close the last, partial window at the end of the stream."""
        return self._close(CLOSED_BY_END)

    def _total(self, k: int) -> Rate:
        return rate(k, self.records, self.monitoring.interval, self.monitoring.confidence)

    def add_to(self, result: AuditResult, setup: dict[str, Any]) -> None:
        """The `monitor` section (settings, the window series) and the `monitor.*` totals over the whole stream."""
        c = self.counter
        result.add_section(SECTION, {
            **setup,
            "window": {"records": c.size, "seconds": c.seconds},
            "interval": {"method": self.monitoring.interval.value, "confidence": self.monitoring.confidence},
            "toxicity_threshold": self.monitoring.toxicity_threshold,
            "rules": [{"rule": r.label, "metric": r.metric, "threshold": r.threshold_text(), "severity": r.severity.value}
                      for r in self.monitoring.rules],
            "records": self.records,
            "windows": self.windows,
            "windows_not_listed": self.windows - len(self.series),
            "alerts": self.alerts,
            "series": [j.row() for j in self.series],
        })
        totals = {PII_RATE: self._total(self.pii_any), TOXICITY_RATE: self._total(self.toxic)}
        totals.update({PII_TYPE_RATE.format(type=t): self._total(self.pii_by_type.get(t, 0)) for t in self.entities})
        for metric, r in totals.items():
            result.add_metric(metric, r.value, section=SECTION, ci=r.ci, n=r.n,
                              why_null=None if r.n else "no outputs monitored yet")
        result.add_metric("monitor.records", self.records, section=SECTION)
        result.add_metric("monitor.alerts", self.alerts, section=SECTION)
