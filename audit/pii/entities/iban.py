"""IBANs: a country code, two check digits and a BBAN of the country's registered length,
printed compact or in groups (spaces or dashes), validated with the ISO 13616 mod-97 check.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from rai.audit.pii.checksums import iban_valid
from rai.audit.pii.masking import mask_alnum
from rai.audit.pii.recognizer import Finding, Pattern, PatternRecognizer, Recognizer

# Total IBAN length per country (SWIFT IBAN registry).
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HN": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21,
    "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28,
    "NL": 18, "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33,
    "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}


# A country code and check digits at a word start, then up to 30 BBAN characters in any grouping;
# `IbanRecognizer` cuts the candidate at the length the country registered.
IBAN = r"[A-Z][A-Z]\d\d(?<![A-Za-z0-9][A-Z][A-Z]\d\d)(?:[ \-]?[A-Z0-9]){8,30}"
_ALNUM_END = re.compile(r"[A-Z0-9]")


def iban_end(candidate: str) -> int:
    """Where the IBAN in `candidate` ends for its country's length, or 0 if the candidate is too short."""
    length = IBAN_LENGTHS.get(candidate[:2])
    if length is None:
        return 0
    ends = [m.end() for m in _ALNUM_END.finditer(candidate)]
    return ends[length - 1] if len(ends) >= length else 0


class IbanRecognizer(PatternRecognizer):
    def analyze(self, text: str) -> Iterator[Finding]:
        regex, score, pos = self._compiled[0].regex, self.patterns[0].score, 0
        while m := regex.search(text, pos):
            start, candidate = m.start(), m.group(0)
            end = iban_end(candidate)
            runs_on = end and start + end < len(text) and text[start + end].isalnum()  # compact and too long
            if end and not runs_on and self.validate(candidate[:end]):
                yield Finding(start, start + end, self.entity, score)
                pos = start + end  # the rest of the candidate may hold the next IBAN
            else:
                pos = start + 1


def valid_iban(value: str) -> bool:
    compact = value.replace(" ", "").replace("-", "")
    return IBAN_LENGTHS.get(compact[:2]) == len(compact) and iban_valid(compact)


def mask_iban(value: str) -> str:
    """Country code kept, every other character masked but the last two."""
    return mask_alnum(value, keep_prefix=2, keep_last=2)


def recognizers() -> list[Recognizer]:
    return [IbanRecognizer(
        "iban", [Pattern("iban", IBAN, 0.9)], validate=valid_iban, mask=mask_iban,
        context=("iban", "account", "bank", "transfer", "wire", "sepa", "bic", "swift"), priority=65)]
