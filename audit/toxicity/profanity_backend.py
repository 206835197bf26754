"""The lightweight offline backend: alt-profanity-check (a linear SVM it ships with its own weights).

It detects profanity, not toxicity in Detoxify's sense (no threats or identity attacks without
swear words), so its one label is called `profanity` and the audit names the backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import metadata

import numpy as np

from rai.audit.toxicity.base import BackendInfo, BackendOptions, BackendUnavailable, TextScores
from rai.core.progress import progress

NAME = "profanity-check"
LABEL = "profanity"
CHUNK = 4096
ERR_NOT_INSTALLED = "alt-profanity-check is not installed (pip install alt-profanity-check)"


class ProfanityCheckScorer:
    def __init__(self, predict_prob, info: BackendInfo) -> None:
        self._predict_prob = predict_prob
        self.info = info

    def score(self, texts: Sequence[str]) -> TextScores:
        texts = [str(t) for t in texts]
        values = np.zeros((len(texts), 1), dtype=np.float64)
        for start in progress(range(0, len(texts), CHUNK), desc="scoring profanity", unit="chunk"):
            chunk = texts[start:start + CHUNK]
            values[start:start + len(chunk), 0] = self._predict_prob(chunk)
        return TextScores(labels=(LABEL,), values=values, truncated=np.zeros(len(texts), dtype=bool))


def load_profanity_check(options: BackendOptions) -> ProfanityCheckScorer:
    """alt-profanity-check runs on the CPU and reads no options."""
    try:
        from profanity_check import predict_prob
    except ImportError:
        raise BackendUnavailable(ERR_NOT_INSTALLED) from None
    info = BackendInfo(name=NAME, version=metadata.version("alt-profanity-check"),
                       model="bundled linear SVM (alt-profanity-check)", labels=(LABEL,), primary_label=LABEL,
                       device="cpu", max_length=None)
    return ProfanityCheckScorer(predict_prob, info)
