"""What the numbers mean, in plain sentences: one summary card per area (privacy, fairness, PII,
toxicity) and a paragraph per finding. Pure functions of an audit result and its verdict, so every
report carries them (and `rai demo` prints the same sentences to the terminal).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rai.audit.gate.verdict import RuleResult, Verdict
from rai.audit.result import AuditResult, MetricRecord
from rai.core.formatting import format_number
from rai.reports.stats import Stat, number, stat

AREAS = ("privacy", "fairness", "pii", "toxicity")
AREA_TITLES = {"privacy": "Privacy", "fairness": "Fairness", "pii": "Personal data (PII)", "toxicity": "Toxicity"}
NOT_AUDITED = "Not audited: the audit has no {area} section."


@dataclass(frozen=True)
class Card:
    area: str
    title: str
    headline: str  # what the number is ("ε (proven)", "parity ratio, sex")
    value: str
    interval: str  # "" when the audit computed none
    rule: str  # the policy rule it meets or breaks, "" when no policy judged it
    status: str  # pass | fail | warn | missing | waived | skipped | none
    meaning: str


# --- reading records ------------------------------------------------------------------------------
def records(audit: AuditResult, metric_id: str, **details: str) -> list[MetricRecord]:
    return [m for m in audit.metrics if m.id == metric_id and all(str(m.details.get(k)) == v for k, v in details.items())]


def record_in(metrics: list[MetricRecord], metric_id: str) -> MetricRecord | None:
    return next((m for m in metrics if m.id == metric_id), None)


def record(audit: AuditResult, metric_id: str, **details: str) -> MetricRecord | None:
    found = records(audit, metric_id, **details)
    return found[0] if found else None


def fmt(s: Stat | MetricRecord | float | None, digits: int = 2) -> str:
    """`0.62 [0.51, 0.81]`, or `n/a`."""
    s = stat(s) if isinstance(s, MetricRecord) else Stat(s) if isinstance(s, float) else s
    if s is None or s.value is None:
        return "n/a"
    text = f"{s.value:.{digits}f}"
    return text + (f" [{s.ci[0]:.{digits}f}, {s.ci[1]:.{digits}f}]" if s.ci is not None else "")


def interval_text(s: Stat, digits: int = 2) -> str:
    return f"95% interval {s.ci[0]:.{digits}f} to {s.ci[1]:.{digits}f}" if s.ci is not None else ""


def percent(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


# --- one sentence per area ---------------------------------------------------------------------------
def privacy_sentence(audit: AuditResult, baseline: AuditResult | None = None, *, brief: bool = True) -> str:
    """Theory (the ledger's ε) beside measurement (membership inference; unless `brief`, canary exposure and the accountant)."""
    section = audit.sections.get("privacy") if isinstance(audit.sections.get("privacy"), dict) else {}
    guarantee = section.get("guarantee") if isinstance(section.get("guarantee"), dict) else {}
    eps, delta = number(guarantee.get("epsilon")), number(guarantee.get("delta"))
    if guarantee.get("dp") and eps is not None:
        theory = (f"Proven: ({eps:.2f}, {f'{delta:.0e}' if delta is not None else 'δ n/a'})-differential privacy per example"
                  + (f" ({guarantee.get('accountant')} accountant)" if guarantee.get("accountant") and not brief else "")
                  + (", a bound on what any attack can learn about one training example." if not brief else "."))
    else:
        theory = "Trained without differential privacy: no proven bound, only what the attacks below measure."
    mia = record(audit, "privacy.mia.auc")
    measured = f" Measured: membership-inference AUC {fmt(mia)} (0.5 = {'guessing' if brief else 'the attacker guesses'})"
    if baseline is not None and record(baseline, "privacy.mia.auc") is not None:
        measured += f", against {fmt(record(baseline, 'privacy.mia.auc'))} for the baseline"
    exposure = record(audit, "privacy.canary.exposure_mean")
    if exposure is not None and not brief:
        measured += f"; canary exposure {fmt(exposure)} bits (higher = memorised)"
        if baseline is not None and record(baseline, "privacy.canary.exposure_mean") is not None:
            measured += f", against {fmt(record(baseline, 'privacy.canary.exposure_mean'))} for the baseline"
    return theory + measured + "."


def one_run_sentence(audit: AuditResult, baseline: AuditResult | None = None) -> str | None:
    """The one-run audit's ε lower bound beside the claimed ε (None when the run had no audit canaries)."""
    lower = record(audit, "privacy.audit.epsilon_lower_bound")
    if lower is None or lower.value is None:
        return None
    claimed = record(audit, "privacy.dp.epsilon")
    other = record(baseline, "privacy.audit.epsilon_lower_bound") if baseline is not None else None
    return (f"One-run audit ({lower.details.get('m', '?')} audit canaries, each trained on with probability 1/2): the ε lower "
            f"bound it proves is {fmt(lower)}"
            + (f", beside the claimed {fmt(claimed)}" if claimed is not None and claimed.value is not None else "")
            + (f", and {fmt(other)} for the baseline" if other is not None else "")
            + f" ({percent(number(lower.details.get('confidence')))} confidence). A bound above the claim would mean the "
            "guarantee is broken; a bound far below it is expected, since an attack on one model with a few hundred canaries "
            "sees only part of the worst case the accountant covers.")


def fairness_sentence(audit: AuditResult) -> str:
    """The worst demographic-parity ratio, and the attributes where it is undefined."""
    ratios = records(audit, "fairness.demographic_parity_ratio")
    defined = [r for r in ratios if number(r.value) is not None]
    if not ratios:
        return "No demographic-parity ratio in the audit."
    parts = []
    if defined:
        worst = min(defined, key=lambda r: float(r.value))  # type: ignore[arg-type]
        d = worst.details
        parts.append(f"By {d.get('attribute')}, {d.get('worst_group', 'the least selected group')} is selected at "
                     f"{fmt(worst)} times the rate of {d.get('highest_group') or d.get('reference_group') or 'the most selected group'} "
                     "(1.0 = equal rates; the four-fifths rule asks for at least 0.80).")
    undefined = [str(r.details.get("attribute")) for r in ratios if number(r.value) is None]
    if undefined:
        parts.append(f"Undefined for {', '.join(undefined)} (see the gate table for why).")
    return " ".join(parts)


def pii_sentence(audit: AuditResult) -> str:
    with_pii, rate = record(audit, "pii.records_with_pii"), record(audit, "pii.records_with_pii_rate")
    if with_pii is None or number(with_pii.value) is None:
        return "No PII count in the audit."
    found = [(m.id.split(".", 2)[2], int(m.value)) for m in audit.metrics
             if m.id.startswith("pii.findings.") and isinstance(m.value, int) and m.value > 0]
    n = with_pii.n
    share = number(rate.value) if rate is not None else (float(with_pii.value) / n if n else None)
    text = f"{int(with_pii.value)}" + (f" of {n}" if n else "") + " record(s)" + (f" ({percent(share)})" if share is not None else "") + " hold PII"
    if not found:
        return text + ": nothing to clean."
    kinds = ", ".join(f"{k} {v}" for k, v in found)
    return text + f" ({kinds}). Values are masked; clean the data with `rai audit pii --redact` before training."


def toxicity_sentence(audit: AuditResult, *, brief: bool = True) -> str:
    rate = record(audit, "toxicity.rate")
    if rate is None:
        return "No toxicity rate in the audit."
    section = audit.sections.get("toxicity") if isinstance(audit.sections.get("toxicity"), dict) else {}
    backend = section.get("backend") if isinstance(section.get("backend"), dict) else {}
    label, threshold = rate.details.get("label", "toxicity"), rate.details.get("threshold", section.get("threshold"))
    text = (f"{percent(number(rate.value))} of {rate.n or 'the'} texts score at or above {format_number(threshold)} on {label}"
            + (f" (interval {percent(rate.ci[0])} to {percent(rate.ci[1])})" if rate.ci and None not in rate.ci and not brief else "")
            + (f", scored by {backend.get('name')}" if backend.get("name") else ""))
    if backend.get("fallback_reason") and not brief:
        text += " (the named fallback classifier: Detoxify weights were not available)"
    gap = record(audit, "toxicity.max_group_gap")
    if gap is not None and number(gap.value) is not None:
        text += f"; the largest gap between {gap.details.get('attribute', 'groups')} groups is {percent(number(gap.value))}"
    return text + "."


SENTENCES: dict[str, Callable[[AuditResult], str]] = {
    "privacy": privacy_sentence, "fairness": fairness_sentence, "pii": pii_sentence, "toxicity": toxicity_sentence,
}


# --- cards -------------------------------------------------------------------------------------------
def _headline(audit: AuditResult, area: str) -> tuple[str, MetricRecord | None]:
    """The number a reader looks at first for each area."""
    if area == "privacy":
        eps = record(audit, "privacy.dp.epsilon")
        if eps is not None and number(eps.value) is not None:
            delta = record(audit, "privacy.dp.delta")
            return f"ε proven (δ = {format_number(delta.value) if delta else 'n/a'})", eps
        return "membership-inference AUC", record(audit, "privacy.mia.auc")
    if area == "fairness":
        defined = [r for r in records(audit, "fairness.demographic_parity_ratio") if number(r.value) is not None]
        worst = min(defined, key=lambda r: float(r.value), default=None)  # type: ignore[arg-type]
        return (f"parity ratio, {worst.details.get('attribute')}" if worst else "parity ratio"), worst
    if area == "pii":
        return "records with PII", record(audit, "pii.records_with_pii")
    return "toxic rate", record(audit, "toxicity.rate")


def _rule(verdict: Verdict | None, area: str) -> RuleResult | None:
    """The area's worst-judged rule."""
    judged = [rr for rr in verdict.rules if rr.rule.metric.startswith(area + ".")] if verdict is not None else []
    return max(judged, key=lambda rr: rr.status.rank, default=None)


def cards(audit: AuditResult, verdict: Verdict | None) -> tuple[Card, ...]:
    """One card per area, in AREAS order; an area the audit did not cover says so."""
    out = []
    for area in AREAS:
        rr = _rule(verdict, area)
        rule = f"{rr.rule.label}: {rr.rule.threshold_text()}" if rr is not None else ""
        status = rr.status.value if rr is not None else "none"
        if area not in audit.sections and not any(m.section == area for m in audit.metrics):
            out.append(Card(area, AREA_TITLES[area], "", "n/a", "", rule, status, NOT_AUDITED.format(area=area)))
            continue
        headline, rec = _headline(audit, area)
        s = stat(rec) if rec is not None else Stat(None)
        value = "n/a" if s.value is None else (str(int(s.value)) if area == "pii" else f"{s.value:.2f}")
        out.append(Card(area, AREA_TITLES[area], headline, value, interval_text(s), rule, status, SENTENCES[area](audit)))
    return tuple(out)


def verdict_sentence(verdict: Verdict | None) -> str:
    if verdict is None:
        return "No policy was evaluated."
    failed = [rr.rule.label for rr in verdict.rules if rr.status.blocks]
    warned = [rr for rr in verdict.rules if rr.status.value == "warn"]
    return (f"{'PASS' if verdict.passed else 'FAIL'} under the `{verdict.policy}` policy"
            + (f" ({len(failed)} blocking rule(s): {', '.join(failed)})" if failed else "")
            + (f"; {len(warned)} warning(s)" if warned else "") + ".")


def paragraphs(audit: AuditResult, verdict: Verdict | None, baseline: AuditResult | None = None) -> dict[str, str]:
    """A paragraph per finding, for the terminal: "verdict", each audited area, and "one_run" when measured."""
    out = {"verdict": f"Verdict: {verdict_sentence(verdict)}"}
    for area in AREAS:
        if area in audit.sections or any(m.section == area for m in audit.metrics):
            text = (privacy_sentence(audit, baseline, brief=False) if area == "privacy" else
                    toxicity_sentence(audit, brief=False) if area == "toxicity" else SENTENCES[area](audit))
            out[area] = f"{AREA_TITLES[area]}: {text}"
    one_run = one_run_sentence(audit, baseline)
    if one_run is not None:
        out["one_run"] = one_run
    return out
