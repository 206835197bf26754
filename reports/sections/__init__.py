"""One view per audit section, each designed by its own module (fairness, privacy, pii, toxicity,
counterfactual). Sections come from other modules and may change shape, so they are read
defensively: a builder (registry `SECTION_BUILDERS`) draws what it recognises and returns the nodes
it used; the rest goes to the report's collapsed appendix as key/value lists and tables. A builder
that still trips over an unexpected shape falls back to the raw view with a visible note (the
verdict is never affected).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rai.reports.blocks import Block, Note, generic_blocks, without
from rai.reports.sections.common import (IDENTIFYING_KEYS, SectionContext, SectionView, identifying_label, metric_blocks,
                                          short_label)
from rai.reports.sections.counterfactual import counterfactual_blocks
from rai.reports.sections.fairness import fairness_blocks
from rai.reports.sections.monitor import monitor_blocks
from rai.reports.sections.pii import pii_blocks
from rai.reports.sections.privacy import privacy_blocks
from rai.reports.sections.toxicity import toxicity_blocks

__all__ = ["IDENTIFYING_KEYS", "NOTE_FALLBACK", "SECTION_BUILDERS", "SECTION_ORDER", "SectionContext", "SectionView",
           "identifying_label", "section_view", "short_label"]

SECTION_ORDER = ("fairness", "counterfactual", "privacy", "pii", "toxicity", "monitor")
SECTION_TITLES = {"fairness": "Fairness", "counterfactual": "Counterfactual fairness", "privacy": "Privacy",
                  "pii": "Personal data (PII)", "toxicity": "Toxicity", "monitor": "Monitoring (time series)"}
NOTE_FALLBACK = "The {section} section has a shape this report does not chart ({error}); it is shown as raw data."

SECTION_BUILDERS: dict[str, Callable[[dict[str, Any], SectionContext], tuple[list[Block], set[int]]]] = {
    "fairness": fairness_blocks,
    "counterfactual": counterfactual_blocks,
    "privacy": privacy_blocks,
    "pii": pii_blocks,
    "toxicity": toxicity_blocks,
    "monitor": monitor_blocks,
}


def section_view(name: str, content: dict[str, Any], ctx: SectionContext) -> SectionView:
    """The builder's design; its metric records (the gated ones are in the gate table) and what it did not
    use go to the appendix. A section without a builder shows its metric records and charts."""
    title = SECTION_TITLES.get(name, name)
    builder = SECTION_BUILDERS.get(name)
    if builder is None:
        return SectionView(name, title, tuple(metric_blocks(ctx)), tuple(generic_blocks(content, title)))
    blocks: list[Block] = []
    try:
        blocks, used = builder(content, ctx)
    except (TypeError, ValueError, KeyError, AttributeError, IndexError, ZeroDivisionError) as exc:
        blocks, used = [Note(NOTE_FALLBACK.format(section=name, error=f"{type(exc).__name__}: {exc}"))], set()
    return SectionView(name, title, tuple(blocks), tuple(metric_blocks(ctx, charts=False) + generic_blocks(without(content, used), title)))
