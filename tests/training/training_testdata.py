"""A small learnable text data set for the training tests (importable: conftest modules are not)."""

from __future__ import annotations

import numpy as np
import pandas as pd

POSITIVE = ["good", "great", "nice", "love"]
NEGATIVE = ["bad", "awful", "terrible", "hate"]
FILLER = ["the", "movie", "film", "was", "a", "man", "woman", "my", "week"]


def sentiment_data(n: int, seed: int = 0, *, classes: tuple = (0, 1)) -> pd.DataFrame:
    """Short sentences whose label shows in a sentiment word, with sex and race group columns."""
    rng = np.random.default_rng(seed)
    labels = [classes[i % len(classes)] for i in range(n)]
    cue = {c: words for c, words in zip(classes, [NEGATIVE, POSITIVE, ["never", "not", "or", "an"]])}
    texts = [" ".join([*rng.choice(FILLER, size=3), rng.choice(cue[y]), *rng.choice(FILLER, size=2)]) for y in labels]
    return pd.DataFrame({"id": [f"ex-{i:03d}" for i in range(n)], "text": texts, "label": labels,
                         "sex": rng.choice(["Female", "Male"], size=n), "race": rng.choice(["A", "B", "C"], size=n)})
