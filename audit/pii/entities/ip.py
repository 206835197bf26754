"""IPv4 and IPv6 addresses, validated by the standard library's `ipaddress`.

IPv4: four dotted decimal octets, not part of a longer dotted run (so `1.2.3.4.5` and version
strings with more parts are not addresses; a dotted quad right after "version", "v", "release",
"build", "firmware" scores 0.35, below the default threshold); `ipaddress` rejects octets above 255 and leading
zeros. IPv6: a run of hex groups and colons that `ipaddress` accepts (full, `::`-compressed, or
with an embedded IPv4 tail); times (`12:30:45`) and MAC addresses are not valid IPv6.
"""

from __future__ import annotations

import ipaddress

from rai.audit.pii.masking import STAR
from rai.audit.pii.recognizer import Pattern, PatternRecognizer, Recognizer

IPV4 = r"\d(?<![\w.\-]\d)\d{0,2}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?![\w\-]|\.\d)"
_H = "[0-9A-Fa-f]"
# At least two colons up front; the run ends on a hex digit, "::" or an embedded IPv4 tail.
IPV6 = (rf"(?<![\w:.])(?={_H}{{0,4}}:{_H}{{0,4}}:)[0-9A-Fa-f:]{{2,39}}(?:(?<=:)\d{{1,3}}(?:\.\d{{1,3}}){{3}})?"
        rf"(?:(?<={_H})|(?<=::))(?![\w]|\.\d|:[0-9A-Fa-f:])")


# A dotted quad after these words is a version number (`Version 9.21.71.5`, `build 10.0.19041.1`).
NEGATIVE_CONTEXT = ("version", "versions", "ver", "v", "release", "build", "firmware", "fw", "revision", "rev", "patch",
                    "update", "upgrade", "oid")


def valid_ip(value: str) -> bool:
    if ":" in value and not any(ch.isalnum() for ch in value):
        return False  # "::" alone is the unspecified address, but in text it is punctuation
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def mask_ip(value: str) -> str:
    """`192.168.1.20` -> `192.***.***.***`; `2001:db8::1` -> `2001:****` (first group only)."""
    if ":" in value:
        return f"{value.split(':')[0] or ':'}:{STAR * 4}"
    return ".".join([value.split(".")[0]] + [STAR * 3] * 3)


def recognizers() -> list[Recognizer]:
    return [PatternRecognizer(
        "ip_address", [
            Pattern("ipv4", IPV4, 0.7, anchor=r"\.(?=\d{1,3}\.\d{1,3}\.\d)", back=r"\d{1,3}+$", window=3),
            Pattern("ipv6", IPV6, 0.7, anchor=r":(?=[0-9A-Fa-f]{0,4}:)", back=r"[0-9A-Fa-f:]{0,39}+$", window=39)],
        validate=valid_ip, mask=mask_ip,
        context=("ip", "ipv4", "ipv6", "address", "host", "server", "client", "from", "login", "connection"),
        negative_context=NEGATIVE_CONTEXT, priority=50)]
