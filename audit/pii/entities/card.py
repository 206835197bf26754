"""Payment card numbers: 12 to 19 digits, optionally grouped by spaces or dashes, Luhn-checked,
with an issuer prefix (IIN) and a length that a scheme issues, or has issued.

The scheme table covers Visa (13, 16 and 19 digits), Mastercard (51-55 and the 2221-2720
2-series), American Express, Discover, JCB (3528-3589, and the legacy 15-digit 2131 and 1800),
Diners Club and Carte Blanche, UnionPay, Maestro (its issued IINs, the 56-58 block and the legacy
0604), Mir, RuPay, UATP, enRoute, Dankort, Troy, Verve, InstaPayment, Laser, Solo, Switch, BC Global,
China T-Union, Humo, UkrCard, Borica and GPN (Wikipedia's "Payment card number" table). A Luhn-valid
number of 16-19 digits that starts with 2-6 and is printed the way cards are (compact, or in
groups of four) but has no known prefix still scores 0.6: a missed card is the expensive error,
and new IIN ranges appear every year. Other Luhn-valid digit runs are not reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rai.audit.pii.checksums import luhn_valid
from rai.audit.pii.masking import mask_digits
from rai.audit.pii.recognizer import Pattern, PatternRecognizer, Recognizer


@dataclass(frozen=True)
class Scheme:
    name: str
    #: inclusive IIN ranges as (low, high) strings of equal length: ("51", "55")
    ranges: tuple[tuple[str, str], ...]
    lengths: tuple[int, ...]

    def matches(self, digits: str) -> bool:
        if len(digits) not in self.lengths:
            return False
        return any(low <= digits[:len(low)] <= high for low, high in self.ranges)


def _r(*prefixes: str) -> tuple[tuple[str, str], ...]:
    """Ranges from "51-55" or single "4" notations."""
    out = []
    for p in prefixes:
        low, _, high = p.partition("-")
        out.append((low, high or low))
    return tuple(out)


_16_19 = (16, 17, 18, 19)
SCHEMES: tuple[Scheme, ...] = (
    Scheme("visa", _r("4"), (13, 16, 19)),
    Scheme("mastercard", _r("51-55", "2221-2720"), (16,)),
    Scheme("amex", _r("34", "37"), (15,)),
    Scheme("discover", _r("6011", "644-649", "65", "622126-622925"), _16_19),
    Scheme("jcb", _r("3528-3589"), _16_19),
    Scheme("jcb", _r("2131", "1800"), (15,)),  # legacy JCB numbers, still in old data
    Scheme("diners", _r("300-305", "3095", "36", "38-39"), (14, 15, 16, 17, 18, 19)),
    Scheme("unionpay", _r("62", "81"), _16_19),
    # The issued Maestro IINs, not the whole 50/56-69 block: that block overlaps every other scheme
    # and would turn any Luhn-valid 12-19 digit number starting with 6 into a "card".
    Scheme("maestro", _r("5018", "5020", "5038", "5893", "6304", "6759", "6761-6763", "6771", "6390", "56-58", "0604"),
           tuple(range(12, 20))),
    Scheme("mir", _r("2200-2204"), _16_19),
    Scheme("rupay", _r("60", "65", "81", "82", "508", "353", "356"), _16_19),
    Scheme("uatp", _r("1"), (15,)),
    Scheme("enroute", _r("2014", "2149"), (15,)),
    Scheme("dankort", _r("5019"), (16,)),
    Scheme("troy", _r("9792"), (16,)),
    Scheme("verve", _r("506099-506198", "650002-650027", "507865-507964"), (16, 18, 19)),
    Scheme("instapayment", _r("637-639"), (16,)),
    Scheme("laser", _r("6304", "6706", "6709", "6771"), _16_19),
    Scheme("solo", _r("6334", "6767"), (16, 18, 19)),
    Scheme("switch", _r("4903", "4905", "4911", "4936", "564182", "633110", "6333", "6759"), (16, 18, 19)),
    Scheme("bc_global", _r("6541", "6556"), (16,)),
    Scheme("china_t_union", _r("31"), (19,)),
    Scheme("humo", _r("9860"), (16,)),
    Scheme("ukrcard", _r("60400100-60420099"), _16_19),
    Scheme("borica", _r("2205"), (16,)),
    Scheme("gpn", _r("1946", "50", "56", "58", "60-63"), (16, 18, 19)),
)
SCORE_SCHEME = 0.9
SCORE_UNKNOWN_IIN = 0.6
_SEPARATOR = re.compile(r"[ \-]")

# 12-19 digits, single spaces or dashes between them; never starting or ending inside a longer
# run of digit groups (the lookarounds), so "1234 5678 9012 3456 7890" yields no 16-digit prefix.
CARD = r"\d(?<![\w+\-.]\d)(?<!\d[ \-]\d)(?:[ \-]?\d){11,18}(?![\w]|[ \-]\d)"


def card_scheme(digits: str) -> str | None:
    """The scheme whose prefix and length fit `digits`, or None."""
    for scheme in SCHEMES:
        if scheme.matches(digits):
            return scheme.name
    return None


def printed_like_a_card(value: str) -> bool:
    """Compact, or in the groups cards are printed in (4-4-4-4[-1..3], Amex 4-6-5, Diners 4-6-4)."""
    groups = [len(g) for g in _SEPARATOR.split(value)]
    if len(groups) == 1:
        return True
    return groups in ([4, 6, 5], [4, 6, 4]) or (all(g == 4 for g in groups[:-1]) and 1 <= groups[-1] <= 4)


def unknown_iin(digits: str) -> bool:
    return 16 <= len(digits) <= 19 and digits[0] in "23456"


def valid_card(value: str) -> bool:
    digits = _SEPARATOR.sub("", value)
    if not luhn_valid(digits):
        return False
    return card_scheme(digits) is not None or (unknown_iin(digits) and printed_like_a_card(value))


class CardRecognizer(PatternRecognizer):
    def score(self, pattern: Pattern, match: re.Match[str]) -> float:
        return SCORE_SCHEME if card_scheme(_SEPARATOR.sub("", match.group(0))) else SCORE_UNKNOWN_IIN


NEGATIVE_CONTEXT = ("isbn", "ean", "upc", "imei", "order", "ticket", "invoice", "tracking", "sku", "serial", "part", "ref",
                    "reference")


def recognizers() -> list[Recognizer]:
    return [CardRecognizer(
        "credit_card", [Pattern("card", CARD, SCORE_SCHEME)], validate=valid_card,
        mask=lambda v: mask_digits(v, keep_last=4),
        context=("card", "credit", "debit", "visa", "mastercard", "amex", "maestro", "payment", "cc", "pan"),
        negative_context=NEGATIVE_CONTEXT, priority=60)]
