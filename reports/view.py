"""What a report shows, as plain data: the verdict banner and gate rows, one view per audit section
(`rai.reports.sections`), warnings and provenance. HTML and Markdown render this; nothing here writes markup.
"""

from __future__ import annotations

from dataclasses import dataclass

from rai.core.formatting import details_label
from rai.audit.gate.verdict import RuleResult, Verdict
from rai.audit.result import AuditResult
from rai.reports.compare import Comparison
from rai.reports.explain import Card, cards
from rai.reports.blocks import Block, KeyValues, Table, cell_text, generic_blocks
from rai.reports.sections import IDENTIFYING_KEYS, SECTION_ORDER, SectionContext, SectionView, identifying_label, section_view


@dataclass(frozen=True)
class GateRow:
    rule: str
    label: str  # what tells the record apart (attribute, label, attack, ...)
    details: str  # the record's other details, folded in HTML
    observed: str
    threshold: str
    status: str
    why: str
    severity: str
    first: bool  # first row of its rule (the others are its further records)
    rule_status: str = ""  # the rule's status (a passing record of a failing rule stays in view with it)

    @property
    def record(self) -> str:
        """Label and details on one line, for Markdown and the terminal."""
        return f"{self.label} ({self.details})" if self.details else self.label


@dataclass(frozen=True)
class ReportView:
    title: str
    model: str | None
    created: str
    tool: str
    verdict: Verdict | None
    banner_status: str  # pass | fail | none
    banner_text: str
    gate_rows: tuple[GateRow, ...]
    sections: tuple[SectionView, ...]
    warnings: tuple[str, ...]
    provenance: tuple[Block, ...]
    audit_path: str | None = None
    cards: tuple[Card, ...] = ()
    comparison: Comparison | None = None


# --- the whole report -------------------------------------------------------------------------
def gate_rows(verdict: Verdict) -> tuple[GateRow, ...]:
    rows: list[GateRow] = []
    for rr in verdict.rules:
        rule = rr.rule
        if not rr.records:
            rows.append(GateRow(rule.label, "", "", "absent", rule.threshold_text(), rr.status.value, rr.why, rule.severity.value,
                                True, rr.status.value))
            continue
        for i, rec in enumerate(rr.records):
            label = identifying_label(rec.details)
            rest = {k: v for k, v in rec.details.items() if k not in IDENTIFYING_KEYS}
            rows.append(GateRow(rule.label, label, details_label(rest), rec.observed,
                                rule.threshold_text(), rec.status.value, rec.why, rule.severity.value, i == 0, rr.status.value))
    return tuple(rows)


def provenance_blocks(audit: AuditResult) -> list[Block]:
    blocks: list[Block] = []
    subject = audit.subject if isinstance(audit.subject, dict) else {}
    inputs = [i for i in subject.get("inputs") or [] if isinstance(i, dict)]
    if inputs:
        blocks.append(Table("Inputs", ("path", "sha256", "rows"),
                            tuple((cell_text(i.get("path")), cell_text(i.get("sha256")), cell_text(i.get("rows"))) for i in inputs)))
    prov = dict(audit.provenance or {})
    runs = prov.pop("runs", None)
    libraries = prov.pop("libraries", None)
    if isinstance(runs, list) and runs and all(isinstance(r, dict) for r in runs):
        blocks.append(Table("Audit runs", ("audit", "seconds", "finished", "settings"),
                            tuple((cell_text(r.get("audit")), cell_text(r.get("seconds")), cell_text(r.get("finished")),
                                   cell_text(r.get("config"), limit=600)) for r in runs)))
    if isinstance(libraries, dict) and libraries:
        blocks.append(KeyValues("Library versions", tuple((str(k), cell_text(v)) for k, v in libraries.items())))
    blocks += generic_blocks(prov, "Environment") if prov else []
    return blocks


def build_view(audit: AuditResult, verdict: Verdict | None, *, audit_path: str | None = None,
               comparison: Comparison | None = None) -> ReportView:
    rules: dict[str, list[RuleResult]] = {}
    for rr in verdict.rules if verdict is not None else ():
        rules.setdefault(rr.rule.metric, []).append(rr)
    names = [n for n in SECTION_ORDER if n in audit.sections] + sorted(n for n in audit.sections if n not in SECTION_ORDER)
    orphan_sections = sorted({m.section for m in audit.metrics} - set(audit.sections))
    sections = tuple(
        section_view(n, audit.sections.get(n) if isinstance(audit.sections.get(n), dict) else {},
                     SectionContext(n, [m for m in audit.metrics if m.section == n], rules))
        for n in names + orphan_sections
    )
    if verdict is None:
        status, text = "none", "No policy evaluated: pass --policy to gate this audit."
    else:
        status = "pass" if verdict.passed else "fail"
        text = verdict.summary()
    warnings = tuple(audit.warnings) + (tuple(verdict.warnings) if verdict is not None else ())
    subject = audit.subject if isinstance(audit.subject, dict) else {}
    tool = audit.tool if isinstance(audit.tool, dict) else {}
    return ReportView(
        title="rai-suite audit report", model=subject.get("model"), created=str(audit.created),
        tool=f"{tool.get('name', 'rai-suite')} {tool.get('version', '')}".strip(), verdict=verdict, banner_status=status,
        banner_text=text, gate_rows=gate_rows(verdict) if verdict is not None else (), sections=sections, warnings=warnings,
        provenance=tuple(provenance_blocks(audit)), audit_path=audit_path,
        cards=cards(audit, verdict), comparison=comparison,
    )
