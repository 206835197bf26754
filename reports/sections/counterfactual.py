"""The counterfactual-fairness section: identity-term pairs per text column."""

from __future__ import annotations

from typing import Any

from rai.reports.blocks import Block
from rai.reports.sections.common import SectionContext
from rai.reports.sections.groups import group_tables_and_charts


def counterfactual_blocks(content: dict[str, Any], ctx: SectionContext) -> tuple[list[Block], set[int]]:
    """Per text column: a table of the identity-term pairs, and their flip rate and mean change with intervals."""
    return group_tables_and_charts(content, ctx, ("flip_rate", "mean_abs_delta"))
