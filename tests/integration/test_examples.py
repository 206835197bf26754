"""The shipped examples stay true to the CLI: every key of examples/audit.yaml is a flag of its audit."""

from pathlib import Path

import yaml

from rai.cli.main import _Parser, load_commands
from rai.core.config import apply_config

ROOT = Path(__file__).parents[2]


def test_example_audit_config_keys_are_audit_flags():
    config = yaml.safe_load((ROOT / "examples" / "audit.yaml").read_text())
    audits = {a.name: a for a in load_commands()[1]}
    sections = {k: v for k, v in config.items() if k not in ("out", "seed")}
    assert set(sections) == {"fairness", "pii", "privacy", "toxicity"}
    for name, section in sections.items():
        parser = _Parser(prog=name)
        audits[name].add_arguments(parser)
        apply_config(parser, section, where=f"examples/audit.yaml: {name}")  # raises on an unknown key


def test_ci_workflow_runs_the_gate_last():
    workflow = yaml.safe_load((ROOT / "examples" / "ci" / "release-gate.yml").read_text())
    steps = workflow["jobs"]["gate"]["steps"]
    assert "rai gate" in steps[-1]["run"] and "rai audit run" in " ".join(s.get("run", "") for s in steps)
