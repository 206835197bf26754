"""US Social Security numbers with the SSA validity rules.

Never issued: area 000, 666 or 900-999; group 00; serial 0000; and the numbers the SSA lists as
published in advertising (078-05-1120, 219-09-9999, 123-45-6789). `123-45-6789` shaped numbers
score 0.6; dotted and spaced ones (`123.45.6789`, `123 45 6789`) 0.5; bare nine-digit runs 0.3, so
those only count with a context word nearby ("SSN", "social security").
"""

from __future__ import annotations

import re

from rai.audit.pii.masking import mask_digits
from rai.audit.pii.recognizer import Pattern, PatternRecognizer, Recognizer

NEGATIVE_CONTEXT = ("isbn", "order", "ticket", "invoice", "tracking", "sku", "serial", "part", "version", "release", "build")
INVALID_PUBLISHED = frozenset({"078051120", "219099999", "123456789"})

# One pass for the three forms: the separator is captured and must repeat (123-45-6789, 123 45 6789,
# 123456789); the score depends on it (see `SsnRecognizer.score`).
SSN = r"\d(?<![\w+\-.]\d)\d\d([ \-.]?)\d\d\1\d{4}(?![\w]|[ \-.]\d)"
SCORES = {"-": 0.6, ".": 0.5, " ": 0.5, "": 0.3}


def valid_ssn(value: str) -> bool:
    digits = value.replace("-", "").replace(" ", "").replace(".", "")
    if len(digits) != 9 or not digits.isdigit() or digits in INVALID_PUBLISHED:
        return False
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


class SsnRecognizer(PatternRecognizer):
    def score(self, pattern: Pattern, match: re.Match[str]) -> float:
        return SCORES[match.group(1)]


def recognizers() -> list[Recognizer]:
    return [SsnRecognizer(
        "us_ssn", [Pattern("ssn", SSN, 0.6)], validate=valid_ssn, mask=mask_digits,
        context=("ssn", "ssns", "social security", "social security number", "ss#", "ss #", "ssa"),
        negative_context=NEGATIVE_CONTEXT, priority=55)]
