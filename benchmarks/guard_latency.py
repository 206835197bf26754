"""Latency of `Guard.check` per output on this machine: p50 / p99 / max, with the default PII scanner
and the offline toxicity fallback (alt-profanity-check), on a mix of clean, toxic and PII outputs.

    python benchmarks/guard_latency.py [--outputs 2000] [--chars 300] [--policy default]

Every output is checked once after a warm-up; the texts are generated here (sentences of several
lengths, a tenth with an email or a phone number, a tenth with profanity), not taken from a test.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from rai.audit.monitor import Guard

WORDS = ("the model answered the question about the weather and the schedule for the next meeting "
         "with a short summary of the report and a list of open items for the team").split()


def outputs(n: int, chars: int, rng: random.Random) -> list[str]:
    out = []
    for i in range(n):
        words = []
        while sum(len(w) + 1 for w in words) < rng.randint(chars // 4, chars):
            words.append(rng.choice(WORDS))
        text = " ".join(words)
        if i % 10 == 3:
            text += f" write to user{i}@example.org or call 212-555-{rng.randint(1000, 9999)}"
        elif i % 10 == 7:
            text += " this is fucking stupid"
        out.append(text)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--outputs", type=int, default=2000)
    p.add_argument("--chars", type=int, default=300, help="longest output, in characters")
    p.add_argument("--policy", default="default")
    args = p.parse_args()
    guard = Guard.from_policy(args.policy)
    print(f"toxicity backend: {guard.scorer.backend.info.name} ({guard.fallback_reason or 'as chosen'})")
    texts = outputs(args.outputs, args.chars, random.Random(0))
    for t in texts[:50]:
        guard.check(t)
    ms, blocked = [], 0
    for t in texts:
        t0 = time.perf_counter()
        v = guard.check(t)
        ms.append((time.perf_counter() - t0) * 1000)
        blocked += v.blocked
    q = statistics.quantiles(ms, n=100)
    print(f"{len(texts)} outputs of up to {args.chars} characters, {blocked} blocked")
    print(f"latency per output: p50 {q[49]:.3f} ms, p99 {q[98]:.3f} ms, max {max(ms):.3f} ms "
          f"(budget {guard.budget_ms:g} ms: {sum(m > guard.budget_ms for m in ms)} over)")


if __name__ == "__main__":
    main()
