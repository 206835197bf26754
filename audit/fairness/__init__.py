"""Fairness audit: group metrics and disparities with honest intervals, bias AUCs, counterfactuals.

Pure computations over arrays; the CLI (`rai audit fairness`, `rai audit counterfactual`) reads
files and calls these. See docs/fairness.md.
"""

from rai.audit.fairness.assess import FairnessConfig, assess_fairness
from rai.audit.fairness.bias_auc import BiasAucs, exact_bias_aucs, power_mean
from rai.audit.fairness.counterfactual import (CounterfactualResult, Swapper, TermPair, assess_counterfactual, builtin_term_pairs,
                                           counterfactual_audit, load_term_pairs)
from rai.audit.fairness.disparities import DISPARITIES, Disparity, DisparityResult, Kind, Scope
from rai.audit.fairness.frame import ConfusionFrame, GroupFrame
from rai.audit.fairness.groups import MISSING, Grouping, encode_attribute, groupings_for, intersect
from rai.audit.fairness.intervals import Estimate, extremum_interval
from rai.audit.fairness.metrics import RATE_METRICS

__all__ = [
    "BiasAucs", "ConfusionFrame", "CounterfactualResult", "DISPARITIES", "Disparity", "DisparityResult", "Estimate",
    "FairnessConfig", "GroupFrame", "Grouping", "Kind", "MISSING", "RATE_METRICS", "Scope", "Swapper", "TermPair",
    "assess_counterfactual", "assess_fairness", "builtin_term_pairs", "counterfactual_audit", "encode_attribute",
    "exact_bias_aucs", "extremum_interval", "groupings_for", "intersect", "load_term_pairs", "power_mean",
]
