"""Secrets: AWS access key ids, private-key blocks, bearer tokens and generic API keys.

Generic keys are keyword-anchored (`api_key = ...`, `"client_secret": "..."`) and must look
random: at least 16 characters, at least two of lower case, upper case and digits, and a
Shannon entropy of at least 3 bits per character, so placeholders (`your_api_key_here`,
`xxxxxxxx...`, `CHANGE_ME_PLEASE`) are not reported. Bearer tokens pass the same test.
Well-known key formats (GitHub, Slack, Stripe, Google, OpenAI) need no keyword.
"""

from __future__ import annotations

import re

from rai.audit.pii.checksums import shannon_entropy
from rai.audit.pii.masking import mask_secret
from rai.audit.pii.recognizer import Pattern, PatternRecognizer, Recognizer

MIN_ENTROPY = 3.0
MIN_SECRET_LENGTH = 16

# Patterns start with their literal prefix (and check the boundary right after it), so `re` can
# scan for the prefix at C speed instead of trying the whole pattern at every position.
AWS_PREFIXES = ("AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AIPA", "ANPA", "ANVA", "AROA", "APKA", "ASCA")
AWS_ACCESS_KEY = rf"A(?<![A-Za-z0-9]A)(?:{'|'.join(p[1:] for p in AWS_PREFIXES)})[A-Z0-9]{{16}}(?![A-Za-z0-9])"

_PEM_LABEL = r"-----BEGIN[A-Z0-9 ]{0,40} PRIVATE KEY(?: BLOCK)?-----"
# A complete block, or (when the END line is missing) the header and the base64 body after it.
PRIVATE_KEY = (rf"{_PEM_LABEL}(?:[^\x00]*?-----END[A-Z0-9 ]{{0,40}} PRIVATE KEY(?: BLOCK)?-----"
               r"|[A-Za-z0-9+/=\s\\:,\-]*[A-Za-z0-9+/=])")

# RFC 6750 token68; a final "." is read as the end of the sentence, not part of the token.
_TOKEN = r"[A-Za-z0-9\-._~+/]{19,}[A-Za-z0-9\-_~+/]=*"
BEARER = rf"(?<![A-Za-z0-9])[Bb]earer[ \t]+({_TOKEN})(?![A-Za-z0-9\-_~+/=]|\.[A-Za-z0-9\-_~+/])"
JWT = r"eyJ(?<![A-Za-z0-9_\-]eyJ)[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}(?![A-Za-z0-9_\-])"

_KEYWORDS = (r"api[_\-. ]?key|apikey|api[_\-]?secret|api[_\-]?token|secret[_\-]?key|secret[_\-]?access[_\-]?key"
             r"|client[_\-]?secret|access[_\-]?token|auth[_\-]?token|private[_\-]?token|refresh[_\-]?token"
             r"|app[_\-]?secret|x-api-key|token|secret")
GENERIC_KEY = (rf"(?<![A-Za-z0-9])(?:{_KEYWORDS})[\"']?[ \t]*(?::=|=>|[:=])[ \t]*[\"']?"
               r"([A-Za-z0-9_\-+/=.]{16,256})(?![A-Za-z0-9_\-+/=.])")
# Anchored on the separator followed by a long value; the keyword is then found just before it.
GENERIC_KEY_ANCHOR = r"[:=>](?=[ \t]*[\"']?[A-Za-z0-9_\-+/=.]{16})"
GENERIC_KEY_BACK = rf"(?<![A-Za-z0-9])(?:{_KEYWORDS})[\"']?[ \t]*[:=]?$"
KNOWN_KEY_FORMATS = (
    Pattern("github", r"gh(?<![A-Za-z0-9_]gh)(?:[pousr]_[A-Za-z0-9]{36,255}|ithub_pat_[A-Za-z0-9_]{22,255})(?![A-Za-z0-9_])",
            0.95, check=False),
    Pattern("slack", r"xox(?<![A-Za-z0-9]xox)[abprs]-[A-Za-z0-9\-]{10,72}(?![A-Za-z0-9\-])", 0.9, check=False),
    Pattern("stripe", r"[sr]k_(?:live|test)_[A-Za-z0-9]{16,99}(?![A-Za-z0-9])", 0.95, check=False,
            anchor=r"k_(?:live|test)_", back=r"(?<![A-Za-z0-9])[sr]$", window=1),
    Pattern("google", r"AIza(?<![A-Za-z0-9_\-]AIza)[0-9A-Za-z_\-]{35}(?![A-Za-z0-9_\-])", 0.9, check=False),
    Pattern("openai", r"sk-(?<![A-Za-z0-9]sk-)(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{32,}(?![A-Za-z0-9_\-])", 0.9),
)


def looks_random(value: str) -> bool:
    """Long, mixed character classes and high entropy: a key, not a word or a placeholder."""
    if len(value) < MIN_SECRET_LENGTH:
        return False
    classes = any(c.islower() for c in value) + any(c.isupper() for c in value) + any(c.isdigit() for c in value)
    return classes >= 2 and shannon_entropy(value) >= MIN_ENTROPY


def mask_pem(value: str) -> str:
    """Only the header line survives: it names the key type, not the key."""
    header = value[: value.index("-----", 5) + 5]
    return f"{header} ****"


_KNOWN_PREFIX = re.compile(r"(?:gh[pousr]_|github_pat_|xox[abprs]-|(?:sk|rk)_(?:live|test)_|AIza|sk-(?:proj-|svcacct-|admin-)?)")


def _known_prefix(value: str) -> int:
    """Length of a key's public format prefix (`ghp_`, `sk_live_`, ...), kept in previews."""
    m = _KNOWN_PREFIX.match(value)
    return m.end() if m else 0


def recognizers() -> list[Recognizer]:
    aws = PatternRecognizer(
        "aws_access_key", [Pattern("aws_access_key_id", AWS_ACCESS_KEY, 0.9)], mask=lambda v: mask_secret(v, keep_prefix=4),
        # No substring prefilter: twelve `in` scans of the text cost more than the pattern's own literal-led scan.
        context=("aws", "access key", "key id"), priority=85)
    pem = PatternRecognizer(
        "private_key", [Pattern("pem_private_key", PRIVATE_KEY, 1.0)], mask=mask_pem, priority=100, anchors=("private key",))
    bearer = PatternRecognizer(
        "bearer_token",
        [Pattern("bearer", BEARER, 0.8, group=1, anchor="earer", back="[Bb]$", window=1), Pattern("jwt", JWT, 0.8, check=False)],
        validate=looks_random, mask=lambda v: mask_secret(v, keep_prefix=3 if v.startswith("eyJ") else 0),
        context=("authorization", "auth", "token", "header"), priority=80, anchors=("bearer", "eyj"))
    keyword = Pattern("keyword_key", GENERIC_KEY, 0.8, group=1, flags=re.IGNORECASE, anchor=GENERIC_KEY_ANCHOR,
                      back=GENERIC_KEY_BACK, window=40)
    api = PatternRecognizer(
        "api_key", [keyword, *KNOWN_KEY_FORMATS], validate=looks_random,
        mask=lambda v: mask_secret(v, keep_prefix=_known_prefix(v)), context=("api", "key", "secret", "token", "credential"),
        priority=75, anchors=("key", "token", "secret", "gh", "xox", "sk_", "rk_", "aiza", "sk-"))
    return [aws, pem, bearer, api]
