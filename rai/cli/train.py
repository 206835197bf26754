"""`rai train`: build a TrainConfig from the flags and call `rai.training.trainer.train`."""

from __future__ import annotations

import argparse

from rai.cli.commands import Command, at_most, csv_list, positive_int, seed
from rai.core.errors import EXIT_OK

MAX_PROCESSES = 64  # processes on one machine
from rai.core.limits import MAX_AUDIT_CANARIES, MAX_BATCH_SIZE, MAX_CANARIES, MAX_EPOCHS, MAX_LENGTH_TOKENS, MAX_LOGICAL_BATCH_SIZE


def add_arguments(p: argparse.ArgumentParser) -> None:
    # Defaults come from TrainConfig (one source of truth); `rai.training.config` imports no torch.
    from rai.training.config import DEFAULT_EPSILON, Accountant, GradSampleMode, LRSchedule, TrainConfig

    d = TrainConfig(data="", out="")
    data = p.add_argument_group("data")
    data.add_argument("--data", required=True, metavar="FILE", help="training data: CSV, TSV, JSONL or Parquet with a text and a label column")
    data.add_argument("--eval", metavar="FILE", help="evaluation data (default: a seeded stratified split of --data)")
    data.add_argument("--eval-fraction", type=float, default=d.eval_fraction, help="share of --data held out when there is no --eval (default %(default)s)")
    data.add_argument("--text-column", default=d.text_column, help="default %(default)s")
    data.add_argument("--label-column", default=d.label_column, help="default %(default)s")
    data.add_argument("--id-column", help="id carried to predictions.csv (default: 'id' if present, else the row number)")
    data.add_argument("--group-columns", type=csv_list, default=[], metavar="COL,COL", help="columns carried to predictions.csv (for the fairness audit)")
    data.add_argument("--positive-label", help="binary labels: the positive class (default: the last in sorted order, e.g. 1, True, '>50K')")
    data.add_argument("--max-length", type=at_most(int, MAX_LENGTH_TOKENS), default=d.max_length, help="tokens per text, longer texts are truncated (default %(default)s)")
    data.add_argument("--audit-canaries", type=at_most(int, MAX_AUDIT_CANARIES), default=d.audit_canaries, metavar="M",
                      help=f"plant M random-label canaries, each trained on with probability 1/2 (secret coin flips kept in "
                           f"private/audit_canaries.json), for the one-run privacy audit (default 0, at most {MAX_AUDIT_CANARIES})")
    data.add_argument("--canaries", type=at_most(int, MAX_CANARIES), default=d.canaries, metavar="N", help="add N secret-bearing canary examples to the training data, for the privacy audit (default 0)")

    model = p.add_argument_group("model and optimisation")
    model.add_argument("--model", metavar="PATH", help="local Hugging Face encoder (BERT, DistilBERT, RoBERTa, ...) or run directory (default: the packaged MiniLM)")
    model.add_argument("--out", required=True, metavar="DIR", help="run directory to create")
    model.add_argument("--epochs", type=at_most(int, MAX_EPOCHS), default=d.epochs, help="default %(default)s")
    model.add_argument("--batch-size", type=at_most(int, MAX_LOGICAL_BATCH_SIZE), default=d.batch_size, help="logical (expected) batch size; sampling rate q = 1/ceil(n/batch) (default %(default)s)")
    model.add_argument("--max-physical-batch-size", type=at_most(int, MAX_BATCH_SIZE), default=d.max_physical_batch_size, help="largest batch in memory at once (default %(default)s)")
    model.add_argument("--learning-rate", type=float, default=d.learning_rate, help="AdamW learning rate (default %(default)s)")
    model.add_argument("--lr-schedule", choices=[s.value for s in LRSchedule], default=d.lr_schedule, help="constant, or linear decay to zero over the run (default %(default)s)")
    model.add_argument("--train-layers", default=d.train_layers, metavar="all|head|last:K", help="train all layers, the head only, or the last K encoder layers and the head (default %(default)s)")
    model.add_argument("--seed", type=seed, default=d.seed, help="seeds the split, the new head's initialisation and dropout; never the DP sampling or noise, "
                       "which come from a fresh secret key (default %(default)s)")

    privacy = p.add_argument_group("differential privacy")
    privacy.add_argument("--epsilon", type=float, help=f"target ε: the noise is calibrated for the planned steps (default {DEFAULT_EPSILON:g} unless --noise-multiplier)")
    privacy.add_argument("--noise-multiplier", type=float, help="noise σ (relative to --max-grad-norm) instead of a target ε")
    privacy.add_argument("--delta", type=float, help="δ, must be below 1/n (default min(1e-5, 0.1/n))")
    privacy.add_argument("--max-grad-norm", type=float, default=d.max_grad_norm, help="per-example clipping norm C (default %(default)s)")
    privacy.add_argument("--accountant", choices=[a.value for a in Accountant], default=d.accountant, help="default %(default)s")
    privacy.add_argument("--grad-sample-mode", choices=[m.value for m in GradSampleMode], default=d.grad_sample_mode, help="how per-example gradients are clipped: bookkeeping (one backward pass, "
                         "the fastest), ghost (Opacus' fast gradient clipping, two passes) or hooks (Opacus' per-example "
                         "gradients, the most layer types) (default %(default)s)")
    privacy.add_argument("--no-dp", dest="dp", action="store_false", help="train the same pipeline without DP (a baseline; no guarantee)")

    run = p.add_argument_group("checkpoints")
    run.add_argument("--resume", action="store_true", help="continue the unfinished run in --out from its checkpoint (same settings and data)")
    run.add_argument("--checkpoint-every", type=int, default=d.checkpoint_every, metavar="STEPS", help="also checkpoint every N steps (always at the end of each epoch) (default %(default)s)")
    run.add_argument("--stop-after-steps", type=int, metavar="N", help="stop with a checkpoint after N more steps (jobs with a time limit; continue with --resume)")
    run.add_argument("--nproc", type=at_most(positive_int, MAX_PROCESSES), default=1, metavar="N",
                     help="train with N processes on this machine (data-parallel DP-SGD under torch.distributed.run); "
                          "for several machines run torchrun yourself: docs/scaling.md (default %(default)s)")
    run.add_argument("--keep-checkpoint", action="store_true", help="keep private/checkpoint/ in the finished run (it holds the secret "
                     "key of the DP noise: never publish it); by default it is deleted at the end")


def run(args: argparse.Namespace) -> int:
    from rai.core.outputs import check_output_dir
    from rai.training.config import TrainConfig, validate_config
    from rai.training.trainer import train

    check_output_dir(args.out, "--out", [p for p in (args.data, args.eval, args.model, args.config) if p])
    cfg = TrainConfig.from_mapping(vars(args))
    if args.nproc > 1:
        from rai.training.distributed import World, check_dp, launch_local

        validate_config(cfg)  # the cheap checks here, once, before N processes start
        check_dp(World(size=args.nproc), cfg.dp)
        flags = [f for f, on in (("--quiet", args.quiet), ("--debug", args.debug)) if on]
        return launch_local(cfg.to_dict(), args.nproc, flags)
    train(cfg)
    return EXIT_OK


COMMAND = Command(name="train", help="fine-tune a text classifier with differential privacy (Opacus) and write a run directory",
                  add_arguments=add_arguments, run=run, output_dirs=("out",))
