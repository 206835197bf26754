"""The documented metric ids: the vocabulary that policies gate on (the founding design, "Audit result").

A policy may only name ids listed here; an audit may only emit ids listed here
(`AuditResult.add_metric` checks). `docs/metrics.md` is generated from this table:
    python -m rai.audit.metric_ids > docs/metrics.md
An id segment written `<name>` matches one dotted segment of letters, digits, '_' or '-'.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Range:
    """The values a metric can take. The strict audit reader (`rai.audit.checks`) refuses any other value."""

    low: float
    high: float = math.inf
    count: bool = False  # a whole number (a number of records, findings, groups)
    note: str = ""  # a bound that depends on the run, for people (not checked)

    def contains(self, x: float) -> bool:
        return self.low <= x <= self.high and (not self.count or isinstance(x, int) or float(x).is_integer())

    def __str__(self) -> str:
        text = f"whole number >= {self.low:g}" if self.count else f"[{self.low:g}, {'inf)' if math.isinf(self.high) else f'{self.high:g}]'}"
        return f"{text}; {self.note}" if self.note else text


@dataclass(frozen=True)
class MetricSpec:
    id: str
    meaning: str
    range: Range
    better: str  # "higher" | "lower" | "none"

    def __post_init__(self) -> None:
        if not isinstance(self.range, Range):  # a range written as text cannot be checked: fail at import, not at a gate
            raise TypeError(f"{self.id}: range must be a rai.audit.metric_ids.Range (UNIT, COUNT, NON_NEGATIVE, ...), got {self.range!r}")


UNIT = Range(0.0, 1.0)
COUNT = Range(0.0, count=True)
NON_NEGATIVE = Range(0.0)
_EXPOSURE = Range(0.0, note="at most log2(secret space size), details.space_bits")

METRICS: tuple[MetricSpec, ...] = (
    # --- fairness (audit/fairness) ---
    # One record per attribute (details.attribute: "sex", "race", "sex&race"; details.class for multi-class).
    MetricSpec("fairness.demographic_parity_difference", "Largest minus smallest selection rate across groups of one attribute", UNIT, "lower"),
    MetricSpec("fairness.demographic_parity_ratio", "Smallest over largest selection rate across groups (four-fifths rule: >= 0.8)", UNIT, "higher"),
    MetricSpec("fairness.equalized_odds_difference", "Larger of the TPR and FPR between-group differences (fairlearn)", UNIT, "lower"),
    MetricSpec("fairness.equalized_odds_ratio", "Smaller of the TPR and FPR between-group ratios (fairlearn)", UNIT, "higher"),
    MetricSpec("fairness.equal_opportunity_difference", "Largest minus smallest true-positive rate across groups", UNIT, "lower"),
    MetricSpec("fairness.equal_opportunity_ratio", "Smallest over largest true-positive rate across groups (fairlearn)", UNIT, "higher"),
    MetricSpec("fairness.demographic_parity_difference_vs_reference", "Largest |selection rate - reference group's| (Aequitas)", UNIT, "lower"),
    MetricSpec("fairness.demographic_parity_ratio_vs_reference", "Smallest min(r, 1/r), r = selection rate / reference group's (Aequitas; >= 0.8)", UNIT, "higher"),
    MetricSpec("fairness.equalized_odds_difference_vs_reference", "Largest |TPR or FPR - reference group's|", UNIT, "lower"),
    MetricSpec("fairness.equalized_odds_ratio_vs_reference", "Smallest min(r, 1/r) of TPR and FPR against the reference group", UNIT, "higher"),
    MetricSpec("fairness.equal_opportunity_difference_vs_reference", "Largest |TPR - reference group's TPR|", UNIT, "lower"),
    MetricSpec("fairness.equal_opportunity_ratio_vs_reference", "Smallest min(r, 1/r), r = TPR / reference group's TPR", UNIT, "higher"),
    MetricSpec("fairness.small_groups", "Groups with fewer than --min-group-size rows: reported, left out of the disparities", COUNT, "lower"),
    MetricSpec("fairness.min_subgroup_auc", "Lowest identity-subgroup AUC (Borkan et al. 2019)", UNIT, "higher"),
    MetricSpec("fairness.min_bpsn_auc", "Lowest background-positive subgroup-negative AUC", UNIT, "higher"),
    MetricSpec("fairness.min_bnsp_auc", "Lowest background-negative subgroup-positive AUC", UNIT, "higher"),
    MetricSpec("fairness.generalized_mean_bias_auc", "Generalized power mean (p = -5) of all subgroup, BPSN and BNSP AUCs of an attribute", UNIT, "higher"),
    MetricSpec("fairness.counterfactual_flip_rate", "Share of texts whose predicted class changes when identity terms are swapped", UNIT, "lower"),
    MetricSpec("fairness.counterfactual_mean_abs_delta", "Mean absolute change of the class probabilities (total variation) when identity terms are swapped", UNIT, "lower"),
    # --- pii (audit/pii) ---
    MetricSpec("pii.records_with_pii", "Number of records (rows of the scanned files) with at least one PII finding", COUNT, "lower"),
    MetricSpec("pii.records_with_pii_rate", "Share of records with at least one PII finding", UNIT, "lower"),
    MetricSpec("pii.findings.<type>", "Number of findings of one entity type, one record per scanned type, zeros included "
               "(email, phone, credit_card, us_ssn, iban, ip_address, url_credentials, aws_access_key, private_key, "
               "bearer_token, api_key; person, location with --presidio)", COUNT, "lower"),
    # --- privacy (audit/privacy) ---
    MetricSpec("privacy.dp.epsilon", "Epsilon of the (epsilon, delta)-DP guarantee from privacy.json (null when trained without DP)", NON_NEGATIVE, "lower"),
    MetricSpec("privacy.dp.delta", "Delta of the DP guarantee from privacy.json", UNIT, "lower"),
    MetricSpec("privacy.mia.auc", "ROC AUC of the best membership-inference attack (0.5 = no leakage)", UNIT, "lower"),
    MetricSpec("privacy.mia.advantage", "Attacker advantage (Yeom et al. 2018): max over thresholds of TPR - FPR, best attack", UNIT, "lower"),
    MetricSpec("privacy.mia.tpr_at_1pct_fpr", "Attack TPR at 1% FPR (best attack; null below 500 non-members, which cannot resolve 1%)", UNIT, "lower"),
    MetricSpec("privacy.mia.tpr_at_0_1pct_fpr", "Attack TPR at 0.1% FPR (best attack; null below 5000 non-members)", UNIT, "lower"),
    MetricSpec("privacy.mia.epsilon_lower_bound", "Empirical epsilon lower bound ln((TPR_lo - delta) / FPR_hi) from Clopper-Pearson bounds (0 = no evidence)", NON_NEGATIVE, "lower"),
    MetricSpec("privacy.audit.epsilon_lower_bound", "Epsilon lower bound of the one-run audit (Steinke, Nasr & Jagielski 2023) "
               "from guessing which audit canaries were trained on, at the stated confidence (0 = no evidence; null without "
               "--audit-canaries)", NON_NEGATIVE, "lower"),
    MetricSpec("privacy.audit.epsilon_excess", "One-run epsilon lower bound minus the ledger's epsilon: above 0 the DP "
               "guarantee does not hold for this model (null without a DP claim or audit canaries)", Range(-math.inf), "lower"),
    MetricSpec("privacy.canary.exposure_mean", "Mean exposure of inserted canaries in bits (Carlini et al. 2019)", _EXPOSURE, "lower"),
    MetricSpec("privacy.canary.exposure_max", "Largest exposure of inserted canaries in bits", _EXPOSURE, "lower"),
    # --- toxicity (audit/toxicity) ---
    MetricSpec("toxicity.rate", "Share of texts (or generations) whose score is at or above the threshold, for the backend's main label (toxicity; profanity with profanity-check)", UNIT, "lower"),
    MetricSpec("toxicity.rate.<label>", "Share of texts at or above the threshold for one label (insult, threat, ...)", UNIT, "lower"),
    MetricSpec("toxicity.max_group_gap", "Largest difference in toxicity rate (main label) between groups", UNIT, "lower"),
    MetricSpec("toxicity.expected_max", "Expected maximum toxicity over k generations per prompt (RealToxicityPrompts)", UNIT, "lower"),
    MetricSpec("toxicity.probability", "Share of prompts with at least one generation scoring >= 0.5 (RealToxicityPrompts)", UNIT, "lower"),
    # --- monitor (audit/monitor): rates over a window of a stream of model outputs; in an audit
    # snapshot, over every output seen so far (the per-window series is in the monitor section) ---
    MetricSpec("monitor.pii.rate", "Share of outputs with at least one PII finding", UNIT, "lower"),
    MetricSpec("monitor.pii.rate.<type>", "Share of outputs with at least one PII finding of one entity type (email, phone, ...)", UNIT, "lower"),
    MetricSpec("monitor.toxicity.rate", "Share of outputs whose toxicity score (the backend's main label) is at or above the policy's toxicity_threshold", UNIT, "lower"),
    MetricSpec("monitor.records", "Number of outputs monitored", COUNT, "none"),
    MetricSpec("monitor.alerts", "Number of alerts raised (windows x rules broken)", COUNT, "lower"),
)

_SEGMENT = r"[A-Za-z0-9_\-]+"


def _pattern(spec_id: str) -> re.Pattern[str]:
    parts = [(_SEGMENT if p.startswith("<") and p.endswith(">") else re.escape(p)) for p in spec_id.split(".")]
    return re.compile(r"\.".join(parts) + r"\Z")


_PATTERNS = [(_pattern(s.id), s) for s in METRICS]


def lookup(metric_id: str) -> MetricSpec | None:
    """The spec documenting `metric_id`, or None when the id is unknown."""
    for pattern, spec in _PATTERNS:
        if pattern.match(metric_id):
            return spec
    return None


def markdown_table() -> str:
    lines = [
        "# Metric ids",
        "",
        "Generated by `python -m rai.audit.metric_ids`; policies may gate on these ids only.",
        "`<name>` stands for one dotted segment (an entity type, a toxicity label).",
        "",
        "`rai gate` and `rai report` refuse (exit 2) an audit in which a value or an interval end lies outside",
        "its metric's range, an interval is reversed or leaves out its value, a count is not a whole number,",
        "or `better` differs from this table (docs/policies.md, \"What an audit must hold\").",
        "",
        "| id | meaning | range | better |",
        "|---|---|---|---|",
    ]
    lines += [f"| `{s.id}` | {s.meaning} | {s.range} | {s.better} |" for s in METRICS]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown_table(), end="")
