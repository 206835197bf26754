"""What every section view shares: the view, the context a builder gets (its metric records and the
policy's rules), and the table of the section's metric records."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rai.core.formatting import details_label, format_number
from rai.audit.gate.verdict import RuleResult, Status
from rai.audit.metric_ids import UNIT, lookup
from rai.audit.result import MetricRecord
from rai.reports.blocks import (Block, Figure, Table, as_number, is_scalar)
from rai.reports.charts import Bar, Threshold, bar_chart



@dataclass(frozen=True)
class SectionView:
    name: str
    title: str
    blocks: tuple[Block, ...]
    appendix: tuple[Block, ...] = ()  # the rest of the section, as key/value lists (the report's collapsed appendix)


# --- context shared by section builders ---------------------------------------------------------
@dataclass
class SectionContext:
    name: str
    records: list[MetricRecord]
    rules: dict[str, list[RuleResult]] = field(default_factory=dict)

    def thresholds(self, metric: str) -> list[Threshold]:
        out: list[Threshold] = []
        for rr in self.rules.get(metric, []):
            for value, word in ((rr.rule.min, "min"), (rr.rule.max, "max")):
                if value is not None and all(t.value != value for t in out):
                    out.append(Threshold(float(value), f"{word} {format_number(value)} ({rr.rule.severity.value})"))
        return out

    def record_status(self, rec: MetricRecord) -> str:
        worst: Status | None = None
        for rr in self.rules.get(rec.id, []):
            for r in rr.records:
                if r.details == rec.details and r.value == rec.value and (worst is None or r.status.rank > worst.rank):
                    worst = r.status
        return worst.value if worst is not None else ""


IDENTIFYING_KEYS = ("class", "attribute", "label", "attack", "column")


def identifying_label(details: dict[str, Any]) -> str:
    """The class / attribute / label / attack values alone ("" when the details have none)."""
    return ", ".join(str(details[k]) for k in IDENTIFYING_KEYS if is_scalar(details.get(k)) and details.get(k) is not None)


def short_label(details: dict[str, Any]) -> str:
    """What tells a metric's records apart in a chart: the class / attribute / label / attack values, else all details."""
    return identifying_label(details) or details_label(details)


def _status_colour(status: str) -> str:
    return {"fail": "fail", "missing": "fail", "warn": "warn"}.get(status, "")


def metric_blocks(ctx: SectionContext, *, charts: bool = True) -> list[Block]:
    """The section's metric records as a table, and (`charts`: for sections without their own design) a
    chart per gated metric with several records (whiskers + threshold)."""
    if not ctx.records:
        return []
    columns = ("metric", "details", "value", "interval", "n", "gate")

    def row(r: MetricRecord, status: str) -> tuple[str, ...]:
        return (r.id, details_label(r.details), format_number(r.value),
                "" if r.ci is None else f"[{format_number(r.ci[0])}, {format_number(r.ci[1])}]",
                format_number(r.n) if r.n is not None else "", status or "not gated")

    judged = [(r, ctx.record_status(r)) for r in ctx.records]
    gated = tuple(row(r, status) for r, status in judged if status)
    others = tuple(row(r, status) for r, status in judged if not status)
    if gated and others:  # what the policy judged first; the rest one click away
        blocks: list[Block] = [Table("Metrics the policy gates", columns, gated),
                               Table("Other metrics", columns, others,
                                     fold=f"{len(others)} more metric record(s), not gated by the policy. Open to show.")]
    else:
        blocks = [Table("Metrics", columns, gated + others)]
    for metric in dict.fromkeys(r.id for r in ctx.records):
        recs = [r for r in ctx.records if r.id == metric]
        if not charts or metric not in ctx.rules or len(recs) < 2:  # one number needs no chart (and δ = 1e-5 none on a 0-1 axis)
            continue
        spec = lookup(metric)
        bars = [Bar(short_label(r.details) or metric, as_number(r.value), *(r.ci if r.ci is not None and None not in r.ci else (None, None)),
                    bad=_status_colour(ctx.record_status(r))) for r in recs]
        domain = (0.0, 1.0) if spec is not None and spec.range == UNIT else None
        blocks.append(Figure(bar_chart(bars, title=metric, thresholds=ctx.thresholds(metric), domain=domain),
                             caption=f"{metric}: value per record with its interval; dashed: the policy threshold."))
    return blocks


