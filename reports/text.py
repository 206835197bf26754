"""The verdict as a plain-text table for the terminal (`rai gate`): one row per judged record."""

from __future__ import annotations

from rai.audit.gate.verdict import Verdict
from rai.reports.safety import one_line
from rai.reports.view import gate_rows

HEADER = ("rule", "record", "observed [interval]", "threshold", "status", "why")
MAX_CELL = 48


def _clip(text: str, limit: int = MAX_CELL) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def policy_line(verdict: Verdict) -> str:
    """Which policy file judged: its name, where it was read, and the SHA-256 of its bytes."""
    sha = f", sha256 {verdict.policy_sha256}" if verdict.policy_sha256 else ""
    return one_line(f"policy {verdict.policy}: {verdict.policy_source}{sha}")


def render_text(verdict: Verdict) -> str:
    """Columns aligned; the last column (why) is never cut; control and bidi characters made visible."""
    rows = [HEADER] + [
        (_clip(one_line(r.rule)) if r.first else "  ↳", _clip(one_line(r.record)), one_line(r.observed), one_line(r.threshold)
         + (" (warn)" if r.severity == "warn" else ""), r.status.upper(), one_line(r.why))
        for r in gate_rows(verdict)
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER) - 1)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row[:-1], widths)) + "  " + row[-1] for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths) + "  " + "-" * 3)
    lines[:0] = [policy_line(verdict), ""]
    lines.append("")
    lines += [f"warning: {one_line(w)}" for w in verdict.warnings]
    lines.append(one_line(verdict.summary()))
    return "\n".join(lines) + "\n"
