"""Optional deeper backend: Microsoft Presidio's spaCy NER for names and locations.

Loaded lazily, only with `--presidio`; the default scanner never imports it. It uses whatever spaCy
pipeline the user has installed (or a pipeline directory), never downloads one, and reports
`person` and `location` findings that the engine merges with the pattern findings (overlap
resolution applies: an email address is not a person because its local part is a name).
"""

from __future__ import annotations

import logging
from pathlib import Path

from rai.audit.pii.masking import mask_words
from rai.audit.pii.recognizer import Finding
from rai.core.errors import InputError

ERR_NOT_INSTALLED = ("--presidio needs the optional Presidio backend: pip install 'rai-suite[presidio]' "
                     "(presidio-analyzer and spacy) plus a spaCy pipeline such as en_core_web_sm")
ERR_NO_MODEL = "--presidio found no installed spaCy pipeline: install one (e.g. en_core_web_sm) or pass --spacy-model DIR"
ERR_MODEL_MISSING = "spaCy pipeline {name} is neither an installed package nor a pipeline directory (rai never downloads models)"

# Presidio entity -> our entity type.
ENTITY_MAP = {"PERSON": "person", "LOCATION": "location"}
ENTITIES = tuple(ENTITY_MAP.values())
PRIORITY = {"person": 20, "location": 10}
PREFERRED_MODELS = ("en_core_web_lg", "en_core_web_trf", "en_core_web_md", "en_core_web_sm")


def available() -> bool:
    """Whether Presidio and spaCy can be imported (imports them: only called with --presidio)."""
    try:
        import presidio_analyzer  # noqa: F401
        import spacy  # noqa: F401
    except ImportError:
        return False
    return True


def resolve_model(name: str | None) -> str:
    """The spaCy pipeline to use: `name` if it exists, else the best installed English one."""
    if not available():
        raise InputError(ERR_NOT_INSTALLED)
    import spacy.util

    if name:
        if spacy.util.is_package(name) or Path(name).is_dir():
            return name
        raise InputError(ERR_MODEL_MISSING.format(name=name))
    installed = set(spacy.util.get_installed_models())
    for candidate in PREFERRED_MODELS:
        if candidate in installed:
            return candidate
    if installed:
        return sorted(installed)[0]
    raise InputError(ERR_NO_MODEL)


class PresidioAnalyzer:
    """A `RecordAnalyzer` (see `rai.audit.pii.engine`) backed by Presidio's AnalyzerEngine."""

    priority = PRIORITY

    def __init__(self, model: str, *, entities: tuple[str, ...] = ENTITIES, language: str = "en") -> None:
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import SpacyNlpEngine
        from presidio_analyzer.predefined_recognizers import SpacyRecognizer

        # Presidio logs per-call details at INFO/WARNING; nothing it logs may carry text into our output.
        logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
        self.model, self.language, self.entities = model, language, tuple(entities)
        self._wanted = [k for k, v in ENTITY_MAP.items() if v in self.entities]
        nlp_engine = SpacyNlpEngine(models=[{"lang_code": language, "model_name": resolve_model(model)}])
        nlp_engine.load()
        registry = RecognizerRegistry(
            recognizers=[SpacyRecognizer(supported_language=language, supported_entities=self._wanted)],
            supported_languages=[language])
        self._engine = AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=[language])

    def analyze(self, text: str) -> list[Finding]:
        results = self._engine.analyze(text=text, language=self.language, entities=self._wanted)
        return [Finding(r.start, r.end, ENTITY_MAP[r.entity_type], round(float(r.score), 3))
                for r in results if r.entity_type in self._wanted]

    def mask(self, entity: str, value: str) -> str:
        return mask_words(value)
