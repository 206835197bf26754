"""`rai policy check FILE…`, `rai policy list`, `rai policy show NAME`: work with release policies."""

from __future__ import annotations

import argparse

from rai.cli.commands import Command
from rai.core.errors import EXIT_OK


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="policy_command", metavar="ACTION", required=True)
    check = sub.add_parser("check", help="validate policy files (every problem, with file:line)", description="validate policy files")
    check.add_argument("files", nargs="+", metavar="FILE", help="policy files given as paths (./mine, mine.yaml) or bundled policy names")
    sub.add_parser("list", help="list the bundled policies", description="list the bundled policies")
    show = sub.add_parser("show", help="print a bundled policy (a starting point for your own)", description="print a bundled policy")
    show.add_argument("name", metavar="NAME", help="a bundled policy name")
    for action in (check, sub.choices["list"], show):  # `rai policy list --quiet` as well as `rai policy --quiet list`
        action.add_argument("--quiet", action="store_true", default=argparse.SUPPRESS, help="no status lines")
        action.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show the traceback of an internal error")


def _check(files: list[str]) -> int:
    from rai.audit.gate.loader import parse_policy_text, read_policy_file, validate_policy_text
    from rai.core.errors import InputError

    from rai import policies

    problems = []
    for f in files:
        file = read_policy_file(policies.resolve(f))
        found = validate_policy_text(file.text, file.source)
        problems += found
        if not found:
            pol = parse_policy_text(file.text, file.source, sha256=file.sha256)
            print(f"{file.source}: ok (policy {pol.name}: {len(pol.rules)} rule(s), {len(pol.waivers)} waiver(s); sha256 {pol.sha256})")
    if problems:
        raise InputError("; ".join(str(p) for p in problems))
    return EXIT_OK


def _list() -> int:
    from rai.audit.gate import load_policy

    from rai import policies

    for name in policies.names():
        pol = load_policy(name)
        print(f"{name:<14} {len(pol.rules):>2} rules  {' '.join(pol.description.split())}")
    return EXIT_OK


def _show(name: str) -> int:
    from rai import policies

    print(policies.path(name).read_text(encoding="utf-8"), end="")
    return EXIT_OK


def run(args: argparse.Namespace) -> int:
    actions = {"check": lambda: _check(args.files), "list": _list, "show": lambda: _show(args.name)}
    return actions[args.policy_command]()


COMMAND = Command(name="policy", help="validate (check), list or show release policies", add_arguments=add_arguments, run=run)
