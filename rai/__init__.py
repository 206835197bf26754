"""rai-suite: one import name for the `rai` command (rai.cli), the demo, the audits (rai.audit), training
(rai.training), reports (rai.reports), bundled policies (rai.policies) and what they share (rai.core)."""

__version__ = "0.1.0"
