"""Per-step costs of data-parallel DP-SGD, for the throughput model in docs/scaling.md.

Runs the training loop `rai train` runs (Poisson batches from a fixed key, Opacus' optimizer with
the private noise, the all-reduce of rai.training.distributed) in 1, 2, ... gloo processes on this
machine, and measures separately the two costs that do not shrink with more processes: the
all-reduce of the clipped sums (trainable parameters x 4 bytes) and the noise draw (every process
draws the same noise, so it is paid once per step whatever the number of processes).

    python benchmarks/dp_distributed.py [--procs 1 2] [--steps 6] [--batch-size 32] [--seq-len 64] [--mode bookkeeping]

Prints one JSON object per line. The default model is the packaged MiniLM (22.7 M parameters).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

WORDS = "the a movie film was good bad great terrible nice awful love hate week man woman of and not never".split()
KEY = bytes(range(32))


def _examples(n: int, seq_len: int):
    from rai.training.data import Examples

    rng = np.random.default_rng(0)
    texts = [" ".join(rng.choice(WORDS, size=seq_len)) for _ in range(n)]
    return Examples(texts=texts, labels=rng.integers(0, 2, size=n), rows=list(range(n)))


def _train(rank: int, size: int, port: int, args: argparse.Namespace, out: Path) -> None:
    from rai.training.checkpoint import LoopState
    from rai.training.config import GradSampleMode
    from rai.training.data import Collator
    from rai.training.distributed import World, install_all_reduce
    from rai.training.loop import LoopOptions, poisson_loader, run_training
    from rai.training.models import load_classifier
    from rai.training.private import SamplingPlan, make_optimizer, make_training
    from rai.training.randomness import PrivacyRandomness

    torch.set_num_threads(max(1, (os.cpu_count() or 1) // size))
    if size > 1:
        dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=size,
                                timeout=timedelta(minutes=10))
    world = World(rank=rank, size=size)
    model, tokenizer = load_classifier(args.model)
    examples = _examples(args.batch_size * 50, args.seq_len)
    plan = SamplingPlan(dataset_size=len(examples), batch_size=args.batch_size, epochs=1)
    randomness = PrivacyRandomness.fixed(KEY)
    collate = Collator(tokenizer, examples, args.seq_len)
    loader = poisson_loader(dataset_size=plan.dataset_size, sample_rate=plan.sample_rate, first_step=0,
                            steps=plan.steps_per_epoch, collate_fn=collate, sampler=randomness.sampler)
    setup = make_training(model, make_optimizer(model, 5e-4), loader, plan=plan, dp=True, noise_multiplier=1.0,
                          max_grad_norm=1.0, grad_sample_mode=GradSampleMode(args.mode), noise_stream=randomness.noise)
    install_all_reduce(world, setup.optimizer)
    state = LoopState()

    def steps(k: int) -> None:
        options = LoopOptions(max_physical_batch_size=args.batch_size, checkpoint_every=10**6, stop_after_steps=k,
                              delta=1e-5, world=world)
        run_training(setup, state, collate_fn=collate, sampler=randomness.sampler, options=options, checkpoint=lambda s: None)

    steps(1)  # warm-up
    examples_before, started = state.epoch_examples, time.perf_counter()  # global counts; one epoch is 50 steps
    steps(args.steps)
    seconds = time.perf_counter() - started
    params = list(setup.optimizer.params)
    reduce_ms = _all_reduce_ms(world, params)
    if rank == 0:
        (out / f"{size}.json").write_text(json.dumps({
            "processes": size, "threads_per_process": torch.get_num_threads(), "mode": args.mode,
            "steps": args.steps, "seconds_per_step": seconds / args.steps,
            "examples_per_second": (state.epoch_examples - examples_before) / seconds,
            "trainable_parameters": sum(p.numel() for p in params),
            "all_reduce_bytes": 4 * sum(p.numel() for p in params), "all_reduce_ms": reduce_ms,
            "noise_ms_per_step": _noise_ms(randomness, params)}))
    if size > 1:
        dist.destroy_process_group()


def _all_reduce_ms(world, params) -> float | None:
    if not world.distributed:
        return None
    tensors = [torch.zeros_like(p) for p in params]
    world.sum_in_place(tensors)
    started = time.perf_counter()
    for _ in range(5):
        world.sum_in_place(tensors)
    return (time.perf_counter() - started) / 5 * 1000


def _noise_ms(randomness, params) -> float:
    shapes = [p.shape for p in params]
    started = time.perf_counter()
    for step in range(3):
        for _ in randomness.noise.gaussian(10**6 + step).samples(shapes, 1.0):
            pass
    return (time.perf_counter() - started) / 3 * 1000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    from rai.training.models import default_model_path

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--procs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--steps", type=int, default=6, help="timed steps after one warm-up step (at most 48)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seq-len", type=int, default=64)
    parser.add_argument("--mode", default="bookkeeping", choices=["bookkeeping", "ghost", "hooks"])
    parser.add_argument("--model", default=str(default_model_path()))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.procs:
            mp.spawn(_train, args=(size, _free_port(), args, Path(tmp)), nprocs=size, join=True)
            print((Path(tmp) / f"{size}.json").read_text(), flush=True)


if __name__ == "__main__":
    main()
