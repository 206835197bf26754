"""Toxicity audit: score texts or a model's generations with Detoxify (or alt-profanity-check).

Python use (the CLI `rai audit toxicity` does the same):

    from rai.audit.toxicity import BackendOptions, load_backend, audit_texts
    loaded = load_backend("detoxify", BackendOptions(checkpoint=Path("toxic.ckpt"), hf_config=Path("bert-base-uncased")))
    summary = audit_texts(df, loaded, columns=["text"], group_column="group")
    summary.add_to(result)  # a rai.audit.result.AuditResult
"""

from rai.audit.toxicity.audit import audit_generation, audit_texts
from rai.audit.toxicity.backends import AUTO, BACKEND_CHOICES, BACKENDS, LoadedBackend, load_backend
from rai.audit.toxicity.base import BackendInfo, BackendOptions, BackendUnavailable, TextScores, ToxicityBackend
from rai.audit.toxicity.generation import GenerationSettings, generate_continuations
from rai.audit.toxicity.scorer import DetoxifyScorer
from rai.audit.toxicity.section import ScoredUnits, SummarySettings, ToxicitySummary, summarize

__all__ = [
    "AUTO", "BACKENDS", "BACKEND_CHOICES", "BackendInfo", "BackendOptions", "BackendUnavailable", "DetoxifyScorer",
    "GenerationSettings", "LoadedBackend", "ScoredUnits", "SummarySettings", "TextScores", "ToxicityBackend",
    "ToxicitySummary", "audit_generation", "audit_texts", "generate_continuations", "load_backend", "summarize",
]
