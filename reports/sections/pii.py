"""The PII section: counts by entity type and column, and masked examples (raw values only when the
audit itself was run with --reveal, which the audit records as `revealed`)."""

from __future__ import annotations

from typing import Any

from rai.reports.blocks import Block, Table, cell_text
from rai.reports.sections.common import SectionContext
from rai.reports.stats import number


def _counts(content: dict[str, Any], ctx: SectionContext) -> dict[str, dict[str, float]]:
    """{entity: {"findings": n, "records": n}} from the section, else from the pii.findings.* records."""
    by_entity = content.get("by_entity")
    if isinstance(by_entity, dict) and by_entity:
        return {str(e): {k: number(v.get(k)) or 0.0 for k in ("findings", "records")} for e, v in by_entity.items() if isinstance(v, dict)}
    return {r.id.split(".", 2)[2]: {"findings": number(r.value) or 0.0, "records": number(r.details.get("records")) or 0.0}
            for r in ctx.records if r.id.startswith("pii.findings.")}


def _examples(content: dict[str, Any]) -> Table | None:
    items = [i for i in content.get("examples") or [] if isinstance(i, dict)]
    if not items:
        return None
    revealed = content.get("revealed") is True
    columns = ("type", "column", "record", "score", "masked") + (("value (--reveal)",) if revealed else ())
    rows = tuple((cell_text(i.get("entity")), cell_text(i.get("column")), cell_text(i.get("record")), cell_text(i.get("score")),
                  cell_text(i.get("preview"))) + ((cell_text(i.get("value")),) if revealed else ()) for i in items)
    return Table("Examples" + (" (raw values: the audit was run with --reveal)" if revealed else " (masked)"), columns, rows,
                 fold=f"{len(rows)} example finding(s), " + ("RAW values. Open to show." if revealed else "masked. Open to show."))


def pii_blocks(content: dict[str, Any], ctx: SectionContext) -> tuple[list[Block], set[int]]:
    """One table of findings by type and column (the types found), and the masked examples."""
    counts = _counts(content, ctx)
    found = {e: c for e, c in counts.items() if c["findings"] > 0}
    by_column = content.get("by_column") if isinstance(content.get("by_column"), dict) else {}
    columns = [str(c) for c, v in by_column.items() if isinstance(v, dict)]
    blocks: list[Block] = []
    used: set[int] = set()
    if counts:
        rows = tuple((e, cell_text(int(c["findings"])), cell_text(int(c["records"])),
                      *(cell_text(by_column[col].get(e)) for col in columns)) for e, c in sorted(found.items(), key=lambda kv: -kv[1]["findings"]))
        clean = sorted(set(counts) - set(found))
        blocks.append(Table("Findings by type and column", ("type", "findings", "records", *(f"in {c}" for c in columns)), rows,
                            note=f"No findings of: {', '.join(clean)}." if clean else ""))
        used |= {id(content.get("by_entity")), id(content.get("by_column"))}
        files = content.get("by_file")
        if isinstance(files, dict) and len(files) == 1:  # one file: its counts are the totals above
            used.add(id(files))
    examples = _examples(content)
    if examples is not None:
        blocks.append(examples)
        used.add(id(content.get("examples")))
    return blocks, used
