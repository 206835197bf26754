"""`rai audit toxicity`: toxicity of texts in a file, or of a causal LM's generations from prompts."""

from __future__ import annotations

import argparse
from pathlib import Path

from rai.cli.commands import AuditCommand, at_most, csv_list, non_negative_int, positive_float, positive_int, probability
from rai.core.errors import InputError
from rai.core.limits import (MAX_BATCH_SIZE, MAX_BATCH_TOKENS, MAX_BOOTSTRAP, MAX_EXAMPLE_CHARS, MAX_EXAMPLES, MAX_LENGTH_TOKENS,
                         MAX_NEW_TOKENS, MAX_SAMPLES)

HELP = "toxic language in texts (a file) or in a causal LM's generations (RealToxicityPrompts / BOLD style)"
ERR_MODE = "give either a texts file (PATH) or --generator MODEL_DIR with --prompts FILE, not both"
ERR_NO_INPUT = "nothing to audit: give a texts file (PATH) or --generator MODEL_DIR --prompts FILE"
ERR_NEED_PROMPTS = "--generator needs --prompts FILE (one prompt per row)"
ERR_PROMPTS_ALONE = "--prompts needs --generator MODEL_DIR"


def top_p(value: str) -> float:
    x = float(value)
    if not 0.0 < x <= 1.0:
        raise argparse.ArgumentTypeError(f"must be in (0, 1], got {value}")
    return x


def add_arguments(p: argparse.ArgumentParser) -> None:
    from rai.audit.toxicity.backends import AUTO, BACKEND_CHOICES
    from rai.audit.toxicity.detoxify_backend import MODEL_TYPES

    p.add_argument("path", nargs="?", metavar="PATH", help="texts to score: CSV, TSV, JSONL or Parquet")
    p.add_argument("--columns", type=csv_list, default=["text"], metavar="LIST", help="text column(s) of PATH (default: text)")
    p.add_argument("--group-column", metavar="G", help="group column: toxicity rate per group and the largest gap")
    g = p.add_argument_group("generation (instead of PATH)")
    g.add_argument("--generator", metavar="MODEL_DIR", help="a local causal LM (save_pretrained folder) to sample from")
    g.add_argument("--prompts", metavar="FILE", help="prompts file (CSV, JSONL, Parquet)")
    g.add_argument("--prompt-column", default="prompt", help="prompt column of --prompts (default: prompt)")
    g.add_argument("--samples", type=at_most(positive_int, MAX_SAMPLES), default=25, metavar="K", help="generations per prompt (default 25)")
    g.add_argument("--max-new-tokens", type=at_most(positive_int, MAX_NEW_TOKENS), default=20, help="tokens per generation (default 20)")
    g.add_argument("--temperature", type=positive_float, default=1.0, help="sampling temperature (default 1.0)")
    g.add_argument("--top-p", type=top_p, default=0.9, help="nucleus sampling mass (default 0.9, as RealToxicityPrompts)")
    s = p.add_argument_group("scoring")
    s.add_argument("--backend", choices=BACKEND_CHOICES, default=AUTO,
                   help="auto (default): detoxify if its weights are here, else profanity-check with a warning; "
                        "detoxify (its weights or exit 2); profanity-check (offline, profanity only)")
    s.add_argument("--model-type", choices=MODEL_TYPES, help="named Detoxify model, read from the torch hub cache (default original)")
    s.add_argument("--checkpoint", type=Path, metavar="FILE", help="a Detoxify checkpoint file (instead of --model-type)")
    s.add_argument("--hf-config", type=Path, metavar="DIR",
                   help="folder with the Hugging Face config and tokenizer of the checkpoint's base model (offline machines)")
    s.add_argument("--trust-checkpoint", action="store_true",
                   help="allow a --checkpoint that needs full unpickling (runs code from the file: only for files you trust)")
    s.add_argument("--device", default="cpu", help="torch device for scoring and generation (default cpu)")
    s.add_argument("--batch-size", type=at_most(positive_int, MAX_BATCH_SIZE), default=32, help="texts per scoring batch (default 32)")
    s.add_argument("--max-batch-tokens", type=at_most(positive_int, MAX_BATCH_TOKENS), metavar="N",
                   help="tokens computed per scoring batch, padding included where the model runs padded "
                        "(default 128 x --batch-size): long texts go in smaller batches")
    s.add_argument("--max-length", type=at_most(positive_int, MAX_LENGTH_TOKENS), help="token limit per text (default: the tokenizer's, as Detoxify)")
    r = p.add_argument_group("results")
    r.add_argument("--threshold", type=probability, default=0.5, help="a text is toxic when its score is >= this (default 0.5)")
    r.add_argument("--bootstrap", type=at_most(positive_int, MAX_BOOTSTRAP), default=1000, metavar="B", help="bootstrap resamples for intervals (default 1000)")
    r.add_argument("--confidence", type=probability, default=0.95, help="interval confidence (default 0.95)")
    r.add_argument("--min-group-size", type=positive_int, default=1, metavar="N", help="groups smaller than N stay out of the gap")
    r.add_argument("--examples", type=at_most(non_negative_int, MAX_EXAMPLES), default=10, metavar="N", help="most toxic examples kept (default 10; 0: none)")
    r.add_argument("--example-chars", type=at_most(positive_int, MAX_EXAMPLE_CHARS), default=200, metavar="N", help="examples are cut to N characters")


def _check_mode(args: argparse.Namespace) -> bool:
    """True for generation mode; one clear error for every inconsistent combination."""
    if args.path and args.generator:
        raise InputError(ERR_MODE)
    if args.generator and not args.prompts:
        raise InputError(ERR_NEED_PROMPTS)
    if args.prompts and not args.generator:
        raise InputError(ERR_PROMPTS_ALONE)
    if not args.path and not args.generator:
        raise InputError(ERR_NO_INPUT)
    return bool(args.generator)


def run(args: argparse.Namespace):
    from rai.audit.result import AuditResult
    from rai.audit.toxicity import (BackendOptions, GenerationSettings, SummarySettings, audit_generation, audit_texts,
                                load_backend)
    from rai.audit.toxicity.base import resolve_device
    from rai.core.io import read_table
    from rai.core.progress import say

    generation = _check_mode(args)
    settings = SummarySettings(threshold=args.threshold, n_resamples=args.bootstrap, confidence=args.confidence,
                               seed=args.seed, examples=args.examples, example_chars=args.example_chars,
                               min_group_size=args.min_group_size)
    options = BackendOptions(model_type=args.model_type, checkpoint=args.checkpoint, hf_config=args.hf_config,
                             device=args.device, batch_size=args.batch_size, max_batch_tokens=args.max_batch_tokens,
                             max_length=args.max_length,
                             trust_checkpoint=args.trust_checkpoint)
    group = [args.group_column] if args.group_column else []
    result = AuditResult()
    if generation:
        from rai.training.models import load_causal_lm

        prompts = read_table(args.prompts, required_columns=[args.prompt_column, *group])
        device = resolve_device(args.device)
        model, tokenizer = load_causal_lm(args.generator)
        model.to(device)
        loaded = load_backend(args.backend, options)
        summary = audit_generation(
            prompts, loaded, model, tokenizer, prompt_column=args.prompt_column, group_column=args.group_column,
            generation=GenerationSettings(samples=args.samples, max_new_tokens=args.max_new_tokens,
                                          temperature=args.temperature, top_p=args.top_p, seed=args.seed),
            settings=settings, model_name=str(args.generator), where=str(args.prompts))
        result.subject["model"] = str(args.generator)
        result.add_input(args.prompts, len(prompts))
    else:
        df = read_table(args.path, required_columns=[*args.columns, *group])
        loaded = load_backend(args.backend, options)
        summary = audit_texts(df, loaded, columns=args.columns, group_column=args.group_column, settings=settings,
                              where=str(args.path))
        result.add_input(args.path, len(df))
    if loaded.fallback_reason:
        say(f"rai audit toxicity: warning: {loaded.fallback_reason}")
    summary.add_to(result)
    return result


AUDIT = AuditCommand(name="toxicity", help=HELP, add_arguments=add_arguments, run=run)
