"""Masked previews: enough for a reviewer to recognise the kind and place, never the value.

Rules (docs/pii.md): letters and digits are replaced by `*`; what survives is at most one
leading character of a name part, a public prefix that names the format (AKIA, ghp_, eyJ), the
top-level domain, a country code, and a few trailing digits where the industry shows them
(cards: last 4). Short parts are masked entirely, so a preview never contains the value.
"""

from __future__ import annotations

import re

STAR = "*"
_ALNUM = re.compile(r"[A-Za-z0-9]")
_DIGIT = re.compile(r"\d")
_WORD = re.compile(r"\w+")


def _part(word: str) -> str:
    """`example` -> `e******`; parts of 1 or 2 characters are masked entirely."""
    return word[0] + STAR * (len(word) - 1) if len(word) >= 3 else STAR * len(word)


def mask_domain(domain: str) -> str:
    """`mail.example.com` -> `m***.e******.com`: every label masked but an alphabetic top-level one
    (a numeric host such as 10.0.0.12 is masked entirely)."""
    labels = domain.split(".")
    keep_tld = len(labels) > 1 and labels[-1].isalpha()
    masked = [_part(label) for label in (labels[:-1] if keep_tld else labels)]
    return ".".join(masked + ([labels[-1]] if keep_tld else []))


def mask_email(value: str) -> str:
    """`john@example.com` -> `j***@e******.com`."""
    local, _, domain = value.rpartition("@")
    return f"{_part(local)}@{mask_domain(domain)}"


def mask_digits(value: str, keep_last: int = 0) -> str:
    """Replace every digit by `*` except the last `keep_last`; separators stay in place."""
    cut = len(value)
    if keep_last:
        positions = [m.start() for m in _DIGIT.finditer(value)]
        cut = positions[-keep_last] if len(positions) > keep_last else len(value)  # too few digits: mask them all
    return _DIGIT.sub(STAR, value[:cut]) + value[cut:]


def mask_alnum(value: str, keep_prefix: int = 0, keep_last: int = 0) -> str:
    """Replace letters and digits by `*`, keeping a public prefix and some trailing characters."""
    head, middle = value[:keep_prefix], value[keep_prefix:]
    tail = ""
    if keep_last and len(middle) > 2 * keep_last:
        middle, tail = middle[:-keep_last], middle[-keep_last:]
    return head + _ALNUM.sub(STAR, middle) + tail


def mask_secret(value: str, keep_prefix: int = 0) -> str:
    """A fixed-length preview: the public prefix, then `****` (hides the length too)."""
    return value[:keep_prefix] + STAR * 4


def mask_words(value: str) -> str:
    """`Jane Smith` -> `J*** S****` (names and places from the Presidio backend)."""
    return _WORD.sub(lambda m: _part(m.group(0)), value)
