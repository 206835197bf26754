"""`rai audit pii`: scan text columns of data files for PII (issue 4)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from rai.cli.commands import AuditCommand, at_most, csv_list, non_negative_int, positive_int
from rai.core.errors import InputError, printable
from rai.core.limits import MAX_CHUNK_ROWS, MAX_EXAMPLES, MAX_WORKERS
from rai.core.progress import say

if TYPE_CHECKING:
    from rai.audit.result import AuditResult

ERR_NO_COLUMNS = "--columns needs at least one column name"
ERR_SPACY_WITHOUT_PRESIDIO = "--spacy-model only applies with --presidio"
REVEAL_WARNING = ("rai: WARNING: --reveal is set: raw PII values will be written to {where}. "
                  "Treat these files as sensitive data.")


def _score(value: str) -> float:
    x = float(value)
    if not 0.0 <= x <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {value}")
    return x


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH", help="CSV, TSV, JSONL or Parquet files (optionally .gz)")
    p.add_argument("--columns", type=csv_list, default=["text"], help="comma-separated text columns to scan (default: text)")
    p.add_argument("--entities", type=csv_list, default=None,
                   help="comma-separated entity types to scan for (default: all; see docs/pii.md)")
    p.add_argument("--min-score", type=_score, default=0.5, help="report findings scoring at least this (default 0.5)")
    p.add_argument("--phone-regions", type=csv_list, default=["US"],
                   help="regions whose national phone formats count, e.g. US,GB (international +CC numbers always count)")
    p.add_argument("--workers", type=at_most(positive_int, MAX_WORKERS), default=1, help="parallel worker processes (default 1)")
    p.add_argument("--chunk-rows", type=at_most(positive_int, MAX_CHUNK_ROWS), default=10_000, help="rows read per chunk (default 10000)")
    p.add_argument("--findings", metavar="FILE.jsonl", help="write every finding (masked) to this JSONL file")
    p.add_argument("--redact", metavar="OUT", help="write a redacted copy: a file for one input, a directory for several")
    p.add_argument("--examples", type=at_most(non_negative_int, MAX_EXAMPLES), default=3, help="example findings kept per entity type (default 3)")
    p.add_argument("--reveal", action="store_true", help="include raw values in examples and --findings (sensitive!)")
    p.add_argument("--presidio", action="store_true", help="also find person names and locations with Presidio (optional extra)")
    p.add_argument("--spacy-model", metavar="NAME_OR_DIR", help="spaCy pipeline for --presidio (default: best installed English one)")
    p.add_argument("--ner-model", metavar="DIR",
                   help="also find person names and locations with a local Hugging Face token-classification model")


def run(args: argparse.Namespace) -> "AuditResult":
    from rai.audit.pii import ScanConfig, ScanRequest, scan_files
    from rai.audit.pii.presidio_backend import resolve_model
    from rai.audit.result import AuditResult

    if not args.columns:
        raise InputError(ERR_NO_COLUMNS)
    if args.spacy_model and not args.presidio:
        raise InputError(ERR_SPACY_WITHOUT_PRESIDIO)
    paths = [Path(p) for p in args.paths]
    config = ScanConfig(entities=tuple(args.entities) if args.entities else None, min_score=args.min_score,
                        phone_regions=tuple(args.phone_regions),
                        presidio_model=resolve_model(args.spacy_model) if args.presidio else None,
                        ner_model=args.ner_model)
    request = ScanRequest(paths=tuple(paths), columns=tuple(args.columns), config=config, workers=args.workers,
                          chunk_rows=args.chunk_rows, findings_path=Path(args.findings) if args.findings else None,
                          redact_path=Path(args.redact) if args.redact else None, reveal=args.reveal, examples=args.examples)
    if args.reveal:  # printed even with --quiet: the user must not miss it
        where = " and ".join(x for x in (getattr(args, "out", None) or "the audit result", args.findings) if x)
        print(printable(REVEAL_WARNING.format(where=where)), file=sys.stderr, flush=True)
    report = scan_files(request, args.outputs)
    result = AuditResult()
    for stats in report.files:
        result.add_input(stats.path, stats.records)
    report.add_to(result)
    rate = report.records_with_pii_rate or 0.0
    say(f"rai audit pii: {report.records_with_pii} of {report.records} records ({rate:.1%}) contain PII")
    return result


AUDIT = AuditCommand(name="pii", help="scan text columns of data files for PII (emails, phones, cards, IBANs, keys, ...)",
                     add_arguments=add_arguments, run=run, outputs=("findings",), output_dirs=("redact",))
