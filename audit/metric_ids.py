"""The documented metric ids: the vocabulary that policies gate on (DESIGN.md, "Audit result").

A policy may only name ids listed here; an audit may only emit ids listed here
(`AuditResult.add_metric` checks). `docs/metrics.md` is generated from this table:
    python -m audit.metric_ids > docs/metrics.md
An id segment written `<name>` matches one dotted segment of letters, digits, '_' or '-'.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class MetricSpec:
    id: str
    meaning: str
    range: str
    better: str  # "higher" | "lower" | "none"


_U = "[0, 1]"

METRICS: tuple[MetricSpec, ...] = (
    # --- fairness (audit/fairness) ---
    # One record per attribute (details.attribute: "sex", "race", "sex&race"; details.class for multi-class).
    MetricSpec("fairness.demographic_parity_difference", "Largest minus smallest selection rate across groups of one attribute", _U, "lower"),
    MetricSpec("fairness.demographic_parity_ratio", "Smallest over largest selection rate across groups (four-fifths rule: >= 0.8)", _U, "higher"),
    MetricSpec("fairness.equalized_odds_difference", "Larger of the TPR and FPR between-group differences (fairlearn)", _U, "lower"),
    MetricSpec("fairness.equalized_odds_ratio", "Smaller of the TPR and FPR between-group ratios (fairlearn)", _U, "higher"),
    MetricSpec("fairness.equal_opportunity_difference", "Largest minus smallest true-positive rate across groups", _U, "lower"),
    MetricSpec("fairness.equal_opportunity_ratio", "Smallest over largest true-positive rate across groups (fairlearn)", _U, "higher"),
    MetricSpec("fairness.demographic_parity_difference_vs_reference", "Largest |selection rate - reference group's| (Aequitas)", _U, "lower"),
    MetricSpec("fairness.demographic_parity_ratio_vs_reference", "Smallest min(r, 1/r), r = selection rate / reference group's (Aequitas; >= 0.8)", _U, "higher"),
    MetricSpec("fairness.equalized_odds_difference_vs_reference", "Largest |TPR or FPR - reference group's|", _U, "lower"),
    MetricSpec("fairness.equalized_odds_ratio_vs_reference", "Smallest min(r, 1/r) of TPR and FPR against the reference group", _U, "higher"),
    MetricSpec("fairness.equal_opportunity_difference_vs_reference", "Largest |TPR - reference group's TPR|", _U, "lower"),
    MetricSpec("fairness.equal_opportunity_ratio_vs_reference", "Smallest min(r, 1/r), r = TPR / reference group's TPR", _U, "higher"),
    MetricSpec("fairness.small_groups", "Groups with fewer than --min-group-size rows: reported, left out of the disparities", "[0, inf)", "lower"),
    MetricSpec("fairness.min_subgroup_auc", "Lowest identity-subgroup AUC (Borkan et al. 2019)", _U, "higher"),
    MetricSpec("fairness.min_bpsn_auc", "Lowest background-positive subgroup-negative AUC", _U, "higher"),
    MetricSpec("fairness.min_bnsp_auc", "Lowest background-negative subgroup-positive AUC", _U, "higher"),
    MetricSpec("fairness.generalized_mean_bias_auc", "Generalized power mean (p = -5) of all subgroup, BPSN and BNSP AUCs of an attribute", _U, "higher"),
    MetricSpec("fairness.counterfactual_flip_rate", "Share of texts whose predicted class changes when identity terms are swapped", _U, "lower"),
    MetricSpec("fairness.counterfactual_mean_abs_delta", "Mean absolute change of the class probabilities (total variation) when identity terms are swapped", _U, "lower"),
    # --- pii (audit/pii) ---
    MetricSpec("pii.records_with_pii", "Number of records (rows of the scanned files) with at least one PII finding", "[0, inf)", "lower"),
    MetricSpec("pii.records_with_pii_rate", "Share of records with at least one PII finding", _U, "lower"),
    MetricSpec("pii.findings.<type>", "Number of findings of one entity type, one record per scanned type, zeros included "
               "(email, phone, credit_card, us_ssn, iban, ip_address, url_credentials, aws_access_key, private_key, "
               "bearer_token, api_key; person, location with --presidio)", "[0, inf)", "lower"),
    # --- privacy (audit/privacy) ---
    MetricSpec("privacy.dp.epsilon", "Epsilon of the (epsilon, delta)-DP guarantee from privacy.json (null when trained without DP)", "[0, inf)", "lower"),
    MetricSpec("privacy.dp.delta", "Delta of the DP guarantee from privacy.json", _U, "lower"),
    MetricSpec("privacy.mia.auc", "ROC AUC of the best membership-inference attack (0.5 = no leakage)", _U, "lower"),
    MetricSpec("privacy.mia.advantage", "Attacker advantage (Yeom et al. 2018): max over thresholds of TPR - FPR, best attack", _U, "lower"),
    MetricSpec("privacy.mia.tpr_at_1pct_fpr", "Attack TPR at 1% FPR (best attack; null below 500 non-members, which cannot resolve 1%)", _U, "lower"),
    MetricSpec("privacy.mia.tpr_at_0_1pct_fpr", "Attack TPR at 0.1% FPR (best attack; null below 5000 non-members)", _U, "lower"),
    MetricSpec("privacy.mia.epsilon_lower_bound", "Empirical epsilon lower bound ln((TPR_lo - delta) / FPR_hi) from Clopper-Pearson bounds (0 = no evidence)", "[0, inf)", "lower"),
    MetricSpec("privacy.audit.epsilon_lower_bound", "Epsilon lower bound of the one-run audit (Steinke, Nasr & Jagielski 2023) "
               "from guessing which audit canaries were trained on, at the stated confidence (0 = no evidence; null without "
               "--audit-canaries)", "[0, inf)", "lower"),
    MetricSpec("privacy.audit.epsilon_excess", "One-run epsilon lower bound minus the ledger's epsilon: above 0 the DP "
               "guarantee does not hold for this model (null without a DP claim or audit canaries)", "(-inf, inf)", "lower"),
    MetricSpec("privacy.canary.exposure_mean", "Mean exposure of inserted canaries in bits (Carlini et al. 2019)", "[0, log2(secret space size)]", "lower"),
    MetricSpec("privacy.canary.exposure_max", "Largest exposure of inserted canaries in bits", "[0, log2(secret space size)]", "lower"),
    # --- toxicity (audit/toxicity) ---
    MetricSpec("toxicity.rate", "Share of texts (or generations) whose score is at or above the threshold, for the backend's main label (toxicity; profanity with profanity-check)", _U, "lower"),
    MetricSpec("toxicity.rate.<label>", "Share of texts at or above the threshold for one label (insult, threat, ...)", _U, "lower"),
    MetricSpec("toxicity.max_group_gap", "Largest difference in toxicity rate (main label) between groups", _U, "lower"),
    MetricSpec("toxicity.expected_max", "Expected maximum toxicity over k generations per prompt (RealToxicityPrompts)", _U, "lower"),
    MetricSpec("toxicity.probability", "Share of prompts with at least one generation scoring >= 0.5 (RealToxicityPrompts)", _U, "lower"),
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
        "Generated by `python -m audit.metric_ids`; policies may gate on these ids only.",
        "`<name>` stands for one dotted segment (an entity type, a toxicity label).",
        "",
        "| id | meaning | range | better |",
        "|---|---|---|---|",
    ]
    lines += [f"| `{s.id}` | {s.meaning} | {s.range} | {s.better} |" for s in METRICS]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown_table(), end="")
