"""Lists of group rows (objects naming a group) anywhere in a section: a table per list and bar charts
of their rates with intervals. Shared by the counterfactual and toxicity sections.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rai.core.formatting import format_number
from rai.reports.blocks import MAX_ROWS, Block, Figure, Table, as_pair, cell_text, is_scalar
from rai.reports.charts import Bar, Threshold, bar_chart
from rai.reports.sections.common import SectionContext
from rai.reports.stats import Stat, stat

GROUP_KEYS = ("group", "name", "label")
CONTEXT_KEYS = ("class", "attribute", "column")


def group_name(row: dict[str, Any]) -> str | None:
    for k in GROUP_KEYS:
        if isinstance(row.get(k), (str, int, float)) and not isinstance(row.get(k), bool):
            return str(row[k])
    return None


def field_stat(row: dict[str, Any], f: str) -> Stat:
    """A group row's field, also when nested as `row["metrics"][f]` (the fairness audit's shape)."""
    if f not in row and isinstance(row.get("metrics"), dict):
        return stat(row["metrics"], f)
    return stat(row, f)


def _group_lists(node: Any, context: tuple[str, ...] = (), key: str = "") -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Every list of group rows (objects naming a group) with a label from the enclosing objects'
    `class` / `attribute` / `column` values (e.g. "class >50K / sex"), else the key it sits under."""
    if isinstance(node, dict):
        here = context + tuple(f"{k}={node[k]}" if k == "class" else f"{node[k]}" for k in CONTEXT_KEYS
                               if is_scalar(node.get(k)) and node.get(k) is not None)
        for k, v in node.items():
            yield from _group_lists(v, here, str(k))
    elif isinstance(node, list):
        if node and all(isinstance(r, dict) and group_name(r) is not None for r in node):
            yield " / ".join(context) or key, node
        else:
            for v in node:
                yield from _group_lists(v, context, key)


def group_charts(content: Any, ctx: SectionContext, fields: tuple[str, ...], ratio_rule: str | None = None,
                 ci_field: str | None = None) -> list[Block]:
    """Bar charts of per-group rates (lists of objects that name a group), with interval whiskers.

    For the selection rate, the threshold line is the policy's ratio rule applied to the best group
    (e.g. 0.8 x the highest rate: the four-fifths line).
    """
    blocks: list[Block] = []
    for where, rows in _group_lists(content):
        for f in fields:
            if not any(field_stat(r, f).value is not None for r in rows):
                continue
            bars = []
            for r in rows:
                s = field_stat(r, f)
                lo, hi = s.ci or ((as_pair(r.get("ci")) or (None, None)) if f == ci_field else (None, None))  # a bare "ci" of this field
                bars.append(Bar(group_name(r) or "?", s.value, lo, hi))
            thresholds = []
            values = [b.value for b in bars if b.value is not None]
            if ratio_rule and f == "selection_rate" and values:
                for t in ctx.thresholds(ratio_rule):
                    thresholds.append(Threshold(t.value * max(values), f"{format_number(t.value)} x highest rate"))
            blocks.append(Figure(bar_chart(bars, title=f"{where or ctx.name}: {f}", thresholds=thresholds, domain=(0.0, 1.0)),
                                 caption=f"{f} by group ({where or ctx.name}) with its interval."))
    return blocks


def _group_table(where: str, rows: list[dict[str, Any]]) -> Table:
    """Group rows as one table: the group, its size, then each metric as 'value [interval]'."""
    metric_names = list(dict.fromkeys(k for r in rows if isinstance(r.get("metrics"), dict) for k in r["metrics"]))
    plain = [k for k in dict.fromkeys(k for r in rows for k in r) if k not in ("metrics", "vs_reference") and k not in GROUP_KEYS]
    first = next((k for k in GROUP_KEYS if any(k in r for r in rows)), "group")
    columns = (first, *plain, *metric_names)
    body = tuple((cell_text(group_name(r)), *(cell_text(r.get(k)) for k in plain),
                  *(cell_text(r["metrics"].get(m)) if isinstance(r.get("metrics"), dict) else "" for m in metric_names))
                 for r in rows[:MAX_ROWS])
    return Table(f"{where}: {first}s", columns, body, f"first {MAX_ROWS} of {len(rows)} groups" if len(rows) > MAX_ROWS else "")


def group_tables_and_charts(content: Any, ctx: SectionContext, fields: tuple[str, ...],
                             ratio_rule: str | None = None) -> tuple[list[Block], set[int]]:
    blocks: list[Block] = []
    used: set[int] = set()
    for where, rows in _group_lists(content):
        blocks.append(_group_table(where or ctx.name, rows))
        used.add(id(rows))
    return blocks + group_charts(content, ctx, fields, ratio_rule=ratio_rule), used
