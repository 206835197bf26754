"""The privacy section: theory beside measurement. The ledger's (ε, δ) next to the lower bounds that
attacks prove (the one-run audit, membership inference), the membership-inference ROC on log axes
(leakage lives at low false-positive rates), and canary exposure."""

from __future__ import annotations

from typing import Any

from rai.core.formatting import format_number
from rai.reports.blocks import Block, Figure, Table, walk
from rai.reports.charts import Bar, Series, Threshold, bar_chart, line_chart
from rai.reports.explain import fmt, record_in
from rai.reports.sections.common import SectionContext
from rai.reports.stats import number, stat

NO_DP = "none: trained without DP"


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
            auc = stat(child, "auc").value if "auc" in child else stat(node, "auc").value
            series.append(Series(name + (f" (AUC {format_number(auc)})" if auc is not None else ""),
                                 [number(x) for x in child["fpr"]], [number(y) for y in child["tpr"]]))
            used |= {id(child["fpr"]), id(child["tpr"])} | ({id(child["thresholds"])} if isinstance(child.get("thresholds"), list) else set())
    return series, used



def _dict(node: Any) -> dict[str, Any]:
    return node if isinstance(node, dict) else {}


def theory_and_measurement(content: dict[str, Any], ctx: SectionContext) -> tuple[Table, list[Bar]]:
    """What the accountant proves, then what the attacks measured; and the ε values as bars."""
    guarantee, one_run = _dict(content.get("guarantee")), _dict(content.get("one_run"))
    dp = guarantee.get("dp") is True
    claimed = number(guarantee.get("epsilon")) if dp else None
    delta = number(guarantee.get("delta"))
    mia_lb, auc = record_in(ctx.records, "privacy.mia.epsilon_lower_bound"), record_in(ctx.records, "privacy.mia.auc")
    exposure = record_in(ctx.records, "privacy.canary.exposure_mean")
    confidence = number(one_run.get("confidence"))
    rows = [
        ("ε, proven upper bound", format_number(claimed) if claimed is not None else NO_DP,
         f"{guarantee.get('accountant', '?')} accountant, noise multiplier {format_number(number(guarantee.get('noise_multiplier')))}, "
         f"{format_number(number(guarantee.get('steps')))} steps" if dp else "no guarantee"),
        ("δ, proven", f"{delta:.0e}" if delta is not None else "n/a", "chance the ε bound does not hold (keep it below 1 / training rows)"),
        ("one-run ε lower bound", fmt(number(one_run.get("epsilon_lower_bound")) if one_run else None),
         (f"{format_number(number(one_run.get('correct')))} of {format_number(number(one_run.get('guesses')))} guesses right on "
          f"{format_number(number(one_run.get('m')))} audit canaries, {format_number(confidence * 100 if confidence else None)}% "
          "confidence; above the proven ε would break the guarantee") if one_run else "not measured (train with --audit-canaries M)"),
        ("ε, membership-inference lower bound", fmt(mia_lb), "what the best attack threshold proves at the audit's confidence"),
        ("membership-inference AUC", fmt(auc), "0.5 = the attacker guesses; 1.0 = tells members apart perfectly"),
        ("canary exposure, mean", fmt(exposure) + (" bits" if exposure is not None and exposure.value is not None else ""),
         "higher = the model ranks its own canary secrets above random ones (memorised)"),
    ]
    bars = [b for b in (Bar("proven upper bound", claimed),
                        Bar("one-run audit lower bound", number(one_run.get("epsilon_lower_bound"))) if one_run else None,
                        Bar("membership inference, lower", number(mia_lb.value) if mia_lb is not None else None,
                            *(mia_lb.ci if mia_lb is not None and mia_lb.ci and None not in mia_lb.ci else (None, None))) if mia_lb is not None else None)
            if b is not None]
    return Table("Theory beside measurement", ("quantity", "value", "what it says"), tuple(rows)), bars


def _canary_figure(canaries: dict[str, Any]) -> Figure | None:
    per = [c for c in canaries.get("per_canary") or [] if isinstance(c, dict)]
    if not per:
        return None
    ceiling = number(canaries.get("ceiling_bits_rank"))
    bars = [Bar(str(c.get("id", i)), number(c.get("exposure"))) for i, c in enumerate(per)]
    thresholds = [Threshold(ceiling, f"most measurable: {format_number(ceiling)} bits")] if ceiling else []
    return Figure(bar_chart(bars, title="Canary exposure (bits)", thresholds=thresholds, domain=(0.0, ceiling * 1.25) if ceiling else None),
                  caption="Exposure of each planted canary in bits: 0 = ranked like a random secret; the dashed line is the most "
                          "this number of candidates can show.")


def privacy_blocks(content: dict[str, Any], ctx: SectionContext) -> tuple[list[Block], set[int]]:
    table, bars = theory_and_measurement(content, ctx)
    blocks: list[Block] = [table]
    if any(b.value is not None for b in bars):
        blocks.append(Figure(bar_chart(bars, title="ε: proven upper bound and measured lower bounds"),
                             caption="A measured lower bound above the proven upper bound would mean the guarantee is broken."))
    series, used = _roc_series(content)
    if series:
        blocks.append(Figure(line_chart(series, title="Membership inference ROC, log-log", x_label="false positive rate",
                                        y_label="true positive rate", diagonal=True, log=True),
                             caption="Leakage shows as true positives at very low false-positive rates (Carlini et al. 2022); "
                                     "the dashed diagonal is chance."))
    canaries = _dict(content.get("canaries"))
    figure = _canary_figure(canaries)
    if figure is not None:
        blocks.append(figure)
        used.add(id(canaries.get("per_canary")))
    return blocks, used
