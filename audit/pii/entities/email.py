"""Email addresses (RFC 5321 shape, without the quoted and comment forms nobody writes in text)."""

from __future__ import annotations

from rai.audit.pii.masking import mask_email
from rai.audit.pii.recognizer import Pattern, PatternRecognizer, Recognizer

# The local part starts at a word start (the lookbehind stops the engine from retrying inside a
# word) and is consumed possessively, so a miss costs one pass over the word, not a quadratic retry.
_LOCAL_FIRST = r"[A-Za-z0-9_%+\-]"
_LOCAL = r"[A-Za-z0-9._%+\-]"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
# Not after "//": `https://user@host` is a URL's user name, not an address.
EMAIL = (rf"{_LOCAL_FIRST}(?<![A-Za-z0-9_%+\-]{_LOCAL_FIRST})(?<!//{_LOCAL_FIRST}){_LOCAL}*+@"
         rf"(?:{_LABEL}\.)+[A-Za-z]{{2,63}}(?![A-Za-z0-9\-]|\.[A-Za-z0-9])")


def valid_email(value: str) -> bool:
    """No empty, dotted-edge or double-dot local part; lengths within RFC 5321."""
    local, _, domain = value.rpartition("@")
    return 0 < len(local) <= 64 and len(domain) <= 253 and not local.endswith(".") and ".." not in local


def recognizers() -> list[Recognizer]:
    pattern = Pattern("email", EMAIL, 0.9, anchor="@", back=rf"{_LOCAL_FIRST}{_LOCAL}{{0,63}}+$")
    return [PatternRecognizer(
        "email", [pattern], validate=valid_email, mask=mask_email,
        context=("email", "e-mail", "mail", "contact", "address"), priority=70, anchors=("@",))]
