"""A guard for serving code: one output in, its masked text and a verdict (block or allow) out.

    guard = Guard.from_policy("default")   # the scanner and the offline toxicity fallback, loaded once
    v = guard.check(text)
    if v.blocked: ...                      # v.reasons names the broken rules; v.masked is safe to log

A single output is judged on its own: each monitoring rule's rate is 1 when the output has the
property (PII of the type, toxic) and 0 when not, so an interval bound (`bound: ci`) means nothing
here and the point value is compared with the limit. Texts longer than `max_chars` are blocked
unread (fail closed): their scan would not fit the latency budget.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from rai.audit.gate.policy import Monitoring, Policy, Rule, Severity
from rai.audit.monitor.scoring import OutputScorer
from rai.audit.monitor.windows import PII_RATE, PII_TYPE_RATE, TOXICITY_RATE, Observation, unscanned
from rai.core.errors import InputError

ERR_NO_MONITORING = "policy {name!r} has no monitoring section (docs/monitoring.md); add one or choose another policy"
ERR_UNSCANNED = "monitoring rules on entity types the scanner does not scan: {metrics}"  # also rai monitor's
REASON_TOO_LONG = "output longer than {limit} characters: blocked unread"
DEFAULT_BUDGET_MS = 50.0
DEFAULT_MAX_CHARS = 20_000


@dataclass(frozen=True)
class GuardVerdict:
    masked: str
    blocked: bool
    reasons: tuple[str, ...]
    elapsed_ms: float
    within_budget: bool


def monitoring_of(policy: Policy) -> Monitoring:
    if policy.monitoring is None:
        raise InputError(ERR_NO_MONITORING.format(name=policy.name), where=policy.source)
    return policy.monitoring


def single_output_values(obs: Observation, entities: tuple[str, ...]) -> dict[str, float]:
    """The monitored rates of a window holding this one output."""
    values = {PII_RATE: float(bool(obs.pii_types)), TOXICITY_RATE: float(obs.toxic)}
    values.update({PII_TYPE_RATE.format(type=t): float(t in obs.pii_types) for t in entities})
    return values


def broken_alone(rule: Rule, value: float) -> bool:
    return (rule.max is not None and value > rule.max) or (rule.min is not None and value < rule.min)


class Guard:
    def __init__(self, policy: Policy, scorer: OutputScorer, *, budget_ms: float = DEFAULT_BUDGET_MS,
                 max_chars: int = DEFAULT_MAX_CHARS) -> None:
        self.monitoring = monitoring_of(policy)
        self.scorer = scorer
        self.budget_ms = budget_ms
        self.max_chars = max_chars
        self.fallback_reason: str | None = None  # set by from_policy when the toxicity backend is a fallback
        unknown = unscanned(self.monitoring, scorer.entities)
        if unknown:
            raise InputError(ERR_UNSCANNED.format(metrics=", ".join(unknown)), where=policy.source)

    @classmethod
    def from_policy(cls, policy: Policy | str, *, backend: str = "auto", budget_ms: float = DEFAULT_BUDGET_MS) -> "Guard":
        """The default scanner and the toxicity backend chosen as `rai audit toxicity --backend` does."""
        from rai.audit.gate import load_policy
        from rai.audit.pii.config import ScanConfig
        from rai.audit.toxicity import BackendOptions, load_backend

        pol = load_policy(policy) if isinstance(policy, str) else policy
        loaded = load_backend(backend, BackendOptions())
        guard = cls(pol, OutputScorer(ScanConfig().build(), loaded.backend, monitoring_of(pol).toxicity_threshold),
                    budget_ms=budget_ms)
        guard.fallback_reason = loaded.fallback_reason
        return guard

    def check(self, text: str) -> GuardVerdict:
        t0 = time.perf_counter()
        if len(text) > self.max_chars:
            return self._verdict("", (REASON_TOO_LONG.format(limit=self.max_chars),), True, t0)
        scored = self.scorer.score([[text]])[0]
        values = single_output_values(scored.observation, self.scorer.entities)
        hit = [r for r in self.monitoring.rules if broken_alone(r, values[r.metric])]
        return self._verdict(scored.masked[0], tuple(r.label for r in hit),
                             any(r.severity is Severity.BLOCK for r in hit), t0)

    def _verdict(self, masked: str, reasons: tuple[str, ...], blocked: bool, t0: float) -> GuardVerdict:
        ms = (time.perf_counter() - t0) * 1000
        return GuardVerdict(masked, blocked, reasons, ms, ms <= self.budget_ms)

