"""The scanner: recognizers in, resolved findings per text out. Pure; no I/O.

Speed comes from scanning a whole chunk of records at once: the texts are joined with a NUL
separator, each compiled pattern runs once over the joined string (C speed, no per-record Python
overhead), cheap anchors skip recognizers whose trigger substring is absent, and expensive
validation (checksums, `phonenumbers`) runs only on regex candidates. Findings are then mapped
back to their record, boosted by context words (lowered by negative ones), thresholded and
de-overlapped per record.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from itertools import accumulate
from typing import Protocol

from rai.audit.pii.overlap import resolve_overlaps
from rai.audit.pii.recognizer import SEPARATOR, Finding, Recognizer, compile_words

DEFAULT_MIN_SCORE = 0.5
CONTEXT_WINDOW = 40  # characters before a span searched for context words
CONTEXT_BOOST = 0.35
NEGATIVE_WINDOW = 24  # characters before a span searched for negative context words
# A negative word counts only right before the span: "Order no. 123-456-7890", "ISBN: 0-306-40615-2".
NEGATIVE_SUFFIX = r"[ \t]*(?:(?:no\.?|nr\.?|number|num|id|#)[ \t]*)?[:#=]?[ \t]*$"
CONTEXT_PENALTY = 0.5


class RecordAnalyzer(Protocol):
    """A detector that must see one record at a time (an NER model, e.g. the Presidio backend)."""

    entities: tuple[str, ...]
    priority: dict[str, int]

    def analyze(self, text: str) -> list[Finding]: ...

    def mask(self, entity: str, value: str) -> str: ...


class Scanner:
    """Runs recognizers (and optional per-record analyzers) over texts.

    `scan(texts)` returns, for each text, its findings sorted by position, with scores at or
    above `min_score` after context, and no two findings overlapping.
    """

    def __init__(self, recognizers: Sequence[Recognizer], *, min_score: float = DEFAULT_MIN_SCORE,
                 record_analyzers: Sequence[RecordAnalyzer] = ()) -> None:
        self.recognizers = tuple(recognizers)
        self.record_analyzers = tuple(record_analyzers)
        self.min_score = float(min_score)
        self._context = {id(r): compile_words(r.context) for r in self.recognizers}
        self._negative = {id(r): compile_words(r.negative_context, suffix=NEGATIVE_SUFFIX) for r in self.recognizers}
        self._masks: dict[str, Callable[[str], str]] = {}
        self.priority: dict[str, int] = {}
        for a in self.record_analyzers:
            for entity in a.entities:
                self._masks.setdefault(entity, lambda v, a=a, e=entity: a.mask(e, v))
                self.priority.setdefault(entity, a.priority.get(entity, 0))
        for r in self.recognizers:
            self._masks.setdefault(r.entity, r.mask)
            self.priority[r.entity] = max(self.priority.get(r.entity, r.priority), r.priority)

    @property
    def entities(self) -> tuple[str, ...]:
        """Every entity type this scanner can report, in a stable order."""
        names = [r.entity for r in self.recognizers] + [e for a in self.record_analyzers for e in a.entities]
        return tuple(dict.fromkeys(names))

    def mask(self, entity: str, value: str) -> str:
        return self._masks[entity](value)

    def scan_text(self, text: str) -> list[Finding]:
        return self.scan([text])[0]

    def scan(self, texts: Sequence[str]) -> list[list[Finding]]:
        n = len(texts)
        if n == 0:
            return []
        joined = SEPARATOR.join(texts)
        if joined.count(SEPARATOR) != n - 1:  # a record contains NUL itself: neutralise it (same length)
            joined = SEPARATOR.join(t.replace(SEPARATOR, " ") for t in texts)
        starts = list(accumulate((len(t) + 1 for t in texts[:-1]), initial=0))
        lowered = joined.lower()
        found: list[list[Finding]] = [[] for _ in range(n)]
        min_score = self.min_score
        for rec in self.recognizers:
            if not rec.may_match(lowered):
                continue
            context, negative = self._context[id(rec)], self._negative[id(rec)]
            for f in rec.analyze(joined):
                i = bisect_right(starts, f.start) - 1
                base = starts[i]
                if f.end > base + len(texts[i]):
                    continue  # crossed a record boundary: not a span of any one record
                score = f.score
                if negative is not None and negative.search(joined, max(base, f.start - NEGATIVE_WINDOW), f.start):
                    score = max(0.0, round(score - CONTEXT_PENALTY, 3))  # and no boost: the negative word is nearer
                elif context is not None and score < 1.0 and context.search(joined, max(base, f.start - CONTEXT_WINDOW), f.start):
                    score = min(1.0, round(score + CONTEXT_BOOST, 3))
                if score >= min_score:
                    found[i].append(Finding(f.start - base, f.end - base, f.entity, score))
        for analyzer in self.record_analyzers:
            for i, text in enumerate(texts):
                if text:
                    found[i].extend(f for f in analyzer.analyze(text) if f.score >= min_score)
        priority = self.priority
        return [resolve_overlaps(fs, priority) if len(fs) > 1 else fs for fs in found]

