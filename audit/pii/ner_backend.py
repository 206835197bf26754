"""Optional recognizer: a local Hugging Face token-classification checkpoint (`--ner-model DIR`).

Any `...ForTokenClassification` model saved with its tokenizer (a fast one: the pipeline needs
character offsets) works, e.g. a fine-tuned BERT NER model the user already has on disk; rai never
downloads one. Its person and location labels (`PER`/`PERSON`, `LOC`/`LOCATION`/`GPE`, with or
without `B-`/`I-` prefixes) become `person` and `location` findings; other labels are ignored.
Words are labelled by their first sub-token (the pipeline's "first" aggregation), so a finding is
always whole words. Findings go through the same overlap resolution, masking, counts and
redaction as the pattern findings. Loaded lazily: the default scanner never imports transformers.
"""

from __future__ import annotations

import json
from pathlib import Path

from rai.audit.pii.masking import mask_words
from rai.audit.pii.recognizer import Finding
from rai.core.errors import InputError

ERR_NER_MODEL = ("--ner-model {path} is not a token-classification model directory "
                 "(config.json with a ...ForTokenClassification architecture, and its tokenizer)")
ERR_NER_TOKENIZER = "--ner-model {path}: the pipeline needs a fast tokenizer (tokenizer.json) for character offsets"

# Model label (prefix stripped, upper case) -> our entity type.
LABELS = {"PER": "person", "PERSON": "person", "LOC": "location", "LOCATION": "location", "GPE": "location"}
ENTITIES = ("person", "location")
PRIORITY = {"person": 20, "location": 10}


def check_model_dir(path: str) -> str:
    """`path` if it holds a token-classification config (cheap: no model is loaded), else InputError."""
    config = Path(path) / "config.json"
    try:
        architectures = json.loads(config.read_text(encoding="utf-8")).get("architectures") or []
    except (OSError, ValueError, AttributeError):
        raise InputError(ERR_NER_MODEL.format(path=path)) from None
    if not any(str(a).endswith("ForTokenClassification") for a in architectures):
        raise InputError(ERR_NER_MODEL.format(path=path))
    return path


def entity_of(label: str) -> str | None:
    """`B-PER` -> `person`; labels the audit does not report -> None."""
    bare = label.upper().removeprefix("B-").removeprefix("I-")
    return LABELS.get(bare)


class NerAnalyzer:
    """A `RecordAnalyzer` (see `rai.audit.pii.engine`) backed by a transformers token-classification pipeline."""

    priority = PRIORITY

    def __init__(self, path: str, *, entities: tuple[str, ...] = ENTITIES) -> None:
        from transformers import (
            AutoModelForTokenClassification,
            AutoTokenizer,
            pipeline,
        )
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        self.entities = tuple(entities)
        tokenizer = AutoTokenizer.from_pretrained(check_model_dir(path))
        if not tokenizer.is_fast:
            raise InputError(ERR_NER_TOKENIZER.format(path=path))
        model = AutoModelForTokenClassification.from_pretrained(path)
        model.eval()
        self._pipe = pipeline("token-classification", model=model, tokenizer=tokenizer, aggregation_strategy="first",
                              device=-1)
        # Long records are cut into overlapping windows instead of failing past the model's length.
        self._stride = min(32, max(0, (tokenizer.model_max_length or 0) // 4))

    def analyze(self, text: str) -> list[Finding]:
        out = []
        for r in self._pipe(text, stride=self._stride):
            entity = entity_of(r["entity_group"])
            if entity in self.entities and r["end"] > r["start"]:
                out.append(Finding(int(r["start"]), int(r["end"]), entity, round(float(r["score"]), 3)))
        return out

    def mask(self, entity: str, value: str) -> str:
        return mask_words(value)
