"""Phone numbers, validated with `phonenumbers` (Google's libphonenumber metadata).

Two shapes are candidates: international (`+44 20 7946 0958`, `0044 ...`, `+1 (415) 555-2671`),
valid for whatever country code they carry, and national (`(415) 555-2671`, `415-555-2671`),
valid for one of the configured regions (default: US). A candidate the regex over-extends
(`+44 20 7946 0958 12`) is trimmed group by group until a valid number remains. Candidates inside
an IBAN, card or IP address are dropped later by overlap resolution.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator, Sequence

import phonenumbers

from audit.pii.masking import mask_digits
from audit.pii.recognizer import Finding, Recognizer

# Each regex starts with a literal or a digit and checks its left boundary right after, so `re` can
# scan at C speed. International: "+CC ..." or "00CC ...".
# "00" must not continue a run of digit groups ("3530 0060 9615 0676" is a card, not +60 ...).
INTERNATIONAL = re.compile(r"(?:\+(?<![\w+]\+)|0(?<![\w+]0)(?<!\d[ \t.\-]0)0)[1-9][\d \t().\-/]{5,24}\d(?![\w])")
# National numbers are weaker evidence: never a piece of a longer run of digit groups.
_NATIONAL_TAIL = r"\d{2,4}[ \t.\-]?\d{3,4}(?![\w]|[ \t.\-/]\d)"
NATIONAL = (
    re.compile(rf"\((?<![\w+.\-/]\()(?<!\d[ \t.\-]\()\d{{2,5}}\)[ \t]?{_NATIONAL_TAIL}"),
    re.compile(rf"\d(?<![\w+.\-/]\d)(?<!\d[ \t.\-]\d)\d{{1,4}}[ \t.\-]{_NATIONAL_TAIL}"),
)
_DIGIT_RUN = re.compile(r"\d+")
MIN_DIGITS, MAX_DIGITS = 7, 15

SCORE_INTERNATIONAL = 0.75
SCORE_NATIONAL = 0.5
CONTEXT = ("phone", "telephone", "tel", "mobile", "cell", "call", "fax", "contact", "whatsapp", "sms", "text me")


def _national_lengths(region: str) -> frozenset[int]:
    """Digit counts a national-format number of `region` can have (with or without trunk prefix)."""
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    lengths = set(meta.general_desc.possible_length or ())
    prefix = len(meta.national_prefix or "")
    return frozenset(lengths | {n + prefix for n in lengths})


def _valid(value: str, region: str | None) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(value, region))
    except phonenumbers.NumberParseException:
        return False


class PhoneRecognizer(Recognizer):
    entity = "phone"
    context = CONTEXT
    priority = 40

    def __init__(self, regions: Sequence[str] = ("US",)) -> None:
        self.regions = tuple(regions)
        # Cheap length test before the (slow) phonenumbers parse of a national candidate.
        self._lengths = {r: _national_lengths(r) for r in self.regions}

    def mask(self, value: str) -> str:
        return mask_digits(value, keep_last=2)

    def _longest_valid(self, candidate: str, regions: Sequence[str | None]) -> int:
        """Length of the longest group-aligned prefix that is a valid number, or 0.

        `regions` None means international format (the number carries its country code).
        """
        runs = [(m.end(), m.end() - m.start()) for m in _DIGIT_RUN.finditer(candidate)]
        n = sum(length for _, length in runs)  # digits in the prefix ending after the current group
        for end, length in reversed(runs):
            if n < MIN_DIGITS:
                break
            if n <= MAX_DIGITS and any(_valid(candidate[:end], r) for r in regions if r is None or n in self._lengths[r]):
                return end
            n -= length
        return 0

    def analyze(self, text: str) -> Iterator[Finding]:
        intl_starts: list[int] = []
        intl_ends: list[int] = []
        pos = 0
        while m := INTERNATIONAL.search(text, pos):
            start, value = m.start(), m.group(0)
            # "0044 ..." is the international prefix: parse it as "+44 ...".
            probe = "+" + value[2:] if value.startswith("00") else value
            end = self._longest_valid(probe, (None,))
            if not end:
                pos = start + 1  # a later number may start inside this candidate ("... 0044 20 ...")
                continue
            end = start + end + len(value) - len(probe)
            intl_starts.append(start)
            intl_ends.append(end)
            pos = end
            yield Finding(start, end, self.entity, SCORE_INTERNATIONAL)
        if not self.regions:
            return
        for regex in NATIONAL:
            for m in regex.finditer(text):
                start = m.start()
                i = bisect_right(intl_starts, start) - 1
                if i >= 0 and start < intl_ends[i]:
                    continue  # inside an international number already found
                end = self._longest_valid(m.group(0), self.regions)
                if end:
                    yield Finding(start, start + end, self.entity, SCORE_NATIONAL)


def recognizers(regions: Sequence[str] = ("US",)) -> list[Recognizer]:
    return [PhoneRecognizer(regions)]
