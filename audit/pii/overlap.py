"""Overlap resolution: at most one finding per character.

Policy (docs/pii.md): among overlapping findings the longest span wins, because the containing
structure explains the digits inside it (a "phone number" inside an IBAN, a card or an IPv4
address is part of that IBAN, card or address). Equal spans go to the more specific entity
(recognizer priority: an SSN-shaped number is an SSN before it is a phone), then to the higher
score. The result is deterministic and sorted by position.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence

from rai.audit.pii.recognizer import Finding


def resolve_overlaps(findings: Sequence[Finding], priority: Mapping[str, int]) -> list[Finding]:
    if len(findings) < 2:
        return list(findings)
    order = sorted(findings, key=lambda f: (f.start - f.end, -priority.get(f.entity, 0), -f.score, f.start, f.entity))
    starts: list[int] = []
    ends: list[int] = []
    kept: list[Finding] = []
    for f in order:
        i = bisect_right(starts, f.start)
        if (i > 0 and ends[i - 1] > f.start) or (i < len(starts) and starts[i] < f.end):
            continue
        starts.insert(i, f.start)
        ends.insert(i, f.end)
        kept.insert(i, f)
    return kept
