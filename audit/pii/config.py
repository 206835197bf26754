"""What to scan for, as a small picklable value: every worker process builds its own Scanner from it."""

from __future__ import annotations

from dataclasses import dataclass

from rai.audit.pii import ner_backend, presidio_backend
from rai.audit.pii.engine import DEFAULT_MIN_SCORE, Scanner
from rai.audit.pii.registry import (
    BUILTIN_ENTITIES,
    ERR_UNKNOWN_ENTITY,
    RecognizerOptions,
    check_phone_regions,
    default_registry,
)
from rai.core.errors import InputError

ERR_NEEDS_PRESIDIO = "entity type(s) {names} need --presidio or --ner-model"
ERR_MIN_SCORE = "min_score must be between 0 and 1, got {value}"


@dataclass(frozen=True)
class ScanConfig:
    """`entities` None means every type available; `presidio_model` None means no Presidio backend,
    `ner_model` None no token-classification model (else the model directory)."""

    entities: tuple[str, ...] | None = None
    min_score: float = DEFAULT_MIN_SCORE
    phone_regions: tuple[str, ...] = ("US",)
    presidio_model: str | None = None
    ner_model: str | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_score <= 1.0:
            raise InputError(ERR_MIN_SCORE.format(value=self.min_score))
        object.__setattr__(self, "phone_regions", check_phone_regions(self.phone_regions))
        if self.ner_model is not None:
            ner_backend.check_model_dir(self.ner_model)
        if self.entities is not None:
            available = self.available_entities()
            unknown = [e for e in self.entities if e not in available]
            presidio_only = [e for e in unknown if e in presidio_backend.ENTITIES + ner_backend.ENTITIES]
            if presidio_only:
                raise InputError(ERR_NEEDS_PRESIDIO.format(names=", ".join(presidio_only)))
            if unknown:
                raise InputError(ERR_UNKNOWN_ENTITY.format(names=", ".join(unknown), known=", ".join(available)))

    def available_entities(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(BUILTIN_ENTITIES + (presidio_backend.ENTITIES if self.presidio_model else ())
                                   + (ner_backend.ENTITIES if self.ner_model else ())))

    @property
    def backend(self) -> str:
        """What found the findings: `rai`, `rai+presidio`, `rai+ner`, `rai+presidio+ner`."""
        return "+".join(["rai"] + (["presidio"] if self.presidio_model else []) + (["ner"] if self.ner_model else []))

    @property
    def scanned_entities(self) -> tuple[str, ...]:
        """The entity types a scan with this config reports (and emits metrics for, zeros included)."""
        available = self.available_entities()
        return available if self.entities is None else tuple(e for e in available if e in self.entities)

    def build(self) -> Scanner:
        wanted = self.scanned_entities
        registry = default_registry(RecognizerOptions(self.phone_regions)).select([e for e in wanted if e in BUILTIN_ENTITIES])
        analyzers = []
        ner = tuple(e for e in wanted if e in presidio_backend.ENTITIES)
        if self.presidio_model and ner:
            analyzers.append(presidio_backend.PresidioAnalyzer(self.presidio_model, entities=ner))
        model_entities = tuple(e for e in wanted if e in ner_backend.ENTITIES)
        if self.ner_model and model_entities:
            analyzers.append(ner_backend.NerAnalyzer(self.ner_model, entities=model_entities))
        return Scanner(registry.recognizers, min_score=self.min_score, record_analyzers=analyzers)
