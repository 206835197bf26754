"""Cost of DP-SGD against non-DP fine-tuning: step time and peak memory, as ratios to non-DP.

The packaged MiniLM (6 layers, hidden 384), full fine-tuning, batch 32, sequence length 128,
through the same code `rai train` runs (rai.training.private.make_training: Opacus hooks, Opacus ghost
clipping, or book-keeping clipping (rai.training.bookkeeping), with the per-example position-ids fix). Each mode runs in a fresh subprocess so its
peak memory is its own: peak resident set size (VmHWM, reset after the model is loaded) on
Linux, where tracemalloc would miss torch's allocations. Targets (issue 2): DP at <= 1.3x the
time and <= 1.1x the memory of non-DP.

    python benchmarks/dp_overhead.py [--steps 5] [--batch-size 32] [--seq-len 128] [--threads N] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

MODES = ("non-dp", "hooks", "ghost", "bookkeeping")


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False where the kernel does not allow it."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def worker(mode: str, steps: int, batch_size: int, seq_len: int, threads: int | None) -> dict:
    import torch

    from rai.training.config import GradSampleMode
    from rai.training.data import Collator, Examples
    from rai.training.loop import poisson_loader
    from rai.training.models import load_classifier
    from rai.training.private import SamplingPlan, make_optimizer, make_training
    from rai.training.randomness import PrivacyRandomness

    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(0)
    model, tokenizer = load_classifier(None, num_labels=2)
    model.train()
    # Only the loader's length matters to make_private (q = 1 / len); the batch itself is fixed below.
    plan = SamplingPlan(dataset_size=batch_size * 10, batch_size=batch_size, epochs=1)
    examples = Examples(texts=["x"] * plan.dataset_size, labels=torch.zeros(plan.dataset_size, dtype=torch.long).numpy(),
                        rows=list(range(plan.dataset_size)))
    randomness = PrivacyRandomness.fresh()  # as rai train: the noise from the secret ChaCha20 stream
    loader = poisson_loader(dataset_size=plan.dataset_size, sample_rate=plan.sample_rate, first_step=0,
                            steps=plan.steps_per_epoch, collate_fn=Collator(tokenizer, examples, seq_len),
                            sampler=randomness.sampler)
    dp = mode != "non-dp"
    setup = make_training(model, make_optimizer(model, 5e-5), loader, plan=plan, dp=dp, noise_multiplier=1.0 if dp else None,
                          max_grad_norm=1.0 if dp else None, grad_sample_mode=GradSampleMode(mode) if dp else GradSampleMode.HOOKS,
                          noise_stream=randomness.noise if dp else None)
    gen = torch.Generator().manual_seed(1)
    input_ids = torch.randint(1000, tokenizer.vocab_size, (batch_size, seq_len), generator=gen)
    batch = {"input_ids": input_ids, "attention_mask": torch.ones_like(input_ids)}
    labels = torch.randint(0, 2, (batch_size,), generator=gen)

    def step() -> None:
        logits = setup.model(**batch).logits
        setup.backward(logits, labels)
        setup.step(ends_logical_batch=True)

    rss_model = _status_kib("VmRSS")
    step()  # warm-up: allocates the optimizer state, autograd buffers, Opacus' hook state
    peak_resettable = _reset_peak()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return {"mode": mode, "step_s": statistics.median(times), "step_s_all": times, "rss_model_mib": rss_model / 1024,
            "peak_mib": _status_kib("VmHWM") / 1024, "peak_reset": peak_resettable, "threads": torch.get_num_threads()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=5, help="timed steps per mode (after one warm-up step)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seq-len", type=int, default=128)
    parser.add_argument("--threads", type=int, help="torch intra-op threads (default: torch's)")
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--repeats", type=int, default=1,
                        help="runs of every mode, alternating; the fastest of each counts (default 1)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.steps, args.batch_size, args.seq_len, args.threads)))
        return
    results: dict[str, dict] = {}
    for _ in range(max(1, args.repeats)):  # modes alternate, so a burst of load hits all of them
        for mode in args.modes.split(","):
            cmd = [sys.executable, __file__, "--worker", mode, "--steps", str(args.steps), "--batch-size",
                   str(args.batch_size), "--seq-len", str(args.seq_len)] + (["--threads", str(args.threads)] if args.threads else [])
            env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONWARNINGS": "ignore"}
            done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
            if done.returncode != 0:
                sys.exit(f"{mode} failed:\n{done.stderr[-2000:]}")
            run = json.loads(done.stdout.strip().splitlines()[-1])
            print(f"{mode}: done ({run['step_s']:.2f} s/step)", file=sys.stderr, flush=True)
            if mode not in results or run["step_s"] < results[mode]["step_s"]:
                results[mode] = run  # the fastest run of each mode
    base = results.get("non-dp")
    print(f"MiniLM full fine-tuning, batch {args.batch_size}, seq len {args.seq_len}, {args.steps} timed steps, "
          f"best of {max(1, args.repeats)} run(s) per mode, torch threads {next(iter(results.values()))['threads']}, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'mode':11} {'s/step':>8} {'time x':>7} {'peak MiB':>9} {'mem x':>6} {'above model MiB':>16} {'x':>6}")
    for mode, r in results.items():
        above = r["peak_mib"] - r["rss_model_mib"]
        t = r["step_s"] / base["step_s"] if base else float("nan")
        m = r["peak_mib"] / base["peak_mib"] if base else float("nan")
        a = above / (base["peak_mib"] - base["rss_model_mib"]) if base else float("nan")
        print(f"{mode:11} {r['step_s']:8.2f} {t:7.2f} {r['peak_mib']:9.0f} {m:6.2f} {above:16.0f} {a:6.2f}")
    print("targets: DP <= 1.30x time, <= 1.10x memory of non-DP")


if __name__ == "__main__":
    main()
