"""Monitoring generated content: score each model output (PII, toxicity), keep windows of rates with
intervals, judge the policy's `monitoring:` rules on every window, and a guard for serving code.

    from rai.audit.monitor import Guard
    guard = Guard.from_policy("default")
    verdict = guard.check(text)   # verdict.masked, verdict.blocked, verdict.reasons

Pure parts: `rates` (binomial intervals), `windows` (windows, rates, rules). Stateful: `monitor.Monitor`.
I/O at the edges: `sources` (stdin, files, a followed file); the CLI is `rai monitor`.
"""

from rai.audit.monitor.guard import Guard, GuardVerdict

__all__ = ["Guard", "GuardVerdict"]
