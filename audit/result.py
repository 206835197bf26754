"""The audit result (`audit.json`, schema `rai.audit/1`): sections for reports, metric records for gates.

One dataclass shape for every audit. Audits build it with `AuditResult.add_section` and
`add_metric`; the CLI records provenance and writes it atomically; `merge` combines audits and
is explicit about collisions. NaN never reaches the file: it becomes null plus a warning.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import platform
from dataclasses import asdict, dataclass, field
from importlib import metadata, resources
from pathlib import Path
from typing import Any

from rai.audit.checks import check_audit
from rai.audit.metric_ids import lookup
from rai import __version__
from rai.core.documents import loads_json
from rai.core.errors import InputError
from rai.core.io import atomic_write_text, describe_input, to_json_text
from rai.core.stats import Stat

SCHEMA_ID = "rai.audit/1"
LIBRARIES = ("torch", "transformers", "opacus", "fairlearn", "detoxify", "pandas", "numpy", "scikit-learn", "jinja2")
ERR_NOT_FOUND = "audit file not found"
ERR_COLLISION = "section(s) {names} already in {path}; use --replace to overwrite them or write to another --out"


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def finite_or_none(x: Any) -> float | int | None:
    """A plain JSON number, or None for None/NaN/inf (undefined values are null, never numbers)."""
    if x is None:
        return None
    if isinstance(x, bool):
        return int(x)
    if hasattr(x, "item"):
        x = x.item()
    if isinstance(x, int):
        return x
    x = float(x)
    return x if math.isfinite(x) else None


@dataclass
class MetricRecord:
    """One gateable number. `ci` is the (low, high) interval when the audit computed one; `why_null`
    says why a null value is undefined (the gate shows it; nobody parses warning text for it)."""

    id: str
    value: float | int | None
    section: str
    ci: tuple[float | None, float | None] | None = None
    better: str = "none"
    n: int | None = None
    details: dict[str, Any] = field(default_factory=dict)
    why_null: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["ci"] = list(self.ci) if self.ci is not None else None
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "MetricRecord":
        ci = d.get("ci")
        return cls(id=d["id"], value=d.get("value"), section=d["section"], ci=tuple(ci) if ci is not None else None,
                   better=d.get("better", "none"), n=d.get("n"), details=dict(d.get("details") or {}),
                   why_null=d.get("why_null"))


def _covering(value: float | int | None, lo: float | None, hi: float | None) -> tuple[float | None, float | None]:
    """An interval that holds its own point estimate, as every reader requires (`rai.audit.checks`).

    A percentile bootstrap interval can leave the plug-in value out when the resampling
    distribution is skewed; widening the interval to the value keeps its coverage (it only grows).
    """
    if value is None:
        return lo, hi
    return (None if lo is None else min(lo, value)), (None if hi is None else max(hi, value))


def _sanitize(obj: Any, path: str, nulls: list[str]) -> Any:
    """Replace NaN/inf by None (recording where) and numpy scalars by Python numbers."""
    if isinstance(obj, dict):
        return {str(k): _sanitize(v, f"{path}.{k}", nulls) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_sanitize(v, f"{path}[{i}]", nulls) for i, v in enumerate(obj)]
    if hasattr(obj, "tolist") and not isinstance(obj, (str, bytes)):
        return _sanitize(obj.tolist(), path, nulls)
    if isinstance(obj, float) and not math.isfinite(obj):
        nulls.append(path)
        return None
    if isinstance(obj, Path):
        return str(obj)
    return obj


@dataclass
class AuditResult:
    sections: dict[str, dict[str, Any]] = field(default_factory=dict)
    metrics: list[MetricRecord] = field(default_factory=list)
    subject: dict[str, Any] = field(default_factory=lambda: {"model": None, "inputs": []})
    warnings: list[str] = field(default_factory=list)
    created: str = field(default_factory=_now)
    tool: dict[str, str] = field(default_factory=lambda: {"name": "rai-suite", "version": __version__})
    provenance: dict[str, Any] = field(default_factory=dict)
    schema: str = SCHEMA_ID

    # --- building -------------------------------------------------------------------
    def add_section(self, name: str, content: dict[str, Any]) -> None:
        nulls: list[str] = []
        self.sections[name] = _sanitize(content, name, nulls)
        if nulls:
            shown = ", ".join(nulls[:5]) + (f" and {len(nulls) - 5} more" if len(nulls) > 5 else "")
            self.warnings.append(f"{name}: undefined values written as null at {shown}")

    def add_metric(self, metric_id: str, value: Any, *, section: str, ci: tuple[Any, Any] | None = None,
                   n: int | None = None, details: dict[str, Any] | None = None, why_null: str | None = None) -> MetricRecord:
        """Add one metric record; the id must be documented in `rai.audit.metric_ids`.

        A NaN/inf/None value is written as null with a warning; `why_null` says why
        (e.g. "a single class in group X"), so nobody reads a missing number as a pass.
        """
        spec = lookup(metric_id)
        if spec is None:
            raise ValueError(f"metric id {metric_id!r} is not documented in rai.audit.metric_ids")
        v = finite_or_none(value)
        if v is None:
            self.warnings.append(f"{metric_id}: value is undefined and written as null" + (f" ({why_null})" if why_null else ""))
        interval = None if ci is None else _covering(v, finite_or_none(ci[0]), finite_or_none(ci[1]))
        nulls: list[str] = []
        rec = MetricRecord(id=metric_id, value=v, section=section, ci=interval, better=spec.better,
                           n=None if n is None else int(n), details=_sanitize(details or {}, metric_id, nulls),
                           why_null=why_null if v is None else None)
        self.metrics.append(rec)
        return rec

    def add_stat(self, metric_id: str, stat: Stat, *, section: str, details: dict[str, Any] | None = None) -> MetricRecord:
        """Add one metric record from a `rai.core.stats.Stat` (value, interval, units, why it is null)."""
        return self.add_metric(metric_id, stat.value, section=section, ci=stat.ci, n=stat.n, details=details,
                               why_null=stat.why_null)

    def add_input(self, path: str | Path, rows: int | None = None) -> None:
        self.subject.setdefault("inputs", []).append(describe_input(path, rows))

    def record_run(self, audit_name: str, config: dict[str, Any], seconds: float, *, seed: int | None = None) -> None:
        """Provenance: which audit ran with which resolved settings, how long, and library versions."""
        prov = self.provenance
        prov.setdefault("python", platform.python_version())
        prov.setdefault("libraries", library_versions())
        if seed is not None:
            prov["seed"] = seed
        nulls: list[str] = []
        prov.setdefault("runs", []).append({"audit": audit_name, "config": _sanitize(config, "config", nulls),
                                            "seconds": round(seconds, 3), "finished": _now()})

    # --- combining ------------------------------------------------------------------
    def merge(self, other: "AuditResult", *, replace: bool = False, where: str = "audit.json") -> "AuditResult":
        """Combine two results. A section present in both is an error unless `replace`."""
        clash = sorted(set(self.sections) & set(other.sections))
        if clash and not replace:
            raise InputError(ERR_COLLISION.format(names=", ".join(clash), path=where))
        merged = AuditResult(
            sections={**{k: v for k, v in self.sections.items() if k not in clash}, **other.sections},
            metrics=[m for m in self.metrics if m.section not in clash] + list(other.metrics),
            subject=_merge_subject(self.subject, other.subject),
            warnings=list(self.warnings) + [w for w in other.warnings if w not in self.warnings]
            + [f"section {name} replaced by a newer audit" for name in clash],
            created=other.created,
            provenance=_merge_provenance(self.provenance, other.provenance),
        )
        return merged

    # --- serialisation --------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        d = {
            "schema": self.schema,
            "created": self.created,
            "tool": dict(self.tool),
            "subject": self.subject,
            "sections": self.sections,
            "metrics": [m.to_dict() for m in self.metrics],
            "warnings": list(self.warnings),
        }
        if self.provenance:
            d["provenance"] = self.provenance
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any], *, where: str = "audit.json") -> "AuditResult":
        validate_audit_dict(d, where=where)
        return cls(sections=d["sections"], metrics=[MetricRecord.from_dict(m) for m in d["metrics"]],
                   subject=d["subject"], warnings=list(d["warnings"]), created=d["created"], tool=d["tool"],
                   provenance=d.get("provenance", {}), schema=d["schema"])

    def metric_values(self, metric_id: str) -> list[MetricRecord]:
        return [m for m in self.metrics if m.id == metric_id]


def _merge_subject(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    inputs = list(a.get("inputs", []))
    seen = {(i.get("path"), i.get("sha256")) for i in inputs}
    inputs += [i for i in b.get("inputs", []) if (i.get("path"), i.get("sha256")) not in seen]
    return {"model": b.get("model") or a.get("model"), "inputs": inputs}


def _merge_provenance(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    merged = {**a, **{k: v for k, v in b.items() if k != "runs"}}
    merged["runs"] = list(a.get("runs", [])) + list(b.get("runs", []))
    return merged


def library_versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def _schema() -> dict[str, Any]:
    return json.loads(resources.files("rai.audit").joinpath("schema/audit.schema.json").read_text(encoding="utf-8"))


def validate_audit_dict(d: Any, *, where: str) -> None:
    """The document's shape (JSON schema), then its meaning (`rai.audit.checks`): one InputError naming `where`."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(_schema())
    errors = sorted(validator.iter_errors(d), key=lambda e: list(e.absolute_path))
    if errors:
        e = errors[0]
        loc = "/".join(map(str, e.absolute_path)) or "(top level)"
        raise InputError(f"not a valid rai audit result at {loc}: {e.message}", where=where)
    check_audit(d, where=where)


def read_audit(path: str | Path) -> AuditResult:
    """The one reader of audit.json (gate, report, baseline, --append): strict JSON, then shape and meaning.

    Duplicate keys, NaN/Infinity and nesting deeper than `rai.core.documents.MAX_DEPTH` are refused
    before anything else reads the document, so no later step can be fooled or recurse too deep.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(ERR_NOT_FOUND, where=str(path))
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not valid JSON: {exc}", where=str(path)) from None
    return AuditResult.from_dict(loads_json(text, where=str(path)), where=str(path))


def audit_json_text(result: AuditResult, *, where: str) -> str:
    """The validated JSON text of `result`: only what `read_audit` would accept (e.g. a run's privacy.json
    with a negative epsilon is refused here). The CLI stages it with the command's other outputs."""
    d = result.to_dict()
    validate_audit_dict(d, where=where)
    return to_json_text(d)


def write_audit(path: str | Path, result: AuditResult) -> None:
    atomic_write_text(path, audit_json_text(result, where=f"{path} (not written)"))
