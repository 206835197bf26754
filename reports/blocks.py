"""The building blocks of a report (tables, key/value lists, figures, notes) and a renderer of any
JSON value into them. Plain data: HTML and Markdown decide the markup.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from rai.core.formatting import format_number, format_observed
from rai.reports.charts import Chart

MAX_ROWS = 100
MAX_COLUMNS = 12
MAX_LIST = 30
MAX_DEPTH = 3


# --- blocks -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Table:
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    note: str = ""
    kind: str = "table"
    fold: str = ""  # non-empty: the table is folded away behind this line (a <details> summary)
    fold_class: str = "more"  # "cw" for a content warning


@dataclass(frozen=True)
class KeyValues:
    title: str
    items: tuple[tuple[str, Any], ...]
    kind: str = "kv"


@dataclass(frozen=True)
class Figure:
    chart: Chart
    caption: str = ""
    kind: str = "figure"


@dataclass(frozen=True)
class Cell:
    """A matrix cell: its value, its interval in small type, and a tone (how far from the reference)."""

    text: str
    interval: str = ""
    tone: str = ""  # "" | ref | near | mid | far


@dataclass(frozen=True)
class Matrix:
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    note: str = ""
    kind: str = "matrix"


@dataclass(frozen=True)
class Note:
    text: str
    kind: str = "note"


Block = Table | KeyValues | Figure | Matrix | Note


# --- cells ------------------------------------------------------------------------------------
def is_scalar(v: Any) -> bool:
    return v is None or isinstance(v, (str, int, float, bool))


def cell_text(v: Any, limit: int = 300) -> str:
    """One table cell as text: numbers to 4 significant digits, null as 'null', nested values as compact JSON."""
    if v is None or isinstance(v, (int, float, bool)):
        return format_number(v)
    if _is_estimate(v):
        text = format_observed(as_number(v["value"]), as_pair(v.get("ci")))
        return text + (f" ({v['why_null']})" if v.get("value") is None and v.get("why_null") else "")
    if isinstance(v, str):
        text = v
    elif isinstance(v, list) and all(is_scalar(x) for x in v):
        shown = [cell_text(x) for x in v[:MAX_LIST]]
        text = ", ".join(shown) + (f", \u2026 ({len(v) - MAX_LIST} more)" if len(v) > MAX_LIST else "")
    else:
        text = json.dumps(v, ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _is_estimate(v: Any) -> bool:
    """A `{"value": x, "ci": [lo, hi]}` object (optionally with `n` and `why_null`): `rai.core.stats.Stat`,
    as the audits write estimates."""
    return isinstance(v, dict) and "value" in v and set(v) <= {"value", "ci", "n", "why_null"} and is_scalar(v["value"])


def as_number(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return float(v) if math.isfinite(v) else None


def as_pair(v: Any) -> tuple[float, float] | None:
    if isinstance(v, (list, tuple)) and len(v) == 2:
        lo, hi = as_number(v[0]), as_number(v[1])
        if lo is not None and hi is not None:
            return lo, hi
    return None


# --- generic rendering of any JSON ------------------------------------------------------------
def _records_table(title: str, rows: list[dict[str, Any]]) -> Table:
    columns: list[str] = []
    for r in rows:
        columns += [str(k) for k in r if str(k) not in columns]
    shown_cols = columns[:MAX_COLUMNS]
    note = []
    if len(rows) > MAX_ROWS:
        note.append(f"first {MAX_ROWS} of {len(rows)} rows")
    if len(columns) > MAX_COLUMNS:
        note.append(f"{len(columns) - MAX_COLUMNS} more columns not shown: {', '.join(columns[MAX_COLUMNS:])}")
    body = tuple(tuple(cell_text(r.get(c)) for c in shown_cols) for r in rows[:MAX_ROWS])
    return Table(title, tuple(shown_cols), body, "; ".join(note))


def _is_simple(v: Any) -> bool:
    return is_scalar(v) or _is_estimate(v) or (isinstance(v, list) and all(is_scalar(x) for x in v))


def generic_blocks(obj: Any, title: str, depth: int = 0) -> list[Block]:
    """Any JSON value as key/value lists (scalars) and tables (lists of objects), nested up to MAX_DEPTH."""
    if isinstance(obj, dict):
        simple = [(str(k), cell_text(v)) for k, v in obj.items() if _is_simple(v)]
        blocks: list[Block] = [KeyValues(title, tuple(simple))] if simple else []
        flat = {str(k): v for k, v in obj.items() if not _is_simple(v) and isinstance(v, dict) and v and all(_is_simple(x) for x in v.values())}
        if len(flat) >= 2:  # e.g. {entity: {findings, records}}: one table, a row per key
            blocks.append(_records_table(title, [{"": k, **v} for k, v in flat.items()]))
        for k, v in obj.items():
            if _is_simple(v) or (len(flat) >= 2 and str(k) in flat):
                continue
            sub = f"{title} / {k}"
            if depth >= MAX_DEPTH:
                blocks.append(KeyValues(sub, ((str(k), cell_text(v)),)))
            else:
                blocks += generic_blocks(v, sub, depth + 1)
        return blocks
    if isinstance(obj, list):
        if obj and all(isinstance(x, dict) for x in obj):
            return [_records_table(title, obj)]
        return [KeyValues(title, tuple((f"[{i}]", cell_text(v)) for i, v in enumerate(obj[:MAX_ROWS])))] if obj else []
    return [KeyValues(title, (("value", cell_text(obj)),))]


def walk(obj: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every (path, value) in a JSON tree, depth first."""
    yield path, obj
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from walk(v, path + (str(k),))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from walk(v, path + (str(i),))


def without(obj: Any, drop: set[int]) -> Any:
    """A copy of a JSON tree without the nodes whose id() is in `drop` (the ones already charted)."""
    if isinstance(obj, dict):
        return {k: without(v, drop) for k, v in obj.items() if id(v) not in drop}
    if isinstance(obj, list):
        return [without(v, drop) for v in obj if id(v) not in drop]
    return obj
