"""The aggregate of a scan: counts per entity, column and file, examples, and how it becomes the
`pii` section and metric records of an audit result. Holds masked previews only (raw values only
when the scan was run with `reveal`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rai.audit.result import AuditResult

SECTION = "pii"


@dataclass
class FileStats:
    path: str
    records: int = 0
    records_with_pii: int = 0
    findings: Counter = field(default_factory=Counter)          # entity -> findings
    records_with: Counter = field(default_factory=Counter)      # entity -> records with at least one
    by_column: dict[str, Counter] = field(default_factory=dict)  # column -> entity -> findings


@dataclass
class PiiReport:
    """One shape for every scan; `entities` lists every type scanned (zeros are reported too)."""

    entities: tuple[str, ...]
    columns: tuple[str, ...]
    min_score: float
    backend: str
    files: list[FileStats] = field(default_factory=list)
    examples: list[dict[str, Any]] = field(default_factory=list)
    revealed: bool = False
    findings_file: str | None = None
    redacted: list[str] = field(default_factory=list)
    phone_regions: tuple[str, ...] = ()

    @property
    def records(self) -> int:
        return sum(f.records for f in self.files)

    @property
    def records_with_pii(self) -> int:
        return sum(f.records_with_pii for f in self.files)

    @property
    def records_with_pii_rate(self) -> float | None:
        return self.records_with_pii / self.records if self.records else None

    def _total(self, attr: str) -> Counter:
        total: Counter = Counter()
        for f in self.files:
            total.update(getattr(f, attr))
        return total

    def by_entity(self) -> dict[str, dict[str, int]]:
        findings, records = self._total("findings"), self._total("records_with")
        return {e: {"findings": findings[e], "records": records[e]} for e in self.entities}

    def by_column(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for column in self.columns:
            total: Counter = Counter()
            for f in self.files:
                total.update(f.by_column.get(column, {}))
            out[column] = {e: total[e] for e in self.entities}
        return out

    def to_section(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "entities": list(self.entities),
            "columns": list(self.columns),
            "min_score": self.min_score,
            "phone_regions": list(self.phone_regions),
            "records": self.records,
            "records_with_pii": self.records_with_pii,
            "records_with_pii_rate": self.records_with_pii_rate,
            "findings": sum(self._total("findings").values()),
            "by_entity": self.by_entity(),
            "by_column": self.by_column(),
            "by_file": {f.path: {"records": f.records, "records_with_pii": f.records_with_pii,
                                 "by_entity": {e: f.findings[e] for e in self.entities},
                                 "by_column": {c: {e: f.by_column.get(c, Counter())[e] for e in self.entities} for c in self.columns}}
                        for f in self.files},
            "examples": list(self.examples),
            "revealed": self.revealed,
            "findings_file": self.findings_file,
            "redacted": list(self.redacted),
        }

    def add_to(self, result: "AuditResult") -> None:
        """Write the section, the metric records (one per scanned entity type, zeros included)."""
        result.add_section(SECTION, self.to_section())
        n = self.records
        result.add_metric("pii.records_with_pii", self.records_with_pii, section=SECTION, n=n,
                          details={"files": len(self.files), "columns": list(self.columns)})
        result.add_metric("pii.records_with_pii_rate", self.records_with_pii_rate, section=SECTION, n=n,
                          why_null="no records were scanned")
        for entity, counts in self.by_entity().items():
            result.add_metric(f"pii.findings.{entity}", counts["findings"], section=SECTION, n=n,
                              details={"records": counts["records"]})
        if self.revealed:
            result.warnings.append("pii: --reveal was given: raw PII values are included in the examples and the findings file")
