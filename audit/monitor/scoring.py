"""Score model outputs: PII findings (masked, never kept raw) and toxicity, in one call.

Dependencies are passed in (a built `Scanner`, a loaded toxicity backend), so the monitor, the
guard and the tests share one scoring path and tests hand in real, small ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rai.audit.monitor.windows import Observation
from rai.audit.pii.engine import Scanner
from rai.audit.pii.redact import redact_text
from rai.audit.toxicity.base import ToxicityBackend


@dataclass(frozen=True)
class Scored:
    """One output: its texts with PII masked, what was found, and its highest toxicity score."""

    masked: tuple[str, ...]
    observation: Observation
    toxicity: float


class OutputScorer:
    def __init__(self, scanner: Scanner, backend: ToxicityBackend, threshold: float) -> None:
        self.scanner = scanner
        self.backend = backend
        self.threshold = threshold

    @property
    def entities(self) -> tuple[str, ...]:
        return self.scanner.entities

    def score(self, outputs: Sequence[Sequence[str]]) -> list[Scored]:
        """`outputs[i]` holds the texts of output i (one per monitored column)."""
        flat = [t for texts in outputs for t in texts]
        if not flat:
            return [Scored((), Observation(frozenset(), False), 0.0) for _ in outputs]
        findings = self.scanner.scan(flat)
        tox = self.backend.score(flat).column(self.backend.info.primary_label)
        out, i = [], 0
        for texts in outputs:
            masked, types, worst = [], set(), 0.0
            for text in texts:
                fs = findings[i]
                masked.append(redact_text(text, fs, lambda f, t=text: self.scanner.mask(f.entity, t[f.start:f.end]),
                                          by_finding=True))
                types.update(f.entity for f in fs)
                worst = max(worst, float(tox[i]))
                i += 1
            out.append(Scored(tuple(masked), Observation(frozenset(types), worst >= self.threshold), worst))
        return out
