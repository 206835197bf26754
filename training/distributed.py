"""Data-parallel DP-SGD on torch.distributed: the process group, the shared key, the global sample, one noise.

Why this shape: DP-SGD's guarantee is about the *global* step. Each example joins a step's batch
once, with probability q over the whole data set, so every process draws the same global Poisson
mask from the run's secret sampling stream and trains on its share of the selected examples (the
accountant sees q, not q/N). Each process clips its examples; the clipped sums are all-reduced
(summed) before Opacus adds noise, so the noise is added once to the global sum: every process
draws the same noise from the same key and step counter, and all hold the same gradient, divided by
the global expected batch size, and the same weights. Opacus' `DistributedDPOptimizer` instead adds
noise on rank 0 and averages per-worker means; the result is the same, but its noise comes from
torch's generator, not from our secret stream.

The key is drawn by rank 0 (OS entropy, or read from the checkpoint) and broadcast over the process
group, never through a file or an environment variable. Only rank 0 writes. Collectives time out
(`COLLECTIVE_TIMEOUT`), so a process that dies stops the others with an error instead of a hang.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import torch
import torch.distributed as dist

from rai.core.errors import EXIT_INTERNAL, InputError, RaiError
from rai.training.randomness import KEY_BYTES, PrivacyRandomness

COLLECTIVE_TIMEOUT = timedelta(minutes=5)  # longer than any step's imbalance between processes; shorter than a stuck job
# The other processes wait this long at the end for rank 0 to evaluate and write the run directory.
EXIT_TIMEOUT = timedelta(hours=24)
ERR_OTHER_PROCESS = "another process of the distributed job failed before training started (see its error above)"
ERR_PROCESS_LOST = ("rai train: a process of the distributed job stopped or did not answer during step {step} of {total} "
                    "({reason}); {then}")
RESUME_FROM = "the last checkpoint (step {step}) in {checkpoint} is valid: continue with the same command and --resume"
START_AGAIN = "no checkpoint was written yet: start the run again"
ERR_NO_DP = "trains in one process only (data parallelism here is for DP-SGD): run without torchrun or --nproc"


class ProcessLost(RaiError):
    """A peer process died or timed out: the job stops; the last checkpoint resumes it."""

    exit_code = EXIT_INTERNAL


@dataclass(frozen=True)
class World:
    """This process's place in the job: rank, number of processes, and the device it trains on."""

    rank: int = 0
    size: int = 1
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))

    @property
    def distributed(self) -> bool:
        return self.size > 1

    @property
    def main(self) -> bool:
        """Rank 0: the only process that writes files."""
        return self.rank == 0

    def shard(self, selected: list[int]) -> list[int]:
        """This process's share of a global batch: every size-th selected example (sizes differ by at most 1)."""
        return selected[self.rank::self.size]

    def agree(self, ok: bool) -> bool:
        """Whether every process is ok (one collective; a failing process calls it too, so nobody waits in vain)."""
        if not self.distributed:
            return ok
        flag = torch.tensor([1 if ok else 0], dtype=torch.int32, device=self.device)
        dist.all_reduce(flag, op=dist.ReduceOp.MIN)
        return bool(flag.item())

    def share_randomness(self, randomness: PrivacyRandomness) -> PrivacyRandomness:
        """Rank 0's privacy key on every process, sent over the process group."""
        if not self.distributed:
            return randomness
        payload = torch.zeros(KEY_BYTES + 1, dtype=torch.uint8, device=self.device)
        if self.main:
            payload[:KEY_BYTES] = torch.frombuffer(bytearray(randomness.key), dtype=torch.uint8)
            payload[KEY_BYTES] = int(randomness.from_os_entropy)
        dist.broadcast(payload, src=0)
        data = payload.cpu().numpy().tobytes()
        return PrivacyRandomness(key=data[:KEY_BYTES], from_os_entropy=bool(data[KEY_BYTES]))

    def share_parameters(self, model: torch.nn.Module) -> None:
        """Rank 0's parameters and buffers on every process (they are equal already; this makes sure)."""
        if self.distributed:
            with torch.no_grad():
                for tensor in [*model.parameters(), *model.buffers()]:
                    dist.broadcast(tensor.data, src=0)

    def sum_in_place(self, tensors: list[torch.Tensor]) -> None:
        """All-reduce (sum) `tensors` through one flat buffer: one collective, trainable parameters × 4 bytes."""
        if not self.distributed or not tensors:
            return
        flat = torch.cat([t.reshape(-1) for t in tensors])
        dist.all_reduce(flat, op=dist.ReduceOp.SUM)
        offset = 0
        for t in tensors:
            t.copy_(flat[offset:offset + t.numel()].view_as(t))
            offset += t.numel()

    def end_step(self, loss_sum: float, examples: int) -> tuple[float, int]:
        """The step's global loss sum and example count (the private training record rank 0 checkpoints)."""
        if not self.distributed:
            return loss_sum, examples
        values = torch.tensor([loss_sum, float(examples)], dtype=torch.float64, device=self.device)
        dist.all_reduce(values, op=dist.ReduceOp.SUM)
        return float(values[0]), int(values[1])

    def any(self, flag: bool) -> bool:
        """Whether any process says so (a stop signal reaches one process; all must stop after the same step)."""
        return not self.agree(not flag)


def install_all_reduce(world: World, optimizer: Any) -> None:
    """Make Opacus' optimizer sum the clipped gradients of all processes before it adds the noise.

    Opacus' `pre_step` calls `add_noise` once per logical step, when `p.summed_grad` holds this
    process's clipped sum (hooks: from grad_sample; ghost and bookkeeping: from p.grad); the noise
    (`PrivateNoise`, already installed) then goes onto the global sum, and `scale_grad` divides by
    the global expected batch size.
    """
    if not world.distributed:
        return
    add_noise = optimizer.add_noise

    def all_reduce_then_add_noise() -> None:
        world.sum_in_place([p.summed_grad for p in optimizer.params])
        add_noise()

    optimizer.add_noise = all_reduce_then_add_noise


def launched() -> bool:
    """Whether this process was started by torchrun (or another env:// launcher) as one of several."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


@contextmanager
def joined() -> Iterator[World]:
    """The job's World: a process group opened from torchrun's environment (and closed after), one
    the caller opened already, or a single process. NCCL on CUDA devices (one per local rank), else gloo."""
    if dist.is_available() and dist.is_initialized():
        yield _world()
        return
    if not launched():
        yield World()
        return
    cuda = torch.cuda.is_available()
    if cuda:
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    dist.init_process_group("nccl" if cuda else "gloo", timeout=COLLECTIVE_TIMEOUT)
    # All processes leave together: one that closed its connections while rank 0 still evaluated and
    # wrote the run directory could make gloo abort (SIGABRT) in a process that was still using them.
    leave = dist.new_group(backend="gloo", timeout=EXIT_TIMEOUT)
    try:
        yield _world()
        dist.barrier(group=leave)  # not after an error: torchrun stops the others then
    finally:
        dist.destroy_process_group()


def _world() -> World:
    device = torch.device("cuda", torch.cuda.current_device()) if dist.get_backend() == "nccl" else torch.device("cpu")
    return World(rank=dist.get_rank(), size=dist.get_world_size(), device=device)


def is_collective_failure(exc: BaseException) -> bool:
    """An error a collective raises when a peer died or timed out (gloo raises plain RuntimeErrors)."""
    if isinstance(exc, dist.DistError):
        return True
    text = str(exc)
    return isinstance(exc, RuntimeError) and any(word in text for word in ("gloo", "Gloo", "NCCL", "Connection closed",
                                                                           "Timed out", "timed out", "Connection reset"))


def failure_reason(exc: BaseException) -> str:
    """The first sentence of a collective's error, without gloo's source location: '[.../pair.cc:553] Connection closed
    by peer [127.0.0.1]:29599. This is typically...' -> 'Connection closed by peer [127.0.0.1]:29599'."""
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    first = re.sub(r"^\[[^\]]*\]\s*", "", first)
    return first.split(". ")[0][:160]


def check_dp(world: World, dp: bool) -> None:
    if world.distributed and not dp:
        raise InputError(ERR_NO_DP, where="--no-dp")


ERR_NPROC_UNDER_TORCHRUN = "this process was started by torchrun already: drop --nproc (torchrun's --nproc-per-node sets it)"


def launch_local(config: dict[str, Any], nproc: int, flags: list[str]) -> int:
    """`rai train --nproc N`: run `rai train` in N processes on this machine under torch.distributed.run.

    The settings travel as a YAML file (`--config`, the same keys as config.yaml); the privacy key does
    not: rank 0 draws it and sends it over the process group. Each process gets an equal share of the
    CPU threads (torchrun would set one). Returns torchrun's exit code.
    """
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    from rai.core.config import dump_yaml

    if launched():
        raise InputError(ERR_NPROC_UNDER_TORCHRUN, where="--nproc")
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // nproc)))
    with tempfile.TemporaryDirectory(prefix="rai-train-") as tmp:
        path = Path(tmp) / "config.yaml"
        path.write_text(dump_yaml({k: str(v) if isinstance(v, os.PathLike) else v for k, v in config.items()}), encoding="utf-8")
        command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}",
                   "-m", "rai", "train", "--config", str(path), *flags]
        return subprocess.run(command, env=env, check=False).returncode
