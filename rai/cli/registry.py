"""Every subcommand module, by import path. Add a line to plug in a new command."""

COMMAND_MODULES: tuple[str, ...] = (
    "rai.cli.gate",
    "rai.cli.report",
    "rai.cli.policy",
    "rai.cli.train",
    "rai.cli.demo",
    "rai.cli.monitor",
)

AUDIT_MODULES: tuple[str, ...] = (
    "rai.cli.audit_run",
    "rai.cli.audit_toxicity",
    "rai.cli.audit_privacy",
    "rai.cli.audit_fairness",
    "rai.cli.audit_counterfactual",
    "rai.cli.audit_pii",
)
