"""One view per audit section. Sections come from other modules and may change shape, so they are
read defensively: a builder (registry `SECTION_BUILDERS`) charts what it recognises and returns the
nodes it used; everything else goes to `generic_blocks`, which renders any JSON as key/value lists
and tables. A builder that still trips over an unexpected shape falls back to the generic view with
a visible note (the verdict is never affected).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from rai.core.formatting import details_label, format_number
from rai.audit.gate.verdict import RuleResult, Status
from rai.audit.metric_ids import UNIT, lookup
from rai.audit.result import MetricRecord
from rai.reports.blocks import (MAX_ROWS, Block, Figure, KeyValues, Note, Table, as_number, as_pair, cell_text, generic_blocks,
                            is_scalar, walk, without)
from rai.reports.charts import Bar, Series, Threshold, bar_chart, histogram, histogram_of, line_chart

SECTION_ORDER = ("fairness", "counterfactual", "privacy", "pii", "toxicity")
SECTION_TITLES = {"fairness": "Fairness", "counterfactual": "Counterfactual fairness", "privacy": "Privacy",
                  "pii": "Personal data (PII)", "toxicity": "Toxicity"}
NOTE_FALLBACK = "The {section} section has a shape this report does not chart ({error}); it is shown as raw data."


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


def short_label(details: dict[str, Any]) -> str:
    """What tells a metric's records apart in a chart: the class / attribute / label / attack values, else all details."""
    keys = [k for k in IDENTIFYING_KEYS if is_scalar(details.get(k)) and details.get(k) is not None]
    return ", ".join(str(details[k]) for k in keys) if keys else details_label(details)


def _status_colour(status: str) -> str:
    return {"fail": "fail", "missing": "fail", "warn": "warn"}.get(status, "")


def metric_blocks(ctx: SectionContext) -> list[Block]:
    """The section's metric records as a table, and a chart per gated metric (whiskers + threshold)."""
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
        if metric not in ctx.rules:
            continue
        recs = [r for r in ctx.records if r.id == metric]
        spec = lookup(metric)
        bars = [Bar(short_label(r.details) or metric, as_number(r.value), *(r.ci if r.ci is not None and None not in r.ci else (None, None)),
                    bad=_status_colour(ctx.record_status(r))) for r in recs]
        domain = (0.0, 1.0) if spec is not None and spec.range == UNIT else None
        blocks.append(Figure(bar_chart(bars, title=metric, thresholds=ctx.thresholds(metric), domain=domain),
                             caption=f"{metric}: value per record with its interval; dashed: the policy threshold."))
    return blocks


# --- section builders: chart what they recognise, return the nodes they used --------------------
GROUP_KEYS = ("group", "name", "label")
FAIRNESS_FIELDS = ("selection_rate", "true_positive_rate", "false_positive_rate", "tpr", "fpr")
CONTEXT_KEYS = ("class", "attribute", "column")


def _group_name(row: dict[str, Any]) -> str | None:
    for k in GROUP_KEYS:
        if isinstance(row.get(k), (str, int, float)) and not isinstance(row.get(k), bool):
            return str(row[k])
    return None


def _field(row: dict[str, Any], f: str) -> Any:
    """A group row's field, also when nested as `row["metrics"][f]` (the fairness audit's shape)."""
    if f in row:
        return row[f]
    metrics = row.get("metrics")
    return metrics.get(f) if isinstance(metrics, dict) else None


def _field_interval(row: dict[str, Any], f: str) -> tuple[float | None, float | None]:
    nested = _field(row, f)
    if isinstance(nested, dict):  # {"value": 0.4, "ci": [..]}
        pair = as_pair(nested.get("ci"))
        if pair:
            return pair
    for key in (f"{f}_ci", f"ci_{f}"):
        pair = as_pair(row.get(key))
        if pair:
            return pair
    ci = row.get("ci")
    if isinstance(ci, dict):
        pair = as_pair(ci.get(f))
        if pair:
            return pair
    lo, hi = as_number(row.get(f"{f}_low")), as_number(row.get(f"{f}_high"))
    return (lo, hi) if lo is not None and hi is not None else (None, None)


def _field_value(row: dict[str, Any], f: str) -> float | None:
    v = _field(row, f)
    if isinstance(v, dict):  # {"value": 0.4, "ci": [..]}
        return as_number(v.get("value"))
    return as_number(v)


def _group_lists(node: Any, context: tuple[str, ...] = (), key: str = "") -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Every list of group rows (objects naming a group) with a label from the enclosing objects'
    `class` / `attribute` / `column` values (e.g. "class >50K / sex"), else the key it sits under."""
    if isinstance(node, dict):
        here = context + tuple(f"{k}={node[k]}" if k == "class" else f"{node[k]}" for k in CONTEXT_KEYS
                               if is_scalar(node.get(k)) and node.get(k) is not None)
        for k, v in node.items():
            yield from _group_lists(v, here, str(k))
    elif isinstance(node, list):
        if node and all(isinstance(r, dict) and _group_name(r) is not None for r in node):
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
            if not any(_field_value(r, f) is not None for r in rows):
                continue
            bars = []
            for r in rows:
                lo, hi = _field_interval(r, f)
                if lo is None and f == ci_field:  # a bare "ci" that belongs to this field
                    lo, hi = as_pair(r.get("ci")) or (None, None)
                bars.append(Bar(_group_name(r) or "?", _field_value(r, f), lo, hi))
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
    body = tuple((cell_text(_group_name(r)), *(cell_text(r.get(k)) for k in plain),
                  *(cell_text(r["metrics"].get(m)) if isinstance(r.get("metrics"), dict) else "" for m in metric_names))
                 for r in rows[:MAX_ROWS])
    return Table(f"{where}: {first}s", columns, body, f"first {MAX_ROWS} of {len(rows)} groups" if len(rows) > MAX_ROWS else "")


def _group_tables_and_charts(content: Any, ctx: SectionContext, fields: tuple[str, ...],
                             ratio_rule: str | None = None) -> tuple[list[Block], set[int]]:
    blocks: list[Block] = []
    used: set[int] = set()
    for where, rows in _group_lists(content):
        blocks.append(_group_table(where or ctx.name, rows))
        used.add(id(rows))
    return blocks + group_charts(content, ctx, fields, ratio_rule=ratio_rule), used


def fairness_blocks(content: dict[str, Any], ctx: SectionContext) -> tuple[list[Block], set[int]]:
    """Per attribute: a table of group metrics, and bar charts of selection rate, TPR and FPR with
    their intervals (the selection rate with the four-fifths line of the policy)."""
    return _group_tables_and_charts(content, ctx, FAIRNESS_FIELDS, ratio_rule="fairness.demographic_parity_ratio")


def counterfactual_blocks(content: dict[str, Any], ctx: SectionContext) -> tuple[list[Block], set[int]]:
    """Per text column: a table of the identity-term pairs, and their flip rate and mean change with intervals."""
    return _group_tables_and_charts(content, ctx, ("flip_rate", "mean_abs_delta"))


def _is_roc(node: Any) -> bool:
    return isinstance(node, dict) and isinstance(node.get("fpr"), list) and isinstance(node.get("tpr"), list) \
        and len(node["fpr"]) == len(node["tpr"]) >= 2


def _roc_series(content: Any) -> tuple[list[Series], set[int]]:
    """ROC curves anywhere in a section: objects with equal-length `fpr` and `tpr` lists.

    A curve stored as `attacks.<name>.roc` is named after the attack, with the attack's `auc`.
    """
    series, used = [], set()
    for path, node in walk({"": content}):
        if not isinstance(node, dict):
            continue
        for key, child in node.items():
            if not _is_roc(child):
                continue
            own = next((str(child[k]) for k in ("name", "attack", "label") if isinstance(child.get(k), (str, int))), None)
            name = own or (path[-1] if key == "roc" and path and path[-1] else str(key) or "attack")
            auc = as_number(child.get("auc"))
            auc = auc if auc is not None else as_number(node.get("auc"))
            series.append(Series(name + (f" (AUC {format_number(auc)})" if auc is not None else ""),
                                 [as_number(x) for x in child["fpr"]], [as_number(y) for y in child["tpr"]]))
            used |= {id(child["fpr"]), id(child["tpr"])} | ({id(child["thresholds"])} if isinstance(child.get("thresholds"), list) else set())
    return series, used


def _claim_and_measurement(content: dict[str, Any]) -> KeyValues | None:
    """The ledger's ε beside the one-run audit's lower bound: a bound above the claim refutes it."""
    guarantee = content.get("guarantee") if isinstance(content.get("guarantee"), dict) else {}
    one_run = content.get("one_run") if isinstance(content.get("one_run"), dict) else None
    if not guarantee and one_run is None:
        return None
    claimed = as_number(guarantee.get("epsilon")) if guarantee.get("dp") else None
    items = [("claimed ε (privacy.json)", format_number(claimed) if claimed is not None else "none (trained without DP)"),
             ("δ", format_number(as_number(guarantee.get("delta"))))]
    if one_run is None:
        items.append(("one-run ε lower bound", "not measured (train with --audit-canaries M)"))
    else:
        confidence = as_number(one_run.get("confidence"))
        items.append(("one-run ε lower bound", f"{format_number(as_number(one_run.get('epsilon_lower_bound')))} at "
                      f"{format_number(confidence * 100 if confidence is not None else None)}% confidence: "
                      f"{cell_text(one_run.get('correct'))} of {cell_text(one_run.get('guesses'))} guesses right on "
                      f"{cell_text(one_run.get('m'))} audit canaries"))
    return KeyValues("Privacy guarantee and its one-run audit", tuple(items))


def privacy_blocks(content: dict[str, Any], ctx: SectionContext) -> tuple[list[Block], set[int]]:
    series, used = _roc_series(content)
    claim = _claim_and_measurement(content)
    blocks: list[Block] = [claim] if claim is not None else []
    if series:
        blocks.append(Figure(line_chart(series, title="Membership inference: ROC curve", x_label="false positive rate",
                                        y_label="true positive rate", diagonal=True),
                             caption="ROC of the membership-inference attack(s); the dashed diagonal is chance."))
        blocks.append(Figure(line_chart(series, title="ROC curve, log-log (low false-positive regime)", x_label="false positive rate",
                                        y_label="true positive rate", diagonal=True, log=True),
                             caption="The same curves on log axes: leakage shows as true positives at very low false-positive rates (Carlini et al. 2022)."))
    return blocks, used


def _threshold_of(content: Any) -> Threshold | None:
    if isinstance(content, dict):
        t = as_number(content.get("threshold"))
        if t is not None:
            return Threshold(t, f"threshold {format_number(t)}")
    return None


def _histogram_figure(node: Any, where: str, threshold: Threshold | None) -> Figure | None:
    edges = node.get("edges") if isinstance(node, dict) else None
    counts = node.get("counts") if isinstance(node, dict) else None
    if not (isinstance(edges, list) and isinstance(counts, list) and len(edges) == len(counts) + 1):
        return None
    numeric = [as_number(e) for e in edges]
    if None in numeric:
        return None
    return Figure(histogram(counts=[as_number(c) or 0.0 for c in counts], edges=numeric, title=f"Toxicity score distribution ({where})",
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
    rates = [Bar(str(name), as_number(b.get("rate")), *(as_pair(b.get("ci")) or (None, None)))
             for name, b in labels.items() if isinstance(b, dict) and "rate" in b]
    if len(rates) > 1:
        blocks.append(Figure(bar_chart(rates, title="Toxicity rate by label", domain=(0.0, 1.0),
                                       thresholds=ctx.thresholds("toxicity.rate")),
                             caption="Share of texts at or above the threshold, per label, with its interval."))
    for path, node in walk(content):
        if isinstance(node, list) and len(node) >= 5 and path and "score" in path[-1].lower() \
                and all(as_number(v) is not None and 0.0 <= v <= 1.0 for v in node):
            where = " / ".join(p for p in path if not p.isdigit())
            blocks.append(Figure(histogram_of(node, title=f"Score distribution ({where})", x_label="score", threshold=threshold),
                                 caption="Number of texts per score bin; bins at or above the threshold are highlighted."))
            used.add(id(node))
    blocks += group_charts(content, ctx, ("rate", "expected_max", "probability"), ci_field="rate")
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


def pii_blocks(content: dict[str, Any], ctx: SectionContext) -> tuple[list[Block], set[int]]:
    counts = {r.id.split(".", 2)[2]: as_number(r.value) for r in ctx.records if r.id.startswith("pii.findings.")}
    if not counts:
        for path, node in walk(content):
            if path and "type" in path[-1].lower() and isinstance(node, dict) and node \
                    and all(as_number(v) is not None for v in node.values()):
                counts = {str(k): as_number(v) for k, v in node.items()}
                break
    if not counts:
        return [], set()
    bars = [Bar(k, v) for k, v in sorted(counts.items(), key=lambda kv: -(kv[1] or 0))]
    return [Figure(bar_chart(bars, title="PII findings by type"), caption="Number of findings per entity type.")], set()


SECTION_BUILDERS: dict[str, Callable[[dict[str, Any], SectionContext], tuple[list[Block], set[int]]]] = {
    "fairness": fairness_blocks,
    "counterfactual": counterfactual_blocks,
    "privacy": privacy_blocks,
    "pii": pii_blocks,
    "toxicity": toxicity_blocks,
}


def section_view(name: str, content: dict[str, Any], ctx: SectionContext) -> SectionView:
    title = SECTION_TITLES.get(name, name)
    blocks = metric_blocks(ctx)
    builder = SECTION_BUILDERS.get(name)
    used: set[int] = set()
    if builder is not None:
        try:
            charts, used = builder(content, ctx)
            blocks += charts
        except (TypeError, ValueError, KeyError, AttributeError, IndexError, ZeroDivisionError) as exc:
            blocks.append(Note(NOTE_FALLBACK.format(section=name, error=f"{type(exc).__name__}: {exc}")))
            used = set()
    return SectionView(name, title, tuple(blocks), tuple(generic_blocks(without(content, used), title)))
