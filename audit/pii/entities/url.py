"""URLs that carry credentials: `scheme://user:password@host` (database DSNs, git remotes, proxies).

The span runs from the scheme to the end of the host (and port); the path is not part of the
finding. A URL without a password (`https://user@host`) is not reported.
"""

from __future__ import annotations

from rai.audit.pii.masking import STAR, mask_domain
from rai.audit.pii.recognizer import Pattern, PatternRecognizer, Recognizer

URL_CREDENTIALS = (r"[A-Za-z](?<![A-Za-z0-9+.\-][A-Za-z])[A-Za-z0-9+.\-]{0,30}://"
                   r"[^\s/?#@:\x00\"'<>]*:[^\s/?#@\x00\"'<>]+@[A-Za-z0-9](?:[A-Za-z0-9.\-]*[A-Za-z0-9])?(?::\d{1,5})?")


def mask_url(value: str) -> str:
    """`postgres://admin:s3cret@db.example.com:5432` -> `postgres://a****:****@d*.e******.com:5432`."""
    scheme, _, rest = value.partition("://")
    userinfo, _, hostport = rest.rpartition("@")
    user = userinfo.partition(":")[0]
    host, colon, port = hostport.partition(":")
    masked_user = user[0] + STAR * 4 if len(user) >= 3 else STAR * 4 if user else ""
    return f"{scheme}://{masked_user}:{STAR * 4}@{mask_domain(host)}{colon}{port}"


def recognizers() -> list[Recognizer]:
    return [PatternRecognizer(
        "url_credentials", [Pattern("url_credentials", URL_CREDENTIALS, 0.9, anchor="://",
                                               back=r"[A-Za-z][A-Za-z0-9+.\-]{0,30}+$", window=31)], mask=mask_url,
        context=("url", "dsn", "connection", "remote", "proxy", "database"), priority=90, anchors=("://",))]
