"""`rai report AUDIT [--policy …] [--baseline …] [--compare BASELINE] --html report.html --markdown summary.md --junit junit.xml`.

Re-renders from a saved audit.json alone. Everything is rendered before anything is written, and
the files appear together or not at all (`rai.core.outputs`), so a failure leaves no partial report behind. The exit code
says whether the reports were written (0) or the input was bad (2); the release decision is
`rai gate`'s (its verdict is the same one the reports show).
"""

from __future__ import annotations

import argparse

from rai.cli.commands import Command, add_force_argument
from rai.cli.gate import add_policy_arguments, judge
from rai.core.errors import EXIT_OK

ERR_NOTHING = "rai report: nothing to write: give --html, --markdown and/or --junit"
ERR_JUNIT_POLICY = "rai report: --junit needs --policy (its test cases are the policy's rules)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("audit", metavar="AUDIT", help="a saved audit.json")
    add_policy_arguments(parser, required=False)
    parser.add_argument("--compare", metavar="BASELINE.json",
                        help="an audit to show side by side (a non-DP baseline, or the last release): deltas, and the "
                             "policy's rules judged on both")
    parser.add_argument("--html", metavar="report.html", help="self-contained HTML report (inline CSS and SVG)")
    parser.add_argument("--markdown", metavar="summary.md", help="Markdown summary for CI job summaries and PR comments")
    parser.add_argument("--junit", metavar="junit.xml", help="JUnit XML, one test case per policy rule (needs --policy)")
    add_force_argument(parser)


def run(args: argparse.Namespace) -> int:
    from rai.core.errors import InputError
    from rai.core.progress import say
    from rai.reports import render_html, render_junit, render_markdown
    from rai.reports.compare import compare

    if not (args.html or args.markdown or args.junit):
        raise InputError(ERR_NOTHING)
    if args.junit and not args.policy:
        raise InputError(ERR_JUNIT_POLICY)
    audit, verdict = judge(args.audit, args.policy, args.baseline)
    comparison = None
    if args.compare:
        other, other_verdict = judge(args.compare, args.policy, None)
        comparison = compare(audit, other, verdict, other_verdict, baseline_path=args.compare)
    pages = {"html": lambda: render_html(audit, verdict, audit_path=args.audit, comparison=comparison),
             "markdown": lambda: render_markdown(audit, verdict, audit_path=args.audit, comparison=comparison),
             "junit": lambda: render_junit(audit, verdict)}
    for name, render in pages.items():
        path = getattr(args, name)
        if path:
            args.outputs.write_text(path, render(), f"--{name}")
    if verdict is not None:
        say(f"rai report: {verdict.summary()}")
    return EXIT_OK


COMMAND = Command(name="report", help="render an audit.json (and a policy verdict) as HTML, Markdown and JUnit XML",
                  add_arguments=add_arguments, run=run, outputs=("html", "markdown", "junit"))
