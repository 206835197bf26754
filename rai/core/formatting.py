"""Numbers and labels as people read them in tables, gate verdicts and reports.

Pure functions shared by the gate and the report renderers (moved from the gate's policy model
so reports need not import the gate).
"""

from __future__ import annotations

from typing import Any


def details_label(details: dict[str, Any]) -> str:
    """A `key=value, ...` label of a record's scalar details (nested values are left out, numbers rounded)."""
    return ", ".join(f"{k}={v if isinstance(v, str) else format_number(v)}" for k, v in details.items()
                     if isinstance(v, (str, int, float, bool)) or v is None)


def format_number(x: float | int | None) -> str:
    """Numbers as people read them in tables: ints as is, floats to 4 significant digits, null as 'null'."""
    if x is None:
        return "null"
    if isinstance(x, bool):
        return str(x).lower()
    if isinstance(x, int):
        return str(x)
    return f"{x:.4g}"


def format_observed(value: float | int | None, ci: tuple[float | None, float | None] | None) -> str:
    text = format_number(value)
    if ci is not None:
        text += f" [{format_number(ci[0])}, {format_number(ci[1])}]"
    return text
