"""The one place the report reads a value and its interval out of audit JSON.

Audits have written intervals in several shapes (`{"value", "ci"}`, a sibling `KEY_ci`, `ci_KEY`,
`KEY_low`/`KEY_high`, a bare number); the report reads every one through `stat`, so a change of the
section contract (one `Stat{value, ci, n, why_null}` shape) is adapted here and nowhere else.
"""

from __future__ import annotations

from typing import Any

from rai.audit.result import MetricRecord
from rai.core.stats import Stat
from rai.reports.blocks import as_number as number
from rai.reports.blocks import as_pair as pair

__all__ = ["Stat", "number", "pair", "stat"]


def stat(node: Any, key: str | None = None) -> Stat:
    """`node[key]` (or `node` itself when `key` is None) as a Stat, whichever shape it was written in."""
    if isinstance(node, MetricRecord):
        return Stat(number(node.value), pair(node.ci), node.n if isinstance(node.n, int) else None)
    parent = node if isinstance(node, dict) else {}
    here = parent.get(key) if key is not None else node
    if isinstance(here, dict):
        n = here.get("n", here.get("count"))
        why = here.get("why_null")
        return Stat(number(here.get("value")), pair(here.get("ci")), n if isinstance(n, int) and not isinstance(n, bool) else None,
                    why if isinstance(why, str) else None)
    ci = None
    if key is not None:
        ci = pair(parent.get(f"{key}_ci")) or pair(parent.get(f"ci_{key}"))
        if ci is None and isinstance(parent.get("ci"), dict):
            ci = pair(parent["ci"].get(key))
        if ci is None:
            lo, hi = number(parent.get(f"{key}_low")), number(parent.get(f"{key}_high"))
            ci = (lo, hi) if lo is not None and hi is not None else None
    return Stat(number(here), ci)
