"""`rai monitor [PATH...|-] --policy NAME --alerts alerts.jsonl [--snapshot audit.json] [--window N] [--follow] [--fail-fast]`.

Scores each model output (PII, toxicity), judges the policy's monitoring rules on every window and
writes one JSON line per alert (no text, raw or masked) and, with --snapshot, a rai.audit/1 document
whose `monitor` section holds the window series (`rai report` charts it). Exit 0: no blocking alert;
1: a blocking alert (at once with --fail-fast); 2: bad input. Both files go through `rai.core.outputs`
and are rewritten as windows close, so a follower sees alerts while the stream runs.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from rai.cli.commands import Command, add_force_argument, at_most, csv_list, positive_float, positive_int
from rai.core.errors import EXIT_GATE_FAILED, EXIT_OK, InputError
from rai.core.limits import MAX_BATCH_SIZE

HELP = "monitor a stream of model outputs (PII, toxicity) against a policy's monitoring rules"
STDIN = "-"
ERR_NO_INPUT = "nothing to monitor: give PATH... or - (JSON lines on stdin)"
ERR_STDIN_MIXED = "- (stdin) cannot be combined with files"
ERR_FOLLOW_ONE = "--follow follows exactly one JSONL file (not -)"
ERR_IDLE_NEEDS_FOLLOW = "--idle-timeout needs --follow"
WARN_SMALL_WINDOW = ("rai monitor: warning: a window of {n} outputs breaks {rules} even with no event in it "
                     "(the interval of 0 in {n} reaches above the limit); use a larger --window")
MAX_WINDOW = 10_000_000  # outputs per window (a window holds counts, not outputs: the bound only catches typos)
MAX_OUTPUTS = 10**12  # --max-records
MAX_SNAPSHOT_EVERY = 1_000_000
FILE_BATCH = 64  # outputs scored together when reading files (one at a time from a stream)


def add_arguments(p: argparse.ArgumentParser) -> None:
    from rai.audit.toxicity.backends import BACKEND_CHOICES

    p.add_argument("paths", nargs="*", metavar="PATH", help="outputs to monitor: CSV, TSV, JSONL or Parquet files, or - for JSON lines on stdin")
    p.add_argument("--policy", metavar="NAME|PATH", required=True, help="a policy with a monitoring section (bundled: default, strict)")
    p.add_argument("--alerts", metavar="alerts.jsonl", required=True, help="one JSON line per alert (window, metric, value, interval, rule)")
    p.add_argument("--snapshot", metavar="audit.json", help="an audit document with the window series, rewritten as windows close")
    p.add_argument("--snapshot-every", type=at_most(positive_int, MAX_SNAPSHOT_EVERY), default=10, metavar="K", help="rewrite --snapshot every K windows (default 10) and at the end")
    p.add_argument("--columns", type=csv_list, default=["text"], metavar="LIST", help="text column(s) of each output (default: text)")
    p.add_argument("--window", type=at_most(positive_int, MAX_WINDOW), metavar="N", help="outputs per window (default: the policy's monitoring.window)")
    p.add_argument("--window-seconds", type=positive_float, metavar="S", help="also close a window S seconds after its first output")
    p.add_argument("--follow", action="store_true", help="follow one growing JSONL file like tail -f (stop: --max-records, --idle-timeout, Ctrl-C)")
    p.add_argument("--idle-timeout", type=positive_float, metavar="S", help="with --follow: stop after S seconds without a new line")
    p.add_argument("--max-records", type=at_most(positive_int, MAX_OUTPUTS), metavar="N", help="stop after N outputs")
    p.add_argument("--fail-fast", action="store_true", help="exit 1 at the first blocking alert")
    s = p.add_argument_group("toxicity scoring (as rai audit toxicity)")
    s.add_argument("--backend", choices=BACKEND_CHOICES, default="auto",
                   help="auto (default): Detoxify if its weights are here, else profanity-check, named in the snapshot")
    s.add_argument("--model-type", help="named Detoxify model, read from the torch hub cache")
    s.add_argument("--checkpoint", type=Path, metavar="FILE", help="a Detoxify checkpoint file")
    s.add_argument("--hf-config", type=Path, metavar="DIR", help="Hugging Face config and tokenizer of the checkpoint's base model")
    s.add_argument("--trust-checkpoint", action="store_true", help="allow a --checkpoint that needs full unpickling")
    s.add_argument("--device", default="cpu", help="torch device for scoring (default cpu)")
    s.add_argument("--batch-size", type=at_most(positive_int, MAX_BATCH_SIZE), default=32, help="texts per scoring batch (default 32)")
    add_force_argument(p)


def _check(args: argparse.Namespace) -> None:
    if not args.paths:
        raise InputError(ERR_NO_INPUT)
    if STDIN in args.paths and len(args.paths) > 1:
        raise InputError(ERR_STDIN_MIXED)
    if args.follow and (len(args.paths) != 1 or args.paths[0] == STDIN):
        raise InputError(ERR_FOLLOW_ONE)
    if args.idle_timeout is not None and not args.follow:
        raise InputError(ERR_IDLE_NEEDS_FOLLOW)


class _Stop:
    """When a followed stream ends: after --max-records outputs, or --idle-timeout seconds without one."""

    def __init__(self, max_records: int | None, idle: float | None) -> None:
        self.max_records, self.idle = max_records, idle
        self.records, self.last = 0, time.monotonic()

    def seen(self) -> None:
        self.records += 1
        self.last = time.monotonic()

    def __call__(self) -> bool:
        return (self.max_records is not None and self.records >= self.max_records) or \
               (self.idle is not None and time.monotonic() - self.last >= self.idle)


def _batches(args: argparse.Namespace, stop: _Stop) -> Iterator[list[tuple[str, ...]] | None]:
    """Lists of outputs to score together; None when a followed file has nothing new (a clock tick)."""
    from rai.audit.monitor.sources import follow_lines, stream_lines, table_rows

    if args.follow:
        for item in follow_lines(args.paths[0], args.columns, stop=stop):
            yield None if item is None else [item]
        return
    if args.paths == [STDIN]:
        for texts in stream_lines(sys.stdin, args.columns):
            yield [texts]
        return
    for path in args.paths:
        batch: list[tuple[str, ...]] = []
        for texts in table_rows(path, args.columns):
            batch.append(texts)
            if len(batch) == FILE_BATCH:
                yield batch
                batch = []
        if batch:
            yield batch


def run(args: argparse.Namespace) -> int:
    from rai.audit.gate import load_policy
    from rai.audit.gate.policy import Severity
    from rai.audit.monitor.guard import ERR_UNSCANNED, monitoring_of
    from rai.audit.monitor.monitor import Monitor
    from rai.audit.monitor.scoring import OutputScorer
    from rai.audit.monitor.windows import always_broken, unscanned
    from rai.audit.pii.config import ScanConfig
    from rai.audit.result import AuditResult, audit_json_text
    from rai.audit.toxicity import BackendOptions, load_backend
    from rai.core.progress import say

    _check(args)
    policy = load_policy(args.policy)
    monitoring = monitoring_of(policy)
    scanner = ScanConfig().build()
    missing = unscanned(monitoring, scanner.entities)
    if missing:
        raise InputError(ERR_UNSCANNED.format(metrics=", ".join(missing)), where=policy.source)
    loaded = load_backend(args.backend, BackendOptions(model_type=args.model_type, checkpoint=args.checkpoint,
                                                       hf_config=args.hf_config, device=args.device,
                                                       batch_size=args.batch_size, trust_checkpoint=args.trust_checkpoint))
    if loaded.fallback_reason:
        say(f"rai monitor: warning: {loaded.fallback_reason}")
    scorer = OutputScorer(scanner, loaded.backend, monitoring.toxicity_threshold)
    monitor = Monitor(monitoring, scanner.entities, window=args.window, window_seconds=args.window_seconds)
    hopeless = always_broken(monitoring, monitor.counter.size)
    if hopeless:
        say(WARN_SMALL_WINDOW.format(n=monitor.counter.size, rules=", ".join(hopeless)))
    setup = {"policy": {"name": policy.name, "source": policy.source, "sha256": policy.sha256},
             "backend": loaded.backend.info.to_dict(), "backend_fallback": loaded.fallback_reason,
             "pii_entities": list(scanner.entities), "source": "stdin" if args.paths == [STDIN] else list(args.paths),
             "follow": bool(args.follow)}
    alert_lines: list[str] = []

    def save(snapshot: bool) -> None:
        args.outputs.write_text(args.alerts, "".join(alert_lines), "--alerts")
        if snapshot and args.snapshot:
            result = AuditResult()
            for p in args.paths:
                if p != STDIN:
                    result.add_input(p)
            monitor.add_to(result, setup)
            args.outputs.write_text(args.snapshot, audit_json_text(result, where=args.snapshot), "--snapshot")
        args.outputs.commit()

    stop = _Stop(args.max_records, args.idle_timeout)
    state = {"blocking": 0, "unsaved_windows": 0}

    def take(judged: list) -> bool:
        """Record closed windows' alerts; True when one of them blocks."""
        new = [a for j in judged for a in j.alerts]
        alert_lines.extend(json.dumps(a, sort_keys=True) + "\n" for a in new)
        blocks = sum(a["severity"] == Severity.BLOCK.value for a in new)
        state["blocking"] += blocks
        state["unsaved_windows"] += len(judged)
        snapshot_due = state["unsaved_windows"] >= args.snapshot_every
        if new or snapshot_due:
            save(snapshot=snapshot_due)
            if snapshot_due:
                state["unsaved_windows"] = 0
        return blocks > 0

    for batch in _batches(args, stop):
        now = time.time()
        judged = monitor.tick(now) if batch is None else []
        for scored in scorer.score(batch or []):
            judged += monitor.add(scored.observation, now)
            stop.seen()
            if stop.max_records is not None and stop.records >= stop.max_records:
                break
        if take(judged) and args.fail_fast:
            save(snapshot=True)
            say(f"rai monitor: blocking alert after {monitor.records} outputs; stopping (--fail-fast)")
            return EXIT_GATE_FAILED
        if stop():
            break
    take(monitor.finish())
    save(snapshot=True)
    say(f"rai monitor: {monitor.records} outputs, {monitor.windows} windows, {monitor.alerts} alerts")
    return EXIT_GATE_FAILED if state["blocking"] else EXIT_OK

COMMAND = Command(name="monitor", help=HELP, add_arguments=add_arguments, run=run, outputs=("alerts", "snapshot"))
