"""The release gate: policies (YAML, validated with file:line errors), their evaluation, the verdict."""

from rai.audit.gate.evaluate import evaluate, match_baseline
from rai.audit.gate.loader import Problem, load_policy, parse_policy_text, policy_from_dict, validate_policy_text
from rai.audit.gate.policy import Bound, Policy, Rule, Severity, Waiver
from rai.audit.gate.verdict import RecordResult, RuleResult, Status, Verdict

__all__ = ["Bound", "Policy", "Problem", "RecordResult", "Rule", "RuleResult", "Severity", "Status", "Verdict", "Waiver",
           "evaluate", "load_policy", "match_baseline", "parse_policy_text", "policy_from_dict", "validate_policy_text"]
