"""The training loop: Poisson-sampled logical batches, split into physical ones by Opacus' BatchMemoryManager.

Each epoch draws `steps_per_epoch` logical batches by Poisson sampling (every example joins a
batch independently with probability q, as Opacus' `UniformWithReplacementSampler` draws them),
the batch of global step t from block t of the private sampling stream (`rai.training.randomness`):
a resumed epoch draws exactly the batches the uninterrupted one would have drawn, and nobody
without the run's key can tell which examples any step used.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch.utils.data import DataLoader, Sampler

from rai.core.progress import progress
from rai.training.checkpoint import LoopState
from rai.training.distributed import World
from rai.training.private import LogicalBatches, TrainingSetup
from rai.training.randomness import PrivateStream
from rai.training.signals import StopRequests

_BACKWARD_HOOK_WARNING = "Full backward hook is firing when gradients are computed with respect to module outputs"


class PoissonSampler(Sampler[list[int]]):
    """The example indices of global steps first_step, ..., first_step + steps - 1, each a Poisson sample
    over the whole data set; with several processes, `world`'s share of it (every process draws the same mask)."""

    def __init__(self, *, stream: PrivateStream, dataset_size: int, sample_rate: float, first_step: int, steps: int,
                 world: World):
        self.stream, self.dataset_size, self.sample_rate = stream, dataset_size, sample_rate
        self.first_step, self.steps, self.world = first_step, steps, world

    def __len__(self) -> int:
        return self.steps

    def __iter__(self):
        for step in range(self.first_step, self.first_step + self.steps):
            selected = np.flatnonzero(self.stream.bernoulli(step, self.dataset_size, self.sample_rate)).tolist()
            yield self.world.shard(selected)


def poisson_loader(*, dataset_size: int, sample_rate: float, first_step: int, steps: int, collate_fn: Callable,
                   sampler: PrivateStream, world: World | None = None) -> DataLoader:
    """`steps` Poisson batches of example indices from global step `first_step` on (this process's share),
    collated by `collate_fn`."""
    batches = PoissonSampler(stream=sampler, dataset_size=dataset_size, sample_rate=sample_rate, first_step=first_step,
                             steps=steps, world=world or World())
    # The loader's own generator only seeds worker processes; keep it apart from every stream that matters.
    return DataLoader(range(dataset_size), batch_sampler=batches, collate_fn=collate_fn, generator=torch.Generator())


@dataclass
class LoopOptions:
    max_physical_batch_size: int
    checkpoint_every: int
    stop_after_steps: int | None
    delta: float | None
    world: World = field(default_factory=World)


def run_training(setup: TrainingSetup, state: LoopState, *, collate_fn: Callable, sampler: PrivateStream,
                 options: LoopOptions, checkpoint: Callable[[LoopState], None], stop: StopRequests | None = None) -> bool:
    """Train until the plan is done (True), or until --stop-after-steps is reached or `stop` has
    received a signal (False, after the step in progress and a checkpoint).

    `checkpoint(state)` is called every `checkpoint_every` steps, at the end of every epoch but
    the last (the caller writes the final one with the run directory), and before stopping.
    """
    bar = progress(total=setup.plan.total_steps, initial=state.global_step, desc="training", unit="step")
    with warnings.catch_warnings():
        # Opacus hooks the embedding layers, whose inputs (token ids) never require gradients, and
        # torch warns about that on every backward pass. Harmless: the hooks read output gradients.
        warnings.filterwarnings("ignore", message=_BACKWARD_HOOK_WARNING, category=UserWarning)
        try:
            return _train_epochs(setup, state, collate_fn=collate_fn, sampler=sampler,
                                 options=options, checkpoint=checkpoint, bar=bar, stop=stop or StopRequests())
        finally:
            bar.close()


def _train_epochs(setup: TrainingSetup, state: LoopState, *, collate_fn: Callable, sampler: PrivateStream,
                  options: LoopOptions, checkpoint: Callable[[LoopState], None], bar, stop: StopRequests) -> bool:
    from opacus.utils.batch_memory_manager import BatchMemoryManager

    plan, world = setup.plan, options.world
    stop_at = state.global_step + options.stop_after_steps if options.stop_after_steps else None
    shown_epsilon_at = 0.0
    while state.epoch < plan.epochs:
        loader = poisson_loader(dataset_size=plan.dataset_size, sample_rate=plan.sample_rate, first_step=state.global_step,
                                steps=plan.steps_per_epoch - state.step_in_epoch, collate_fn=collate_fn, sampler=sampler,
                                world=world)
        signal = LogicalBatches(setup.optimizer if setup.dp else None)
        loss_sum, examples = 0.0, 0
        with BatchMemoryManager(data_loader=loader, max_physical_batch_size=options.max_physical_batch_size,
                                optimizer=signal) as physical_batches:
            for batch in physical_batches:
                ends_logical_batch = signal.ends_logical_batch()
                batch = {name: tensor.to(world.device) for name, tensor in batch.items()}
                labels = batch.pop("labels")
                if len(labels) == 0:
                    setup.empty_step()
                else:
                    logits = setup.model(**batch).logits
                    per_example = setup.backward(logits, labels)
                    loss_sum += float(per_example.sum())
                    examples += len(per_example)
                    setup.step(ends_logical_batch)
                if not ends_logical_batch:
                    continue
                loss_sum, examples = world.end_step(loss_sum, examples)
                state.finish_step(loss_sum, examples, plan.steps_per_epoch)
                loss_sum, examples = 0.0, 0
                bar.update(1)
                if not bar.disable and time.monotonic() - shown_epsilon_at > 1.0:
                    shown_epsilon_at = time.monotonic()
                    # The loss is outside the DP guarantee: shown on the trainer's terminal, never released.
                    bar.set_postfix(loss=state.loss_per_step[-1], eps=setup.epsilon(options.delta) if setup.dp else None,
                                    refresh=False)
                done = state.epoch >= plan.epochs
                stopping = world.any(stop.received is not None)
                if not done and (stopping or (stop_at is not None and state.global_step >= stop_at)):
                    checkpoint(state)
                    return False
                if not done and (state.step_in_epoch == 0 or state.global_step % options.checkpoint_every == 0):
                    checkpoint(state)
    return True
