"""`rai audit counterfactual MODEL_DIR TEXTS_FILE`: swap identity terms, measure prediction flips."""

from __future__ import annotations

import argparse

from rai.cli.audit_fairness import add_bootstrap_arguments
from rai.cli.commands import AuditCommand, at_most, csv_list, positive_int
from rai.core.limits import MAX_BATCH_SIZE, MAX_LENGTH_TOKENS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", metavar="MODEL_DIR", help="a classifier directory (save_pretrained) or a run directory")
    parser.add_argument("texts", metavar="TEXTS_FILE", help="table of texts (CSV, JSONL or Parquet)")
    parser.add_argument("--columns", type=csv_list, default=["text"], metavar="COL[,COL]", help="text columns to audit (default: text)")
    parser.add_argument("--term-pairs", default=None, metavar="FILE",
                        help="table with columns term_a,term_b (default: the shipped list: he/she, his/her, man/woman, ...)")
    add_bootstrap_arguments(parser)
    parser.add_argument("--batch-size", type=at_most(positive_int, MAX_BATCH_SIZE), default=64)
    parser.add_argument("--max-length", type=at_most(positive_int, MAX_LENGTH_TOKENS), default=128, help="tokens per text")


def run(args: argparse.Namespace):
    from rai.audit.fairness.counterfactual import assess_counterfactual, builtin_term_pairs, load_term_pairs
    from rai.core.io import read_table
    from rai.training.inference import predict_proba
    from rai.training.models import load_classifier, resolve_model_path

    pairs = load_term_pairs(args.term_pairs) if args.term_pairs else builtin_term_pairs()
    df = read_table(args.texts, required_columns=args.columns)
    model, tokenizer = load_classifier(args.model)

    def scorer(texts):
        return predict_proba(model, tokenizer, texts, batch_size=args.batch_size, max_length=args.max_length, desc="counterfactual scoring")

    result = assess_counterfactual(df, args.columns, scorer, pairs, pair_source=args.term_pairs or "builtin", n_boot=args.n_boot,
                                   confidence=args.confidence, seed=args.seed, where=args.texts)
    result.add_input(args.texts, len(df))
    result.subject["model"] = str(resolve_model_path(args.model))
    return result


AUDIT = AuditCommand("counterfactual", "swap identity terms (he/she, ...) in texts and measure how often the prediction flips",
                     add_arguments, run)
