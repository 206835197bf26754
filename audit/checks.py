"""The strict checker of an audit's meaning: what the JSON schema cannot say about a metric record.

The schema says a value is a number; only the metric says which numbers are possible. A gate that
judged a hand-edited record as written could be talked into a pass: a ratio of 0.3 "inside" the
interval [0.85, 0.95], a reversed interval, -1 records with PII, a ratio of 7.5. So every record
of an audit that rai reads (gate, report, baseline, --append) or writes must hold, by its id's
spec in `rai.audit.metric_ids`:
- the id is documented, and `better` (when given) is the id's direction;
- the value and both interval ends lie in the metric's range; a count's value is a whole number;
- an interval's low end is not above its high end, and the value lies between them;
- `n` is a whole number >= 0;
- `why_null` (why the value is undefined) stands only beside a null value.
Null values and null interval ends stay allowed: they mean "undefined", which gates fail closed.
`audit_problems` lists every problem (strict=False); `check_audit` raises them as one InputError.
"""

from __future__ import annotations

from typing import Any

from rai.audit.metric_ids import lookup
from rai.core.errors import InputError

ERR_MEANING = "not a valid rai audit result: {problems}"
ERR_UNKNOWN_METRIC = "unknown metric id (the documented ids are listed in docs/metrics.md)"
ERR_BETTER = "better is {got!r}, but this metric's direction is {want!r}"
ERR_VALUE_RANGE = "value {value} is outside the metric's range {range}"
ERR_CI_RANGE = "interval {end} end {value} is outside the metric's range {range}"
ERR_CI_REVERSED = "interval [{lo}, {hi}] is reversed (its low end is above its high end)"
ERR_VALUE_OUTSIDE_CI = "value {value} lies outside its own interval [{lo}, {hi}]"
ERR_N = "n {n} is not a whole number >= 0"
ERR_WHY_NULL = "why_null is given but the value {value} is defined"
MORE = " and {n} more"
SHOWN = 5  # problems named in the one-line error; the rest are counted


def _number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _whole(x: Any) -> bool:
    return isinstance(x, int) or float(x).is_integer()


def record_problems(rec: dict[str, Any]) -> list[str]:
    """Every problem of one schema-valid metric record (a dict of the `metrics` list)."""
    spec = lookup(str(rec.get("id")))
    if spec is None:
        return [ERR_UNKNOWN_METRIC]
    out: list[str] = []
    better = rec.get("better")
    if better is not None and better != spec.better:
        out.append(ERR_BETTER.format(got=better, want=spec.better))
    rng = spec.range
    value = rec.get("value")
    if _number(value) and not rng.contains(value):
        out.append(ERR_VALUE_RANGE.format(value=value, range=rng))
    ci = rec.get("ci")
    lo, hi = ci if isinstance(ci, list) and len(ci) == 2 else (None, None)
    for end, x in (("low", lo), ("high", hi)):
        if _number(x) and not rng.low <= x <= rng.high:
            out.append(ERR_CI_RANGE.format(end=end, value=x, range=rng))
    if _number(lo) and _number(hi) and lo > hi:
        out.append(ERR_CI_REVERSED.format(lo=lo, hi=hi))
    elif _number(value) and ((_number(lo) and value < lo) or (_number(hi) and value > hi)):
        out.append(ERR_VALUE_OUTSIDE_CI.format(value=value, lo=lo, hi=hi))
    n = rec.get("n")
    if n is not None and not (_number(n) and n >= 0 and _whole(n)):
        out.append(ERR_N.format(n=n))
    if rec.get("why_null") is not None and value is not None:
        out.append(ERR_WHY_NULL.format(value=value))
    return out


def audit_problems(d: dict[str, Any]) -> list[str]:
    """Every problem of a schema-valid audit document, each as 'metrics[i] (id): problem'."""
    out = []
    for i, rec in enumerate(d.get("metrics", [])):
        out += [f"metrics[{i}] ({rec.get('id')}): {p}" for p in record_problems(rec)]
    return out


def check_audit(d: dict[str, Any], *, where: str) -> None:
    """Raise one InputError naming the file and every problem (the first few, then a count)."""
    problems = audit_problems(d)
    if problems:
        shown = "; ".join(problems[:SHOWN]) + (MORE.format(n=len(problems) - SHOWN) if len(problems) > SHOWN else "")
        raise InputError(ERR_MEANING.format(problems=shown), where=where)
