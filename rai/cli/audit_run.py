"""`rai audit run --config audit.yaml`: run every configured audit and write one audit.json.

The config has one section per audit, with the same keys as that audit's flags, plus `out` and
`seed` at the top:

    out: audit.json
    seed: 0
    fairness: {predictions: runs/demo/predictions.csv, sensitive: [sex, race]}
    pii: {}

Each section is checked by the audit's own parser (`rai.core.config.apply_config`, then an empty
argv), all before any audit starts, so a typo in the last section costs no time. A section for an
audit that is not registered is an error (exit 2). Results merge into one document with
provenance: tool and library versions, every input file with SHA-256 and row count, the seed,
and the time each audit took. Nothing is written unless every audit succeeds.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rai.cli.commands import AuditCommand, add_force_argument, seed
from rai.core.config import config_section
from rai.core.errors import EXIT_OK

if TYPE_CHECKING:
    from rai.audit.result import AuditResult

ERR_NO_AUDITS = "no audit configured: give --config with a section per audit ({known})"
ERR_SECTION = "section {name} must be a mapping of that audit's flags to values"
ERR_UNAVAILABLE = "audit {name} cannot run here: {error}"


def other_audits() -> list[AuditCommand]:
    """The registered audits, except this one."""
    from rai.cli.main import load_commands

    return [a for a in load_commands()[1] if a.name != "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    names = [a.name for a in other_audits()]
    parser.epilog = ("The --config file has a section per audit (" + ", ".join(names) + ") with that audit's flags as keys, "
                     "plus out and seed.") if names else "No audits are registered."
    parser.add_argument("--out", required=True, metavar="audit.json", help="where to write the merged audit result")
    add_force_argument(parser)
    parser.add_argument("--seed", type=seed, default=0, help="random seed passed to every audit")
    for name in names:
        parser.add_argument(f"--{name}", dest=name, nargs="*", type=config_section, default=argparse.SUPPRESS, help=argparse.SUPPRESS)


def _prepare(audit: AuditCommand, section: Any, args: argparse.Namespace) -> argparse.Namespace:
    """The namespace `rai audit NAME` would have built from this config section."""
    from rai.cli.main import _Parser
    from rai.core.config import apply_config
    from rai.core.errors import InputError

    where = args.config or "rai audit run"
    section = {} if section is None else section
    if not isinstance(section, dict):
        raise InputError(ERR_SECTION.format(name=audit.name), where=where)
    parser = _Parser(prog=f"{where}: section {audit.name}")
    audit.add_arguments(parser)
    apply_config(parser, section, where=f"{where}: section {audit.name}")
    ns = parser.parse_args([])
    for key, value in (("out", args.out), ("seed", args.seed), ("append", False), ("replace", False),
                       ("force", args.force), ("quiet", args.quiet), ("debug", args.debug), ("config", args.config),
                       ("outputs", args.outputs)):
        setattr(ns, key, value)
    return ns


def _paths_in(ns: argparse.Namespace, skip: tuple[str, ...] = ()) -> list[Path]:
    values: list[Any] = []
    for key, value in vars(ns).items():
        if key not in ("out", "config", *skip):
            values += value if isinstance(value, list) else [value]
    return [Path(v) for v in values if isinstance(v, (str, os.PathLike)) and str(v) and Path(v).is_file()]


def _plan_section(audit: AuditCommand, ns: argparse.Namespace) -> None:
    """The section's inputs join the command's; its output files (`pii: {findings: ...}`) are claimed now."""
    from rai.cli.main import input_paths

    outputs = (*audit.outputs, *audit.output_dirs)
    ns.outputs.add_inputs(input_paths(vars(ns), {"out", *outputs}))
    for name in audit.outputs:
        if getattr(ns, name, None):
            ns.outputs.claim(getattr(ns, name), "--" + name.replace("_", "-"))


def _count_rows(path: Path) -> int | None:
    from rai.core.errors import InputError
    from rai.core.io import iter_table_chunks, table_format

    try:
        table_format(path)
        return sum(len(chunk) for chunk in iter_table_chunks(path))
    except InputError:
        return None  # not a table (a JSON ledger, a text file): hashed, rows unknown


def record_inputs(result: "AuditResult", ns: argparse.Namespace, outputs: tuple[str, ...] = ()) -> None:
    """Add every input file the audit read but did not record itself (SHA-256 and row count)."""
    known = {Path(str(i.get("path"))).resolve() for i in result.subject.get("inputs", []) if isinstance(i, dict)}
    for path in _paths_in(ns, outputs):
        if path.resolve() not in known:
            result.add_input(path, _count_rows(path))
            known.add(path.resolve())


def run(args: argparse.Namespace) -> int:
    from rai.audit.result import audit_json_text
    from rai.cli.main import recorded_inputs
    from rai.core.config import resolved_config
    from rai.core.errors import InputError
    from rai.core.io import describe_input
    from rai.core.progress import say

    audits = other_audits()
    configured = [(a, getattr(args, a.name)) for a in audits if hasattr(args, a.name)]
    if not configured:
        raise InputError(ERR_NO_AUDITS.format(known=", ".join(a.name for a in audits) or "none registered"))
    prepared = [(a, _prepare(a, section, args)) for a, section in configured]
    for audit, ns in prepared:
        _plan_section(audit, ns)
    merged: AuditResult | None = None
    started_all = time.perf_counter()
    for i, (audit, ns) in enumerate(prepared, 1):
        say(f"rai audit run: {i}/{len(prepared)} {audit.name}")
        started = time.perf_counter()
        try:
            result = audit.run(ns)
        except ImportError as exc:  # an optional dependency of this audit is not installed
            raise InputError(ERR_UNAVAILABLE.format(name=audit.name, error=exc)) from None
        seconds = time.perf_counter() - started
        say(f"rai audit run: {audit.name} done in {seconds:.1f} s")
        result.record_run(audit.name, resolved_config(ns), seconds, seed=args.seed)
        record_inputs(result, ns, (*audit.outputs, *audit.output_dirs))
        args.outputs.add_inputs(recorded_inputs(result))
        merged = result if merged is None else merged.merge(result, where=args.out)
    assert merged is not None
    merged.provenance["audit_run"] = {
        "audits": [a.name for a, _ in prepared],
        "config": describe_input(args.config) if args.config else None,
        "seconds": round(time.perf_counter() - started_all, 3),
    }
    args.outputs.write_text(args.out, audit_json_text(merged, where=args.out), "--out")
    say(f"rai audit run: ran {', '.join(a.name for a, _ in prepared)}")
    return EXIT_OK


AUDIT = AuditCommand(name="run", help="run the audits configured in --config audit.yaml and merge them into one audit.json",
                     add_arguments=add_arguments, run=run, outputs=("out",))
