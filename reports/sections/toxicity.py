"""The toxicity section: the primary label's score distribution, the rate per label and per group,
the largest gap between groups, and the most toxic examples behind a content warning."""

from __future__ import annotations

from typing import Any

from rai.core.formatting import format_number
from rai.reports.blocks import Block, Figure, KeyValues, Table, cell_text, walk
from rai.reports.charts import Bar, Threshold, bar_chart, histogram, histogram_of
from rai.reports.sections.common import SectionContext
from rai.reports.sections.groups import group_charts
from rai.reports.stats import number, stat


def gap_blocks(ctx: SectionContext) -> list[Block]:
    """`toxicity.max_group_gap` per attribute: which groups, how far apart (percentage points)."""
    items = []
    for r in ctx.records:
        if r.id == "toxicity.max_group_gap" and number(r.value) is not None:
            d = r.details
            items.append((f"{d.get('attribute', 'groups')} ({d.get('label', 'toxicity')})",
                          f"{100 * float(r.value):.1f} percentage points between {d.get('max_group')} and {d.get('min_group')}"
                          + (f" (interval {100 * r.ci[0]:.1f} to {100 * r.ci[1]:.1f})" if r.ci and None not in r.ci else "")))
    return [KeyValues("Largest gap between groups", tuple(items))] if items else []


def _threshold_of(content: Any) -> Threshold | None:
    if isinstance(content, dict):
        t = number(content.get("threshold"))
        if t is not None:
            return Threshold(t, f"threshold {format_number(t)}")
    return None


def _histogram_figure(node: Any, where: str, threshold: Threshold | None) -> Figure | None:
    edges = node.get("edges") if isinstance(node, dict) else None
    counts = node.get("counts") if isinstance(node, dict) else None
    if not (isinstance(edges, list) and isinstance(counts, list) and len(edges) == len(counts) + 1):
        return None
    numeric = [number(e) for e in edges]
    if None in numeric:
        return None
    return Figure(histogram(counts=[number(c) or 0.0 for c in counts], edges=numeric, title=f"Toxicity score distribution ({where})",
                            x_label="score", threshold=threshold),
                  caption="Number of texts per score bin; bins at or above the threshold are highlighted.")


def toxicity_blocks(content: dict[str, Any], ctx: SectionContext) -> tuple[list[Block], set[int]]:
    """The primary label's score histogram, the rate per label and per group (with intervals).

    Histograms of the other labels are left out of the report (their rates are charted instead).
    """
    blocks: list[Block] = []
    used: set[int] = set()
    threshold = _threshold_of(content)
    labels = content.get("labels") if isinstance(content.get("labels"), dict) else {}
    primary = content.get("primary_label")
    for name, block in labels.items():
        hist = block.get("histogram") if isinstance(block, dict) else None
        figure = _histogram_figure(hist, str(name), threshold)
        if figure is None:
            continue
        used |= {id(hist["edges"]), id(hist["counts"])}
        if name == primary or primary not in labels:
            blocks.append(figure)
    rates = [Bar(str(name), r.value, *(r.ci or (None, None)))
             for name, r in ((name, stat(b, "rate")) for name, b in labels.items() if isinstance(b, dict) and "rate" in b)]
    if len(rates) > 1:
        blocks.append(Figure(bar_chart(rates, title="Toxicity rate by label", domain=(0.0, 1.0),
                                       thresholds=ctx.thresholds("toxicity.rate")),
                             caption="Share of texts at or above the threshold, per label, with its interval."))
    for path, node in walk(content):
        if isinstance(node, list) and len(node) >= 5 and path and "score" in path[-1].lower() \
                and all(number(v) is not None and 0.0 <= v <= 1.0 for v in node):
            where = " / ".join(p for p in path if not p.isdigit())
            blocks.append(Figure(histogram_of(node, title=f"Score distribution ({where})", x_label="score", threshold=threshold),
                                 caption="Number of texts per score bin; bins at or above the threshold are highlighted."))
            used.add(id(node))
    blocks += group_charts(content, ctx, ("rate", "expected_max", "probability"), ci_field="rate")
    blocks += gap_blocks(ctx)
    examples = content.get("examples")
    if isinstance(examples, dict) and isinstance(examples.get("items"), list) and examples["items"]:
        blocks.append(_examples_table(examples))
        used.add(id(examples))
    return blocks, used


def _examples_table(examples: dict[str, Any]) -> Table:
    """The most toxic texts, folded behind the section's content warning (escaped like every cell)."""
    items = [i for i in examples["items"] if isinstance(i, dict)]
    where = [" ".join(f"{k} {i[k]}" for k in ("row", "column", "prompt", "sample") if k in i) for i in items]
    rows = tuple((cell_text(i.get("score")), cell_text(i.get("group")), w, cell_text(i.get("text"), limit=400))
                 for i, w in zip(items, where))
    warning = str(examples.get("warning") or "These examples may contain offensive language.")
    return Table(f"Most toxic examples ({examples.get('label', 'score')})", ("score", "group", "where", "text"), rows,
                 fold=f"Content warning: {warning} Open to show.", fold_class="cw")
