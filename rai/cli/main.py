"""`rai` entry point: parse, call the library, map errors to exit codes. """

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rai import __version__
from rai.cli.commands import AuditCommand, Command, add_force_argument, seed
from rai.cli.registry import AUDIT_MODULES, COMMAND_MODULES
from rai.core.config import apply_config, load_yaml_mapping, resolved_config
from rai.core.errors import EXIT_INPUT, EXIT_INTERNAL, EXIT_OK, InputError, Interrupted, RaiError, Stopped, printable
from rai.core.outputs import CommandOutputs, stop_on_signals
from rai.core.progress import say, set_quiet

if TYPE_CHECKING:
    from rai.audit.result import AuditResult

ERR_STOPPED = "rai: stopped by signal {signum} before the command finished; the files it had staged were removed"


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors are one line (what and where) and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise InputError(f"{self.prog}: {message}")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="FILE.yaml", help="read settings from a YAML file with the same keys as the flags")
    parser.add_argument("--quiet", action="store_true", help="no progress bars or status lines")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an internal error")


def load_commands() -> tuple[list[Command], list[AuditCommand]]:
    commands = [importlib.import_module(m).COMMAND for m in COMMAND_MODULES]
    audits = [importlib.import_module(m).AUDIT for m in AUDIT_MODULES]
    return commands, audits


def add_audit_output_arguments(parser: argparse.ArgumentParser) -> None:
    """Options every audit shares: where the audit result goes and how it merges."""
    parser.add_argument("--out", required=True, metavar="audit.json", help="where to write the audit result")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--append", action="store_true", help="merge into an existing --out (a section that is already there is an error)")
    group.add_argument("--replace", action="store_true", help="merge into an existing --out, replacing a section of the same name")
    add_force_argument(parser)
    parser.add_argument("--seed", type=seed, default=0, help="random seed (bootstrap, sampling, generation)")


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    commands, audits = load_commands()
    parser = _Parser(prog="rai", description="Responsible-AI audit and DP fine-tuning suite.")
    parser.add_argument("--version", action="version", version=f"rai-suite {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    leaf: dict[str, argparse.ArgumentParser] = {}
    for cmd in commands:
        p = sub.add_parser(cmd.name, help=cmd.help, description=cmd.help)
        cmd.add_arguments(p)
        _common(p)
        p.set_defaults(handler=cmd)
        leaf[cmd.name] = p
    if audits:
        audit_p = sub.add_parser("audit", help="audit a model or data: " + ", ".join(a.name for a in audits))
        audit_sub = audit_p.add_subparsers(dest="audit_name", metavar="AUDIT", parser_class=_Parser)
        for a in audits:
            p = audit_sub.add_parser(a.name, help=a.help, description=a.help)
            a.add_arguments(p)
            if a.name != "run":
                add_audit_output_arguments(p)
            _common(p)
            p.set_defaults(handler=a)
            leaf[f"audit {a.name}"] = p
    return parser, leaf


def run_audit(audit: AuditCommand, args: argparse.Namespace) -> int:
    """Run one audit and stage (or merge) its result in `args.outputs`.

    An existing --out is read before the audit runs: with --append, one that already holds this audit's
    section is refused; without --append or --replace it was refused by `execute` (unless --force).
    """
    from rai.audit.result import ERR_COLLISION, audit_json_text, read_audit

    out = Path(args.out)
    merge = (args.append or args.replace) and out.exists()
    existing = read_audit(out) if merge else None
    if args.append and existing is not None and audit.name in existing.sections:
        raise InputError(ERR_COLLISION.format(names=audit.name, path=out))
    started = time.perf_counter()
    result = audit.run(args)
    args.outputs.add_inputs(recorded_inputs(result))  # files found inside an input folder (a run's predictions.csv)
    result.record_run(audit.name, resolved_config(args), time.perf_counter() - started, seed=args.seed)
    if existing is not None:
        result = existing.merge(result, replace=args.replace, where=str(out))
    args.outputs.write_text(out, audit_json_text(result, where=str(out)), "--out")
    return EXIT_OK


def recorded_inputs(result: "AuditResult") -> list[str]:
    """The input files an audit recorded in its result: outputs must not replace them either."""
    return [str(i["path"]) for i in result.subject.get("inputs", []) if isinstance(i, dict) and i.get("path")]


_NOT_PATHS = frozenset({"command", "audit_name", "handler", "quiet", "debug", "force", "append", "replace", "outputs"})


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def input_paths(values: dict[str, object], exclude: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """Every argument value that names an existing file or directory: the command's inputs.

    Mappings (`rai audit run`'s sections) are left to their command, which knows their outputs.
    """
    found: list[str] = []
    for key, value in values.items():
        if key in _NOT_PATHS or key in exclude:
            continue
        for v in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(v, (str, os.PathLike)) and str(v) and os.path.lexists(v):
                found.append(str(v))
    return found


def plan_outputs(args: argparse.Namespace) -> CommandOutputs:
    """The command's output files, checked before it runs (rai.core.outputs): exit 2 and nothing written on a clash."""
    handler = args.handler
    is_audit = isinstance(handler, AuditCommand) and handler.name != "run"
    names = (("out",) if is_audit else ()) + handler.outputs
    outputs = CommandOutputs(input_paths(vars(args), set(names) | set(handler.output_dirs)), force=getattr(args, "force", False))
    for name in names:
        value = getattr(args, name, None)
        if value:
            merge = is_audit and name == "out" and (args.append or args.replace)
            outputs.claim(value, _flag(name), merge=merge, mergeable=is_audit and name == "out")
    return outputs


def _leaf_key(argv: Sequence[str], leaf: dict[str, argparse.ArgumentParser]) -> str | None:
    words = [w for w in argv if not w.startswith("-")]
    if len(words) >= 2 and f"{words[0]} {words[1]}" in leaf:
        return f"{words[0]} {words[1]}"
    return words[0] if words and words[0] in leaf else None


def _config_path(argv: Sequence[str]) -> str | None:
    for i, word in enumerate(argv):
        if word == "--config" and i + 1 < len(argv):
            return argv[i + 1]
        if word.startswith("--config="):
            return word.split("=", 1)[1]
    return None


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser, leaf = build_parser()
    config = _config_path(argv)
    key = _leaf_key(argv, leaf)
    if config and key:
        apply_config(leaf[key], load_yaml_mapping(config), where=config)
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None:
        parser.print_help(sys.stderr)
        raise InputError("no command given" if not getattr(args, "command", None) else f"rai {args.command}: no subcommand given")
    return args


def execute(argv: Sequence[str]) -> int:
    """Run one `rai` command line in-process and return its exit code; errors propagate.

    This is how Python code (notebooks, `rai demo`) composes commands exactly as the CLI runs them.
    """
    args = parse(argv)
    set_quiet(args.quiet)
    with plan_outputs(args) as outputs:  # every staged output is renamed into place here, or none is
        args.outputs = outputs
        if isinstance(args.handler, AuditCommand) and args.handler.name != "run":
            code = run_audit(args.handler, args)
        else:
            code = int(args.handler.run(args))
    name = f"audit {args.handler.name}" if isinstance(args.handler, AuditCommand) else args.handler.name
    for path in outputs.committed:
        say(f"rai {name}: wrote {path}")
    return code


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        with stop_on_signals():
            return execute(argv)
    except InputError as exc:
        _error(f"rai: error: {exc}")
        return EXIT_INPUT
    except Interrupted as exc:  # stopped cleanly by a signal; the message says how to resume
        _error(str(exc))
        return exc.exit_code
    except RaiError as exc:  # a failure rai explains itself (a lost process of a distributed run): its message as it is
        _error(str(exc))
        return exc.exit_code
    except (Stopped, KeyboardInterrupt) as exc:
        signum = exc.signum if isinstance(exc, Stopped) else 2
        _error(ERR_STOPPED.format(signum=signum))
        return 128 + signum
    except OSError as exc:  # a file-system error that no check foresaw (disk full, permissions): the user's to fix
        if debug:
            traceback.print_exc()
        where = f"{exc.filename}: " if exc.filename else ""
        _error(f"rai: error: {where}{exc.strerror or type(exc).__name__}")
        return EXIT_INPUT
    except Exception as exc:  # noqa: BLE001 - the composition root maps bugs to exit 3
        if debug:
            traceback.print_exc()
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        _error(f"rai: internal error: {type(exc).__name__}: {first} (rerun with --debug for the traceback)")
        return EXIT_INTERNAL


def _error(line: str) -> None:
    """The one place errors reach stderr: control characters from paths or data are shown escaped."""
    print(printable(line), file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
