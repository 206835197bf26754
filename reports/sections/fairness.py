"""The fairness section, per attribute: a groups × metrics matrix whose cells are coloured by their
distance from the reference group (intervals in small type; groups too small to compare named under
it), and a chart of
the attribute's disparity ratios against the policy's threshold."""

from __future__ import annotations

from typing import Any

from rai.core.formatting import format_number
from rai.reports.blocks import Block, Cell, Figure, Matrix
from rai.reports.charts import Bar, bar_chart
from rai.reports.sections.common import SectionContext
from rai.reports.stats import Stat, stat

NEAR, MID = 0.05, 0.10  # |group − reference| below NEAR is "near", below MID "mid", else "far"
TONE_NOTE = "Cells: blue = the reference group; green within {near} of it, amber within {mid}, red further. Small type: the 95% interval."
SMALL_NOTE = " Too small to compare (left out of the disparities): {groups}."
SHOWN = ("base_rate", "selection_rate", "true_positive_rate", "false_positive_rate", "precision", "accuracy")  # the rest are complements
RATIO_RULES = ("fairness.demographic_parity_ratio", "fairness.equalized_odds_ratio", "fairness.equal_opportunity_ratio")


def _tone(s: Stat, ref: Stat | None, *, is_ref: bool) -> str:
    if is_ref:
        return "ref"
    if s.value is None or ref is None or ref.value is None:
        return ""
    gap = abs(s.value - ref.value)
    return "near" if gap < NEAR else "mid" if gap < MID else "far"


def _cell(s: Stat, tone: str) -> Cell:
    if s.value is None:
        return Cell("null", s.why_null or "undefined", tone)
    return Cell(f"{s.value:.3f}", f"[{s.ci[0]:.3f}, {s.ci[1]:.3f}]" if s.ci else "", tone)


def group_matrix(block: dict[str, Any], where: str, *, legend: bool) -> Matrix | None:
    """Groups as rows, rate metrics as columns (the audit's own names)."""
    groups = [g for g in block.get("groups") or [] if isinstance(g, dict)]
    found = list(dict.fromkeys(m for g in groups if isinstance(g.get("metrics"), dict) for m in g["metrics"]))
    metrics = [m for m in SHOWN if m in found] or found
    compared = [g for g in groups if g.get("small") is not True]
    if not compared or not metrics:
        return None
    reference = block.get("reference_group")
    ref_row = next((g for g in groups if g.get("group") == reference), None)
    rows = []
    for g in compared:
        is_ref = ref_row is not None and g is ref_row
        flag = " (reference)" if is_ref else ""
        stats = [stat(g.get("metrics"), m) for m in metrics]
        refs = [stat(ref_row.get("metrics"), m) if ref_row is not None else None for m in metrics]
        rows.append((Cell(f"{g.get('group')}{flag}", "", "ref" if is_ref else ""),
                     Cell(format_number(g.get("count")) if isinstance(g.get("count"), int) else "?"),
                     *(_cell(s, _tone(s, r, is_ref=is_ref)) for s, r in zip(stats, refs))))
    small = [f"{g.get('group')} (n = {g.get('count')})" for g in groups if g.get("small") is True]
    return Matrix(f"By {where}: rates per group", ("group", "rows", *(m.replace("_", " ") for m in metrics)), tuple(rows),
                  ((TONE_NOTE.format(near=NEAR, mid=MID) if legend else "") + (SMALL_NOTE.format(groups=", ".join(small)) if small else "")).strip())


def disparity_figure(block: dict[str, Any], where: str, ctx: SectionContext) -> Figure | None:
    """The between-group ratios of the attribute (1.0 = equal), with the policy's ratio thresholds."""
    rows = [d for d in block.get("disparities") or [] if isinstance(d, dict) and str(d.get("id", "")).endswith("_ratio")
            and d.get("scope") == "between_groups"]
    if not rows:
        return None
    bars = []
    for d in rows:
        s = stat(d)
        bars.append(Bar(str(d["id"]).removeprefix("fairness.").removesuffix("_ratio").replace("_", " "), s.value,
                        *(s.ci or (None, None)), bad=_status(ctx, str(d["id"]), block.get("attribute"))))
    thresholds = [t for rule in RATIO_RULES for t in ctx.thresholds(rule)]
    unique = list({t.value: t for t in thresholds}.values())
    return Figure(bar_chart(bars, title=f"By {where}: disparity ratios (lowest / highest group)", thresholds=unique, domain=(0.0, 1.0)),
                  caption="1.0 = equal rates; dashed: the policy's minimum; null: fewer than two groups to compare.")


def _status(ctx: SectionContext, metric: str, attribute: Any) -> str:
    rec = next((r for r in ctx.records if r.id == metric and r.details.get("attribute") == attribute), None)
    return {"fail": "fail", "missing": "fail", "warn": "warn"}.get(ctx.record_status(rec), "") if rec is not None else ""


def fairness_blocks(content: dict[str, Any], ctx: SectionContext) -> tuple[list[Block], set[int]]:
    blocks: list[Block] = []
    figures: list[Block] = []  # after the matrices, side by side
    used: set[int] = set()
    views = [v for v in content.get("views") or [] if isinstance(v, dict)]
    for view in views:
        prefix = f"class {view.get('class')} / " if len(views) > 1 else ""
        for block in view.get("attributes") or []:
            if not isinstance(block, dict):
                continue
            where = f"{prefix}{block.get('attribute')}"
            matrix, figure = group_matrix(block, where, legend=not blocks), disparity_figure(block, where, ctx)
            if matrix is not None:
                blocks.append(matrix)
                used.add(id(block.get("groups")))
            if figure is not None:
                figures.append(figure)
                used.add(id(block.get("disparities")))
    return blocks + figures, used
