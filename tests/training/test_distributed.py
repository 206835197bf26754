"""Data-parallel DP-SGD in 2 CPU processes (gloo) equals the single-process run.

- Without noise, K steps on 2 processes give the weights of 1 process on the same global Poisson
  batches (same key), in every clipping mode: the clipped sums are all-reduced, then scaled once.
  With SGD: the sums differ only in float32 rounding (another order of addition), which AdamW's
  division by sqrt(v) + 1e-8 would magnify up to lr/1e-8 times on coordinates whose gradient is
  near zero (about 5e-6 on the tiny BERT's token-type embedding in 3 steps), which is not what is tested.
- The noise of one step has variance σ²C² per coordinate (measured on a step with zero gradients
  over every trainable coordinate): added once, not once per process, and not split between them.
- `rai train --nproc 2` (torch.distributed.run) records the single-process ε and `world_size: 2`,
  and resumes from the checkpoint rank 0 wrote.
- A process killed mid-run stops the job with the message that says how to resume, and the last
  checkpoint resumes (here in one process: the batches are global, so any number of processes may continue).
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from training_testdata import sentiment_data
from rai.training.checkpoint import LoopState
from rai.training.config import GradSampleMode, TrainConfig
from rai.training.data import Collator, Examples
from rai.training.distributed import ERR_NO_DP, ERR_NPROC_UNDER_TORCHRUN, World, install_all_reduce
from rai.training.loop import LoopOptions, poisson_loader, run_training
from rai.training.models import load_classifier
from rai.training.private import SamplingPlan, make_training
from rai.training.randomness import PrivacyRandomness
from rai.training.trainer import train

KEY = bytes(range(32))
STEPS = 3
SIGMA, CLIP = 1.3, 0.7


def _examples() -> Examples:
    frame = sentiment_data(64)
    return Examples(texts=frame["text"].tolist(), labels=frame["label"].to_numpy(), rows=list(range(len(frame))))


def _setup(world: World, model_dir: Path, mode: GradSampleMode, *, noise: float, clip: float, sgd_lr: float):
    model, tokenizer = load_classifier(model_dir)
    examples = _examples()
    plan = SamplingPlan(dataset_size=len(examples), batch_size=16, epochs=1)
    randomness = PrivacyRandomness.fixed(KEY)
    collate = Collator(tokenizer, examples, 16)
    loader = poisson_loader(dataset_size=plan.dataset_size, sample_rate=plan.sample_rate, first_step=0,
                            steps=plan.steps_per_epoch, collate_fn=collate, sampler=randomness.sampler)
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=sgd_lr)
    setup = make_training(model, optimizer, loader, plan=plan, dp=True, noise_multiplier=noise, max_grad_norm=clip,
                          grad_sample_mode=mode, noise_stream=randomness.noise)
    install_all_reduce(world, setup.optimizer)
    return setup, collate, randomness


def _weights_after_steps(world: World, model_dir: Path) -> dict:
    """Per clipping mode: the weights and the (global) loss of each step after STEPS noiseless steps."""
    out = {}
    for mode in GradSampleMode:
        setup, collate, randomness = _setup(world, model_dir, mode, noise=0.0, clip=0.05, sgd_lr=0.5)
        state = LoopState()
        options = LoopOptions(max_physical_batch_size=3, checkpoint_every=1000, stop_after_steps=STEPS, delta=1e-5, world=world)
        run_training(setup, state, collate_fn=collate, sampler=randomness.sampler, options=options, checkpoint=lambda s: None)
        out[mode.value] = ({n: p.detach().clone() for n, p in setup.close().named_parameters()}, state.loss_per_step)
    return out


def _noise_of_one_step(world: World, model_dir: Path) -> tuple[torch.Tensor, int]:
    """The update of one step with zero gradients (SGD, lr 1): minus the noise over the expected batch size."""
    setup, _, _ = _setup(world, model_dir, GradSampleMode.BOOKKEEPING, noise=SIGMA, clip=CLIP, sgd_lr=1.0)
    before = torch.cat([p.detach().reshape(-1).clone() for p in setup.optimizer.params])
    setup.empty_step()
    after = torch.cat([p.detach().reshape(-1) for p in setup.optimizer.params])
    return after - before, setup.plan.expected_batch_size


def _both(world: World, model_dir: Path) -> dict:
    return {"weights": _weights_after_steps(world, model_dir), "noise": _noise_of_one_step(world, model_dir)}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rank(rank: int, port: int, model_dir: Path, results: Path) -> None:
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=2,
                           timeout=timedelta(seconds=120))
    try:
        torch.save(_both(World(rank=rank, size=2), model_dir), results / f"rank{rank}.pt")
    finally:
        dist.destroy_process_group()


@pytest.fixture(scope="module")
def two_and_one(module_bert, tmp_path_factory):
    """The results of 2 gloo processes (rank 0 and rank 1) and of 1 process, on the same key."""
    results = tmp_path_factory.mktemp("ranks")
    mp.spawn(_rank, args=(_free_port(), module_bert, results), nprocs=2, join=True)
    ranks = [torch.load(results / f"rank{r}.pt", weights_only=False) for r in range(2)]
    return ranks, _both(World(), module_bert)


@pytest.mark.parametrize("mode", [m.value for m in GradSampleMode])
def test_noiseless_steps_on_two_processes_give_the_single_process_weights(two_and_one, module_bert, mode):
    ranks, single = two_and_one
    weights, losses = single["weights"][mode]
    for rank in ranks:
        rank_weights, rank_losses = rank["weights"][mode]
        assert rank_losses == pytest.approx(losses, rel=1e-5)  # the same global batches
        for name, value in weights.items():
            torch.testing.assert_close(rank_weights[name], value, atol=1e-6, rtol=0, msg=name)
    initial, _ = load_classifier(module_bert)
    moved = max(float((value - initial.state_dict()[name]).abs().max()) for name, value in weights.items())
    assert moved > 1e-4  # the steps did train


def test_the_noise_is_added_once_with_variance_sigma_squared_c_squared(two_and_one):
    ranks, single = two_and_one
    delta, expected_batch_size = single["noise"]
    for rank in ranks:  # every process holds the same update: the one of the single process (same key, same step)
        torch.testing.assert_close(rank["noise"][0], delta, atol=1e-7, rtol=0)
    noise = -delta.double() * expected_batch_size
    assert noise.numel() > 20_000
    ratio = float(noise.var()) / (SIGMA * CLIP) ** 2  # 2 if each process added noise, 0.5 if it were split
    assert 0.95 < ratio < 1.05, ratio
    assert abs(float(noise.mean())) < 4 * SIGMA * CLIP / noise.numel() ** 0.5


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "rai", "train", *args], capture_output=True, text=True, env=env, timeout=600)


@pytest.mark.slow
def test_rai_train_nproc_2_records_the_single_process_epsilon_and_resumes(module_bert, data_csv, tmp_path):
    common = dict(data=str(data_csv), model=str(module_bert), epochs=1, batch_size=16, max_physical_batch_size=8,
                  max_length=16, noise_multiplier=1.0, grad_sample_mode="ghost")
    flags = [f"--{k.replace('_', '-')}={v}" for k, v in common.items()]
    out = tmp_path / "two"
    first = _cli(*flags, f"--out={out}", "--nproc=2", "--stop-after-steps=2", "--quiet")
    assert first.returncode == 0, first.stderr
    assert (out / "private" / "checkpoint" / "state.pt").is_file() and not (out / "privacy.json").exists()
    second = _cli(*flags, f"--out={out}", "--nproc=2", "--resume", "--quiet")
    assert second.returncode == 0, second.stderr
    ledger = json.loads((out / "privacy.json").read_text())
    single = json.loads((train(TrainConfig(out=str(tmp_path / "one"), **common)) / "privacy.json").read_text())
    assert ledger["world_size"] == 2 and single["world_size"] == 1
    assert ledger["resumed_at_steps"] == [2]
    assert ledger["steps"] == single["steps"] == 4
    assert ledger["sample_rate"] == single["sample_rate"]
    assert ledger["epsilon"] == pytest.approx(single["epsilon"], rel=1e-12)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


def _local_rank(pid: int) -> str | None:
    try:
        env = (Path("/proc") / str(pid) / "environ").read_bytes().split(b"\0")
    except OSError:
        return None
    return next((v.split(b"=", 1)[1].decode() for v in env if v.startswith(b"LOCAL_RANK=")), None)


@pytest.mark.slow
def test_a_process_that_dies_stops_the_job_with_a_resumable_checkpoint(module_bert, data_csv, tmp_path):
    out = tmp_path / "run"
    flags = [f"--data={data_csv}", f"--model={module_bert}", "--epochs=40", "--batch-size=16", "--max-length=16",
             "--noise-multiplier=1.0", "--checkpoint-every=1", "--quiet"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    job = subprocess.Popen([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2", "-m", "rai",
                            "train", *flags, f"--out={out}"], env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 300
        while not (out / "private" / "checkpoint" / "progress.json").is_file():
            assert job.poll() is None and time.monotonic() < deadline, "no checkpoint was written"
            time.sleep(0.5)
        rank1 = [pid for pid in _children(job.pid) if _local_rank(pid) == "1"]
        assert len(rank1) == 1
        os.kill(rank1[0], signal.SIGKILL)
        _, stderr = job.communicate(timeout=300)
    finally:
        job.kill()
    assert job.returncode != 0
    match = re.search(r"rai train: a process of the distributed job stopped or did not answer during step (\d+) of (\d+) "
                      r"\((.+)\); the last checkpoint \(step (\d+)\) in (\S+) is valid: continue with the same command and "
                      r"--resume", stderr)
    assert match, stderr[-3000:]
    saved = int(match.group(4))
    assert json.loads((out / "private" / "checkpoint" / "progress.json").read_text())["global_step"] == saved
    assert int(match.group(1)) > saved
    resumed = _cli(*flags, f"--out={out}", "--resume", "--stop-after-steps=1")  # one process: the sampling is global
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads((out / "private" / "checkpoint" / "progress.json").read_text())["global_step"] == saved + 1


def test_no_dp_is_refused_with_several_processes_before_any_starts(rai, data_csv, tmp_path):
    code, _, err = rai("train", "--data", data_csv, "--out", tmp_path / "run", "--no-dp", "--nproc", "2")
    assert code == 2
    assert err == f"rai: error: --no-dp: {ERR_NO_DP}\n"
    assert not (tmp_path / "run").exists()


def test_nproc_under_torchrun_is_refused(rai, data_csv, tmp_path, monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")  # what torchrun sets in each process it starts
    code, _, err = rai("train", "--data", data_csv, "--out", tmp_path / "run", "--nproc", "2")
    assert code == 2
    assert err == f"rai: error: --nproc: {ERR_NPROC_UNDER_TORCHRUN}\n"
