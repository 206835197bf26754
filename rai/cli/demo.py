"""`rai demo [--out DIR] [--quick]`: the whole suite on shipped data (see rai/demo.py)."""

from __future__ import annotations

import argparse
import time

from rai.cli.commands import Command, seed


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="runs/demo", metavar="DIR", help="output directory (default runs/demo): new, empty, or an unchanged previous demo output, which is replaced")
    parser.add_argument("--quick", action="store_true", help="a reduced demo (fewer rows, one short epoch) for smoke tests")
    parser.add_argument("--seed", type=seed, default=0)


def run(args: argparse.Namespace) -> int:
    from rai.demo import explain, run_demo

    started = time.perf_counter()
    outcome = run_demo(args.out, quick=args.quick, seed=args.seed, quiet=args.quiet)
    print()
    print(explain(outcome))
    print(f"\nrai demo finished in {time.perf_counter() - started:.0f} s.")
    return 0


COMMAND = Command(name="demo", help="run the whole suite on shipped data: DP training, audits, gate, report (offline, CPU)",
                  add_arguments=add_arguments, run=run, output_dirs=("out",))
