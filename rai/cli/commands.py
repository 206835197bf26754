"""What a subcommand module provides. The CLI finds them through `rai.cli.registry`.

A top-level command (`rai train`, `rai gate`, ...) exports `COMMAND = Command(...)`;
its `run(args)` returns an exit code.

`outputs` names the arguments that are output files: `rai.cli.main.execute` checks them before the
command runs (`rai.core.outputs`: not an input, not each other, not an existing file without --force) and
hands the command `args.outputs`, where it stages every file; they are renamed into place together
when it returns. `output_dirs` names outputs the command checks itself (directories, or a file-or-
directory such as `--redact`); both are left out of the command's inputs.

An audit (`rai audit fairness`, ...) exports `AUDIT = AuditCommand(...)`; its `run(args)`
returns a `rai.audit.result.AuditResult` and never writes `--out` itself: the `audit` group
adds `--out`, `--append`, `--replace`, `--seed`, provenance and the atomic write, and
`rai audit run` calls the same `run` with settings taken from a config file.
Modules import heavy libraries (torch, transformers) inside `run`, so `rai --help` is fast.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rai.core.config import csv_list  # noqa: F401 - re-exported: the comma-list type of every command

if TYPE_CHECKING:
    from rai.audit.result import AuditResult


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
    outputs: tuple[str, ...] = ()
    output_dirs: tuple[str, ...] = ()


@dataclass(frozen=True)
class AuditCommand:
    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], "AuditResult"]
    outputs: tuple[str, ...] = ()
    output_dirs: tuple[str, ...] = ()


ERR_TOO_LARGE = "must be at most {limit}, got {got}"


def at_most(convert: Callable[[str], int], limit: int) -> Callable[[str], int]:
    """`convert` (an argparse type such as `positive_int`) with an upper bound (`rai.core.limits`)."""
    def bounded(value: str) -> int:
        n = convert(value)
        if n > limit:
            raise argparse.ArgumentTypeError(ERR_TOO_LARGE.format(limit=limit, got=value))
        return n

    bounded.__name__ = getattr(convert, "__name__", "integer")  # argparse names it in "invalid ... value"
    bounded.limit = limit  # type: ignore[attr-defined]  # for help and for the test that every size flag has one
    return bounded


SEED_MAX = 2**32 - 1  # numpy's and torch's seeds are unsigned 32-bit


def seed(value: str) -> int:
    """argparse type for --seed: checked here, not deep inside numpy (exit 2, not 3)."""
    n = int(value)
    if not 0 <= n <= SEED_MAX:
        raise argparse.ArgumentTypeError(f"must be between 0 and {SEED_MAX}, got {value}")
    return n


def add_force_argument(parser: argparse.ArgumentParser) -> None:
    """--force, the same for every command that writes files (rai.core.outputs)."""
    parser.add_argument("--force", action="store_true", help="overwrite output files that already exist")


def positive_int(value: str) -> int:
    n = int(value)
    if n <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return n


def non_negative_int(value: str) -> int:
    n = int(value)
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return n


def positive_float(value: str) -> float:
    x = float(value)
    if not x > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {value}")
    return x


def probability(value: str) -> float:
    x = float(value)
    if not 0.0 < x < 1.0:
        raise argparse.ArgumentTypeError(f"must be strictly between 0 and 1, got {value}")
    return x
