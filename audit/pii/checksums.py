"""Check-digit algorithms and a randomness score: the pure maths behind the validators.

Kept apart from the recognizers so the corpus generator can compute check digits with the
same code, while the tests cross-check it against an independent implementation (stdnum).
"""

from __future__ import annotations

import math
from collections import Counter

_LUHN_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)


def luhn_sum(digits: str) -> int:
    """The Luhn sum of a digit string (the check digit included, if any)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        total += _LUHN_DOUBLED[d] if i % 2 else d
    return total


def luhn_valid(digits: str) -> bool:
    return bool(digits) and digits.isdigit() and luhn_sum(digits) % 10 == 0


def luhn_check_digit(payload: str) -> str:
    """The digit that makes `payload + digit` pass the Luhn check."""
    return str((10 - luhn_sum(payload + "0") % 10) % 10)


def _iban_number(rearranged: str) -> int:
    # Letters count as 10..35 (A=10); int(ch, 36) does exactly that for 0-9A-Z.
    return int("".join(str(int(ch, 36)) for ch in rearranged))


def iban_valid(compact: str) -> bool:
    """ISO 13616 mod-97 check of an upper-case IBAN without separators."""
    if len(compact) < 5 or not compact.isalnum() or not compact.isascii():
        return False
    return _iban_number(compact[4:] + compact[:4]) % 97 == 1


def iban_check_digits(country: str, bban: str) -> str:
    """The two check digits of the IBAN with this country code and BBAN."""
    return f"{98 - _iban_number(bban + country + '00') % 97:02d}"


def shannon_entropy(value: str) -> float:
    """Bits per character of `value`: random keys score high, words and placeholders low."""
    if not value:
        return 0.0
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())
