"""The `monitor` section (`rai monitor --snapshot`): monitored rates per window as time series, and the
windows that raised alerts. Registered in `sections.SECTION_BUILDERS`.

The line chart has square unit axes, so the x axis is the window's position in the series
(first window 0, last 1); the table names each alerting window's records and rules.
"""

from __future__ import annotations

from typing import Any

from rai.reports.blocks import Block, Figure, Table, as_number, cell_text
from rai.reports.charts import Series, line_chart

MAIN_RATES = ("monitor.pii.rate", "monitor.toxicity.rate")


def _series(rows: list[dict[str, Any]]) -> list[Series]:
    """The main rates, and each PII type's rate where it is ever above 0."""
    names = list(MAIN_RATES) + sorted({m for r in rows for m, v in r["rates"].items()
                                       if m not in MAIN_RATES and (as_number(v.get("value")) or 0.0) > 0})
    last = max(len(rows) - 1, 1)
    out = []
    for name in names:
        pts = [(i / last, as_number(r["rates"][name].get("value"))) for i, r in enumerate(rows) if name in r["rates"]]
        pts = [(x, y) for x, y in pts if y is not None]
        out.append(Series(name.removeprefix("monitor."), [x for x, _ in pts], [y for _, y in pts]))
    return out


def monitor_blocks(content: dict[str, Any], ctx: Any) -> tuple[list[Block], set[int]]:
    rows = content.get("series")
    if not isinstance(rows, list) or not rows:
        return [], set()
    rows = [r for r in rows if isinstance(r, dict) and isinstance(r.get("rates"), dict)]
    window = content.get("window") if isinstance(content.get("window"), dict) else {}
    per = f"{cell_text(window.get('records'))} outputs"
    if window.get("seconds"):
        per += f" or {cell_text(window.get('seconds'))} s"
    blocks: list[Block] = [Figure(
        line_chart(_series(rows), title="Monitored rates per window", x_label="window (first = 0, last = 1)", y_label="rate"),
        caption=f"Share of outputs per window of {per}; {len(rows)} windows shown.")]
    alerting = [r for r in rows if r.get("alerts")]
    if alerting:
        blocks.append(Table("Windows with alerts", ("window", "records", "rules broken"),
                            tuple((cell_text(r.get("index")), f"{cell_text(r.get('first_record'))}-{cell_text(r.get('last_record'))}",
                                   ", ".join(cell_text(a) for a in r["alerts"])) for r in alerting)))
    return blocks, {id(content["series"])}
