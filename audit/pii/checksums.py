"""Check-digit algorithms and a randomness score: the pure maths behind the validators.

Kept apart from the recognizers as pure functions; the tests cross-check them against an
independent implementation (python-stdnum), and the labelled corpora never use them.
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


def _iban_number(rearranged: str) -> int:
    # Letters count as 10..35 (A=10); int(ch, 36) does exactly that for 0-9A-Z.
    return int("".join(str(int(ch, 36)) for ch in rearranged))


def iban_valid(compact: str) -> bool:
    """ISO 13616 mod-97 check of an upper-case IBAN without separators."""
    if len(compact) < 5 or not compact.isalnum() or not compact.isascii():
        return False
    return _iban_number(compact[4:] + compact[:4]) % 97 == 1


def shannon_entropy(value: str) -> float:
    """Bits per character of `value`: random keys score high, words and placeholders low."""
    if not value:
        return 0.0
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())
