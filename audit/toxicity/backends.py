"""The registry of toxicity backends and the `auto` fallback (detoxify, else profanity-check)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rai.audit.toxicity.base import BackendOptions, BackendUnavailable, ToxicityBackend
from rai.audit.toxicity.detoxify_backend import load_detoxify
from rai.audit.toxicity.profanity_backend import load_profanity_check
from rai.core.errors import InputError

BACKENDS: dict[str, Callable[[BackendOptions], ToxicityBackend]] = {
    "detoxify": load_detoxify,
    "profanity-check": load_profanity_check,
}
AUTO = "auto"
AUTO_ORDER = ("detoxify", "profanity-check")
BACKEND_CHOICES = (*BACKENDS, AUTO)

ERR_UNKNOWN = "unknown toxicity backend {name!r} (choose from {choices})"
ERR_NONE_LOADED = ("no toxicity backend could load ({reasons}). Provide Detoxify weights: put the release checkpoint "
                   "in the torch hub cache, or pass --checkpoint FILE.ckpt --hf-config DIR (docs/toxicity.md)")
WARN_FALLBACK = "toxicity scored by {used}, not {wanted}: {reason}"


@dataclass(frozen=True)
class LoadedBackend:
    """The backend that will score, and why it is not the first choice when it is a fallback."""

    backend: ToxicityBackend
    fallback_reason: str | None = None


def load_backend(name: str, options: BackendOptions) -> LoadedBackend:
    """Load backend `name`; `auto` tries AUTO_ORDER and falls back only when a backend is unavailable.

    Any other error (a corrupt --checkpoint, a bad device) stops the audit: a fallback must never
    hide a broken configuration.
    """
    if name != AUTO:
        if name not in BACKENDS:
            raise InputError(ERR_UNKNOWN.format(name=name, choices=", ".join(BACKEND_CHOICES)), where="--backend")
        return LoadedBackend(BACKENDS[name](options))
    reasons: list[str] = []
    for candidate in AUTO_ORDER:
        try:
            backend = BACKENDS[candidate](options)
        except BackendUnavailable as exc:
            reasons.append(f"{candidate}: {exc}")
            continue
        reason = None if not reasons else WARN_FALLBACK.format(used=candidate, wanted=AUTO_ORDER[0], reason="; ".join(reasons))
        return LoadedBackend(backend, reason)
    raise InputError(ERR_NONE_LOADED.format(reasons="; ".join(reasons)), where="--backend")
