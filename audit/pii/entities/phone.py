"""Phone numbers, validated with `phonenumbers` (Google's libphonenumber metadata).

Two shapes are candidates: international (`+44 20 7946 0958`, `+44(0)20 7946 0958`, `0044 ...`,
`001-415-555-2671`), valid for whatever country code they carry, and national (`(415) 555-2671`,
`415.555.2671`, `02 38 33 92 92`, `0146210248`), valid for one of the configured regions (default:
US). Either may carry an extension (`x123`, `ext. 123`, `#123`), which is part of the finding. An
international candidate the regex over-extends (`+44 20 7946 0958 12`) is trimmed group by group
until a valid number remains; a national candidate must be a whole run of digit groups.

Numbers that have a valid shape but are not assigned (an unused US area code, `+1-492-445-7836`)
are kept, because a real-looking number in a training set is a leak whether or not it rings:
an international one that libphonenumber calls possible scores 0.6 instead of 0.75; a grouped
national number with the NANP shape (area code and exchange starting 2-9) scores as a valid one.
Bare digit runs count when valid (`4155552671`, `0146210248`): people write numbers that way, and
a word right before tells an order, ticket or ISBN number apart (negative context, which lowers
the score below the threshold). Candidates inside an IBAN, card or IP address are dropped later by
overlap resolution; dates (`18.10.2007`, `2024-05-12`) are never phone numbers.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from functools import lru_cache

import phonenumbers

from rai.audit.pii.masking import mask_digits
from rai.audit.pii.recognizer import Finding, Recognizer

# An extension after the number: "x123", " ext. 123", " extension 12", " #12".
_EXT = r"(?:[ \t]*(?:[xX#]|[eE][xX][tT](?:[eE][nN][sS][iI][oO][nN]|[nN])?\.?)[ \t]*\d{1,6})?"
# Each regex starts with a literal or a digit and checks its left boundary right after, so `re` can
# scan at C speed. International: "+CC ..." or "00CC ..."; "00" must not continue a run of digit
# groups ("3530 0060 9615 0676" is a card, not +60 ...).
# A number is digit groups, a group optionally in parentheses ("(0161)", the trunk "(0)"), joined by
# nothing, one space, one dot, or a dash or slash with optional spaces ("2018-01-25. 151" is two things).
_GROUP = r"(?:\(\d{1,5}\)|\d+)"
_SEP = r"(?:[ \t]?[\-/][ \t]?|\.|[ \t])"
_BODY = rf"(?:{_SEP}?{_GROUP})*+"
# Each regex starts with a literal or a digit and checks its left boundary right after, so `re` can
# scan at C speed. International: "+CC ..." or "00CC ..."; "00" must not continue a run of digit
# groups ("3530 0060 9615 0676" is a card, not +60 ...).
INTERNATIONAL = re.compile(rf"(?P<num>(?:\+(?<![\w+]\+)|0(?<![\w+]0)(?<!\d[ \t.\-]0)0)[ \t]?[1-9]\d*{_BODY})"
                           rf"(?P<ext>{_EXT})(?![\w])")
# National numbers are weaker evidence: a whole run of digit groups, not after a word, sign, dot or colon.
# Two regexes, one per first character: an alternation of "(" and a digit class would be tried at every position.
_NATIONAL_END = rf"{_BODY})(?P<ext>{_EXT})(?![\w]|[.\-/]\w)"
NATIONAL = (re.compile(r"(?P<num>\((?<![\w+.\-/:,(]\()(?<!\d[ \t.\-/]\()\d{1,5}\)" + _NATIONAL_END),
            # At least seven characters of number: most digit runs in text ("5", "2023", "$56") stop here.
            re.compile(r"(?P<num>\d(?<![\w+.\-/:,]\d)(?<!\d[ \t.\-/]\d)(?=[\d \t().\-/]{6})\d*" + _NATIONAL_END))
_DIGIT_RUN = re.compile(r"\d+")
_NON_DIGIT = re.compile(r"\D+")
# Dates and dotted quads (an invalid IP address such as 726.83.171.40) are never phone numbers.
_NOT_A_NUMBER = re.compile(r"\d{1,2}([./\-])\d{1,2}\1\d{2,4}|\d{4}([./\-])\d{1,2}\2\d{1,2}|\d{1,3}(?:\.\d{1,3}){3}")
_NANP_NUMBER = re.compile(r"[2-9]\d\d[2-9]\d{6}")
# NANP: NPA-NXX-XXXX, printed in groups, optionally after the country code 1.
NANP_SHAPE = re.compile(r"(?:1[ .\-]?)?(?:\([2-9]\d\d\)[ ]?|[2-9]\d\d[ .\-])[2-9]\d\d[ .\-]\d{4}")
MIN_DIGITS, MAX_DIGITS = 7, 15

SCORE_INTERNATIONAL = 0.75
SCORE_INTERNATIONAL_UNASSIGNED = 0.6
SCORE_NATIONAL = 0.5
CONTEXT = ("phone", "telephone", "tel", "mobile", "cell", "call", "fax", "contact", "whatsapp", "sms", "text me", "dial")
# Words right before a number that make it an identifier, not a phone number.
NEGATIVE_CONTEXT = ("isbn", "ean", "upc", "imei", "order", "ticket", "invoice", "tracking", "sku", "serial", "part",
                    "ref", "reference", "version", "release", "build", "firmware")


def _national_lengths(region: str) -> frozenset[int]:
    """Digit counts a national-format number of `region` can have (with or without trunk prefix)."""
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    lengths = set(meta.general_desc.possible_length or ())
    prefix = len(meta.national_prefix or "")
    return frozenset(lengths | {n + prefix for n in lengths})


@lru_cache(maxsize=65536)
def _parse(value: str, region: str | None) -> tuple[bool, bool]:
    """(valid, possible) for `value`; cached because the same numbers recur in real data.

    Possible: the length fits the country, the national part does not start with the trunk 0
    (`+49 0108 385`), and a NANP number has its area code and exchange starting with 2-9.
    """
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return False, False
    if phonenumbers.is_valid_number(number):
        return True, True
    cc = str(number.country_code)
    if value.startswith("+") and number.country_code != 39 and "".join(_DIGIT_RUN.findall(value))[len(cc):][:1] == "0":
        return False, False
    if number.country_code == 1 and not _NANP_NUMBER.fullmatch(str(number.national_number)):
        return False, False
    return False, phonenumbers.is_possible_number_with_reason(number) == phonenumbers.ValidationResult.IS_POSSIBLE


class PhoneRecognizer(Recognizer):
    entity = "phone"
    context = CONTEXT
    negative_context = NEGATIVE_CONTEXT
    priority = 40

    def __init__(self, regions: Sequence[str] = ("US",)) -> None:
        self.regions = tuple(regions)
        # Cheap length test before the (slow) phonenumbers parse of a national candidate.
        self._lengths = {r: _national_lengths(r) for r in self.regions}
        # Where the trunk prefix is 0 (GB, DE, FR, ...), national numbers are written with it.
        self._trunk0 = {r for r in self.regions if phonenumbers.PhoneMetadata.metadata_for_region(r).national_prefix == "0"}
        self._nanp_regions = {r for r in self.regions if phonenumbers.country_code_for_region(r) == 1}
        self._nanp = bool(self._nanp_regions)

    def mask(self, value: str) -> str:
        return mask_digits(value, keep_last=2)

    def _international(self, probe: str) -> tuple[int, float]:
        """(length of the longest group-aligned valid prefix, score), else the whole probe if possible, else (0, 0)."""
        runs = [(m.end(), m.end() - m.start()) for m in _DIGIT_RUN.finditer(probe)]
        n = sum(length for _, length in runs)  # digits in the prefix ending after the current group
        for end, length in reversed(runs):
            if n < MIN_DIGITS:
                break
            if n <= MAX_DIGITS and _parse(probe[:end], None)[0]:
                return end, SCORE_INTERNATIONAL
            n -= length
        digits = sum(length for _, length in runs)
        if MIN_DIGITS <= digits <= MAX_DIGITS and _parse(probe, None)[1]:
            return len(probe), SCORE_INTERNATIONAL_UNASSIGNED
        return 0, 0.0

    def _national(self, value: str) -> float:
        """The score of a national candidate (0 when it is no phone number)."""
        digit_string = _NON_DIGIT.sub("", value)
        digits = len(digit_string)
        if not MIN_DIGITS <= digits <= MAX_DIGITS or _NOT_A_NUMBER.fullmatch(value):
            return 0.0
        grouped = digits != len(value)
        if grouped and not value[-2].isdigit():
            return 0.0  # a one-digit last group is a check digit (ISBN "0-12-661193-9"), not part of a number
        has_trunk = value.lstrip("(")[0] == "0"
        nanp = _NANP_NUMBER.fullmatch(digit_string[-10:]) is not None and (digits == 10 or digit_string[0] == "1")
        for region in self.regions:
            if region in self._nanp_regions and not nanp:
                continue  # cheaper than the parse: NANP numbers are NPA-NXX-XXXX with NPA, NXX from 2-9
            if (has_trunk or region not in self._trunk0) and digits in self._lengths[region] and _parse(value, region)[0]:
                return SCORE_NATIONAL
        if self._nanp and grouped and NANP_SHAPE.fullmatch(value):
            return SCORE_NATIONAL
        return 0.0

    def analyze(self, text: str) -> Iterator[Finding]:
        intl_starts: list[int] = []
        intl_ends: list[int] = []
        pos = 0
        while m := INTERNATIONAL.search(text, pos):
            start, value = m.start(), m.group("num")
            # "0044 ..." is the international prefix: parse it as "+44 ..."; "+44 (0)20" drops the trunk "(0)".
            probe = ("+" + value[2:] if value.startswith("00") else value).replace("(0)", "   ")
            end, score = self._international(probe)
            if not end:
                pos = start + 1  # a later number may start inside this candidate ("... 0044 20 ...")
                continue
            end = start + end + len(value) - len(probe)
            if end == m.end("num"):
                end = m.end()  # the extension belongs to the number
            intl_starts.append(start)
            intl_ends.append(end)
            pos = end
            yield Finding(start, end, self.entity, score)
        if not self.regions:
            return
        for m in (m for regex in NATIONAL for m in regex.finditer(text)):
            start = m.start()
            i = bisect_right(intl_starts, start) - 1
            if i >= 0 and start < intl_ends[i]:
                continue  # inside an international number already found
            score = self._national(m.group("num"))
            if score:
                yield Finding(start, m.end(), self.entity, score)


def recognizers(regions: Sequence[str] = ("US",)) -> list[Recognizer]:
    return [PhoneRecognizer(regions)]
