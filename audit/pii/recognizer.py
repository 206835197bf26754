"""The recognizer interface, after Presidio's `PatternRecognizer`.

A recognizer finds candidate spans of one entity type in a text and scores them. Patterns carry
a base score; a `validate` hook (checksums, `phonenumbers`, `ipaddress`, entropy) rejects
candidates that only look right; context words near a span raise its score (the engine applies
them, see `rai.audit.pii.engine`), and negative context words right before it lower it. Recognizers
see a whole chunk of records joined by NUL, so no pattern may match a NUL (the engine drops any
span that crosses a record boundary anyway).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

# A record separator that no pattern matches (the engine replaces NULs inside records by spaces).
SEPARATOR = "\x00"


class Finding(NamedTuple):
    """One detected entity: character span [start, end) in its text, entity type and score."""

    start: int
    end: int
    entity: str
    score: float


@dataclass(frozen=True)
class Pattern:
    """A regular expression with a base score.

    `group` names the regex group that is the entity (e.g. the token after "Bearer");
    `check=False` skips the recognizer's validate hook for patterns that are specific enough.

    Speed: Python's `re` scans fast only for a pattern that starts with a literal or a character
    class. A pattern whose distinctive part sits in the middle (the "@" of an email, the "://" of
    a URL) gives that part as `anchor`; the recognizer finds anchors first and, for each, finds
    the candidate start with `back` (a regex ending in `$`, searched in the `window` characters
    before the anchor), then matches `regex` from there. An anchor should consume as little as
    possible (use lookaheads), so that it never swallows the anchor of the next candidate.
    """

    name: str
    regex: str
    score: float
    group: int = 0
    flags: int = 0
    check: bool = True
    anchor: str | None = None
    back: str | None = None
    window: int = 64


class _Compiled:
    """A pattern with its compiled regexes and the candidate-match loop."""

    def __init__(self, pattern: Pattern) -> None:
        self.pattern = pattern
        self.regex = re.compile(pattern.regex, pattern.flags)
        self.anchor = re.compile(pattern.anchor) if pattern.anchor else None
        self.back = re.compile(pattern.back, pattern.flags) if pattern.back else None

    def matches(self, text: str) -> Iterator[re.Match[str]]:
        if self.anchor is None:
            yield from self.regex.finditer(text)
            return
        regex, back, window, anchor = self.regex, self.back, self.pattern.window, self.anchor
        done = pos = 0  # end of the last match; where the next anchor search starts
        while (hit := anchor.search(text, pos)) is not None:
            a = hit.start()
            pos = max(hit.end(), a + 1)
            start = a
            if back is not None:
                b = back.search(text, max(done, a - window), a)
                if b is not None:
                    start = b.start(b.lastindex or 0)
            m = regex.match(text, start)
            if m is not None:
                done = m.end()
                pos = max(pos, done)  # anchors inside a match are not searched again
                yield m


class Recognizer(ABC):
    """Finds one entity type. Subclasses set the attributes and implement `analyze`."""

    entity: str
    #: Words that, shortly before a span, make the finding more likely (lower case).
    context: tuple[str, ...] = ()
    #: Words that, right before a span, make it something else (`version` before a dotted quad).
    negative_context: tuple[str, ...] = ()
    #: Breaks ties when two findings cover the same span: the higher priority wins.
    priority: int = 0
    #: Lower-case substrings one of which must occur in the text for a match to be possible;
    #: an empty tuple means "always run". A cheap prefilter, checked once per chunk.
    anchors: tuple[str, ...] = ()

    @abstractmethod
    def analyze(self, text: str) -> Iterator[Finding]:
        """Yield candidate findings in `text` with their base scores (before context)."""

    @abstractmethod
    def mask(self, value: str) -> str:
        """A preview of `value` that never allows reconstructing it."""

    def may_match(self, lowered: str) -> bool:
        return not self.anchors or any(a in lowered for a in self.anchors)


class PatternRecognizer(Recognizer):
    """Regex patterns plus an optional `validate(value) -> bool` hook (Presidio's design)."""

    def __init__(self, entity: str, patterns: Sequence[Pattern], *, mask: Callable[[str], str],
                 validate: Callable[[str], bool] | None = None, context: Sequence[str] = (),
                 negative_context: Sequence[str] = (), priority: int = 0, anchors: Sequence[str] = ()) -> None:
        self.entity = entity
        self.patterns = tuple(patterns)
        self._compiled = tuple(_Compiled(p) for p in self.patterns)
        self._mask = mask
        self._validate = validate
        self.context = tuple(context)
        self.negative_context = tuple(negative_context)
        self.priority = priority
        self.anchors = tuple(anchors)

    def validate(self, value: str) -> bool:
        return self._validate is None or self._validate(value)

    def mask(self, value: str) -> str:
        return self._mask(value)

    def score(self, pattern: Pattern, match: re.Match[str]) -> float:
        """The base score of one match (a hook: SSNs score by their separator)."""
        return pattern.score

    def analyze(self, text: str) -> Iterator[Finding]:
        entity, validate = self.entity, self._validate
        for compiled in self._compiled:
            pattern = compiled.pattern
            group, check = pattern.group, pattern.check and validate is not None
            for m in compiled.matches(text):
                start, end = m.span(group)
                if start == end or (check and not validate(m.group(group))):
                    continue
                yield Finding(start, end, entity, self.score(pattern, m))


def word_alternation(words: Sequence[str], *, lower: bool = True) -> str:
    """A regex for any of `words` as written capitalised, or also in lower case ("Dear", "dear"),
    at a word start, spaces matching any run of blanks.

    Every branch is a literal that checks the word boundary after its first character, so `re`
    scans for the first letters at C speed; a leading lookbehind, a character class such as
    `[Dd]` or `(?i:...)` would make it try every branch at every position.
    """
    branches = []
    for w in sorted(set(words), key=len, reverse=True):
        for v in dict.fromkeys((w[0].upper() + w[1:], w) if lower else (w,)):
            first = re.escape(v[0])
            rest = r"[ \t]+".join(re.escape(part) for part in v[1:].split(" "))
            branches.append(rf"{first}(?<![\w]{first}){rest}")
    return "(?:" + "|".join(branches) + ")"


def compile_words(words: Sequence[str], suffix: str = "") -> re.Pattern[str] | None:
    """One case-insensitive regex that finds any of `words` as a whole word (context look-ups),
    followed by `suffix` (a regex; e.g. "...$" for words that must end right before the span)."""
    if not words:
        return None
    alternation = "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))
    return re.compile(rf"(?<![a-z0-9])(?:{alternation})(?![a-z0-9]){suffix}", re.IGNORECASE)
