"""Payment card numbers: 12 to 19 digits, optionally grouped by spaces or dashes, Luhn-checked,
with an issuer prefix (IIN) and a length that a major scheme actually issues.

The scheme table covers Visa (13, 16 and 19 digits), Mastercard (51-55 and the 2221-2720
2-series), American Express, Discover, JCB, Diners Club, UnionPay, Maestro (12-19 digits), Mir and
RuPay. A digit run that merely passes Luhn without a known prefix and length is not reported.
Prefixes follow the networks' published IIN ranges (Wikipedia's "Payment card number" table).
"""

from __future__ import annotations

from dataclasses import dataclass

from audit.pii.checksums import luhn_valid
from audit.pii.masking import mask_digits
from audit.pii.recognizer import Pattern, PatternRecognizer, Recognizer


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
    Scheme("diners", _r("300-305", "3095", "36", "38-39"), (14, 15, 16, 17, 18, 19)),
    Scheme("unionpay", _r("62", "81"), _16_19),
    # The issued Maestro IINs, not the whole 50/56-69 block: that block overlaps every other scheme
    # and would turn any Luhn-valid 12-19 digit number starting with 6 into a "card".
    Scheme("maestro", _r("5018", "5020", "5038", "5893", "6304", "6759", "6761-6763", "6771", "6390"), tuple(range(12, 20))),
    Scheme("mir", _r("2200-2204"), _16_19),
    Scheme("rupay", _r("60", "65", "81", "82", "508", "353", "356"), _16_19),
)

# 12-19 digits, single spaces or dashes between them; never starting or ending inside a longer
# run of digit groups (the lookarounds), so "1234 5678 9012 3456 7890" yields no 16-digit prefix.
CARD = r"\d(?<![\w+\-.]\d)(?<!\d[ \-]\d)(?:[ \-]?\d){11,18}(?![\w]|[ \-]\d)"


def card_scheme(digits: str) -> str | None:
    """The scheme whose prefix and length fit `digits`, or None."""
    for scheme in SCHEMES:
        if scheme.matches(digits):
            return scheme.name
    return None


def valid_card(value: str) -> bool:
    digits = value.replace(" ", "").replace("-", "")
    return luhn_valid(digits) and card_scheme(digits) is not None


def recognizers() -> list[Recognizer]:
    return [PatternRecognizer(
        "credit_card", [Pattern("card", CARD, 0.9)], validate=valid_card,
        mask=lambda v: mask_digits(v, keep_last=4),
        context=("card", "credit", "debit", "visa", "mastercard", "amex", "maestro", "payment", "cc", "pan"),
        priority=60)]
