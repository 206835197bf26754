"""DP-SGD with Opacus behind one interface, and the non-DP baseline behind the same one.

`make_training(...)` returns a `TrainingSetup` in every mode (Opacus' `make_private` returns
three values, or four in ghost mode), so the training loop has no mode switches. The privacy
parameters follow Opacus' conventions: sampling rate q = 1 / steps-per-epoch with Poisson
sampling, the mean loss divided by the *expected* batch size, noise calibrated for the planned
number of steps as `make_private_with_epsilon` does (but from steps, not epochs). Opacus'
optimizer clips, scales and accounts every step; only its Gaussian draw is replaced, by noise from
the run's secret stream (`rai.training.randomness`: OS entropy, Opacus' secure_mode recipe).
"""

from __future__ import annotations

import functools
import math
import warnings
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader

from rai.core.errors import InputError
from rai.training.bookkeeping import BookKeeping
from rai.training.compat import PerExampleIds
from rai.training.config import GradSampleMode, LRSchedule
from rai.training.randomness import PrivateStream

# Rényi orders: Opacus' defaults, extended to large orders so that small data sets and large ε still
# find their optimum inside the range (Opacus warns when it is the largest order). A superset of
# Opacus' orders: the ε recorded is never larger than Opacus' default accountant would give.
RDP_ORDERS = [1 + x / 10.0 for x in range(1, 100)] + list(range(12, 64)) + [64, 80, 96, 128, 192, 256, 384, 512, 768, 1024]
_EDGE_ORDER_WARNING = r"Optimal order is the (largest|smallest) alpha"

ERR_BUDGET_TOO_LOW = "ε = {epsilon:g} cannot be reached in {steps} steps at sampling rate {q:.3g} (the noise would be unbounded); raise --epsilon or train longer on more data"


@dataclass(frozen=True)
class SamplingPlan:
    """Poisson sampling as Opacus plans it: q = 1 / ceil(n / batch size); that many steps per epoch."""

    dataset_size: int
    batch_size: int
    epochs: int

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(self.dataset_size / self.batch_size)

    @property
    def sample_rate(self) -> float:
        return 1.0 / self.steps_per_epoch

    @property
    def total_steps(self) -> int:
        return self.steps_per_epoch * self.epochs

    @property
    def expected_batch_size(self) -> int:
        return int(self.dataset_size * self.sample_rate)  # what make_private divides the summed gradient by


def accountant_epsilon(accountant: Any, delta: float) -> float:
    """ε of an Opacus accountant at δ (RDP over RDP_ORDERS).

    If the optimum is still at the edge of the range, the bound is valid but not the tightest;
    Opacus' warning about it is silenced because the number it qualifies is what the ledger records.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_EDGE_ORDER_WARNING, category=UserWarning)
        if accountant.mechanism() == "rdp":
            return float(accountant.get_epsilon(delta=delta, alphas=RDP_ORDERS))
        return float(accountant.get_epsilon(delta=delta))


def calibrate_noise(*, target_epsilon: float, delta: float, plan: SamplingPlan, accountant: str) -> float:
    """The smallest noise multiplier (to Opacus' tolerance) that keeps ε ≤ target after the planned steps."""
    from opacus.accountants.utils import get_noise_multiplier

    extra = {"alphas": RDP_ORDERS} if accountant == "rdp" else {}
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=_EDGE_ORDER_WARNING, category=UserWarning)
            return float(get_noise_multiplier(target_epsilon=target_epsilon, target_delta=delta, sample_rate=plan.sample_rate,
                                              steps=plan.total_steps, accountant=accountant, **extra))
    except ValueError as exc:
        if "budget is too low" not in str(exc):
            raise
        raise InputError(ERR_BUDGET_TOO_LOW.format(epsilon=target_epsilon, steps=plan.total_steps, q=plan.sample_rate),
                         where="--epsilon") from None


class LogicalBatches:
    """Stands in for the optimizer in Opacus' BatchMemoryManager: records where logical batches end.

    BatchMemoryManager calls `signal_skip_step(do_skip)` before handing out each physical batch
    (do_skip=False on the last one of a logical batch); the DP optimizer, when there is one, gets
    the same signal, so it accumulates clipped gradients until the logical batch is complete.
    """

    def __init__(self, optimizer: Any | None):
        self.optimizer = optimizer
        self.flags: deque[bool] = deque()

    def signal_skip_step(self, do_skip: bool = True) -> None:
        self.flags.append(do_skip)
        if self.optimizer is not None:
            self.optimizer.signal_skip_step(do_skip=do_skip)

    def ends_logical_batch(self) -> bool:
        """Whether the physical batch just received is the last of its logical batch."""
        return not self.flags.popleft()


@dataclass
class PrivateNoise:
    """The Gaussian noise of each DP step, from block `steps` of the private noise stream.

    Installed as the `add_noise` of Opacus' optimizer: the same place, std (σ·C) and tensors as
    Opacus' own, called once per logical step by its `pre_step`, before its accountant counts the step.
    """

    stream: PrivateStream
    steps: int = 0  # noisy steps taken: the next block of the stream (saved in the private checkpoint)

    def install(self, optimizer: Any) -> None:
        optimizer.add_noise = functools.partial(self.add_noise, optimizer)

    def add_noise(self, optimizer: Any) -> None:
        from opacus.optimizers.optimizer import _check_processed_flag, _mark_as_processed

        std = optimizer.noise_multiplier * optimizer.max_grad_norm
        params = optimizer.params
        shapes = [p.summed_grad.shape for p in params]
        noises = self.stream.gaussian(self.steps).samples(shapes, std) if std else (torch.zeros(s) for s in shapes)
        self.steps += 1
        for p, noise in zip(params, noises, strict=True):
            _check_processed_flag(p.summed_grad)  # as Opacus: a gradient is never noised twice
            p.grad = (p.summed_grad + noise.to(device=p.summed_grad.device, dtype=p.summed_grad.dtype)).view_as(p)
            _mark_as_processed(p.summed_grad)


@dataclass
class TrainingSetup:
    """A model ready to train, its optimizer and, with DP, Opacus' hooks, criterion and accountant."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    plan: SamplingPlan
    dp: bool
    grad_sample_mode: GradSampleMode | None = None
    noise_multiplier: float | None = None
    max_grad_norm: float | None = None
    accountant: Any | None = None
    noise: PrivateNoise | None = None
    criterion: Callable | None = None
    hooks: Any | None = None
    bookkeeping: BookKeeping | None = None
    ids_fix: PerExampleIds | None = None
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None
    _closed: bool = field(default=False, repr=False)

    def backward(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Backpropagate one physical batch; return its per-example losses (detached)."""
        if self.dp and self.grad_sample_mode is GradSampleMode.GHOST:
            loss = self.criterion(logits, labels)
            loss.backward()  # two passes: per-example norms, then the clipped gradient
            return loss.loss_per_sample.detach()
        per_example = F.cross_entropy(logits, labels, reduction="none")
        if self.bookkeeping is not None:
            self.bookkeeping.backward(per_example)  # one pass: p.grad = the sum of clipped per-example gradients
        elif self.dp:
            per_example.mean().backward()  # Opacus rescales the mean to per-example gradients
        else:
            (per_example.sum() / self.plan.expected_batch_size).backward()
        return per_example.detach()

    def step(self, ends_logical_batch: bool) -> None:
        """After a physical batch: the DP optimizer clips and accumulates, and steps when the logical batch ends."""
        if self.dp or ends_logical_batch:
            self.optimizer.step()
            self.optimizer.zero_grad(set_to_none=True)
        if ends_logical_batch and self.scheduler is not None:
            self.scheduler.step()

    def empty_step(self) -> None:
        """The step of an empty Poisson batch: with DP, noise only (and it is accounted); without, no update."""
        if self.dp:
            for p in self.optimizer.params:
                if self.grad_sample_mode is not GradSampleMode.HOOKS:  # ghost, bookkeeping: p.grad is the clipped sum
                    p.grad = torch.zeros_like(p)
                else:
                    p.grad_sample = torch.zeros((0, *p.shape), dtype=p.dtype, device=p.device)
        self.step(ends_logical_batch=True)  # without DP: no gradients, so AdamW leaves every parameter alone

    def epsilon(self, delta: float) -> float | None:
        return None if self.accountant is None else accountant_epsilon(self.accountant, delta)

    def state_dict(self) -> dict[str, Any]:
        state: dict[str, Any] = {"optimizer": self.optimizer.state_dict()}
        if self.scheduler is not None:
            state["scheduler"] = self.scheduler.state_dict()
        if self.dp:
            state["accountant"] = dict(self.accountant.state_dict())
            state["noise_steps"] = self.noise.steps
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        if self.dp:
            self.accountant.load_state_dict(state["accountant"])
            self.noise.steps = state["noise_steps"]

    def close(self) -> nn.Module:
        """Remove Opacus' and our hooks; return the plain model (for evaluation and save_pretrained)."""
        if not self._closed:
            if self.hooks is not None:
                self.hooks.cleanup()
            if self.bookkeeping is not None:
                self.bookkeeping.remove()
            if self.ids_fix is not None:
                self.ids_fix.remove()
            self._closed = True
        return self.model


def make_optimizer(model: nn.Module, learning_rate: float) -> torch.optim.Optimizer:
    """AdamW over the trainable parameters (the Opacus BERT fine-tuning recipe)."""
    return torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=learning_rate, eps=1e-8)


def attach_schedule(setup: TrainingSetup, schedule: LRSchedule) -> TrainingSetup:
    """Step the learning rate once per logical step: constant, or linear decay to zero over the plan."""
    if schedule is LRSchedule.LINEAR:
        total = setup.plan.total_steps
        setup.scheduler = torch.optim.lr_scheduler.LambdaLR(setup.optimizer, lambda step: max(0.0, 1.0 - step / total))
    return setup


def make_training(model: nn.Module, optimizer: torch.optim.Optimizer, loader: DataLoader, *, plan: SamplingPlan, dp: bool,
                  noise_multiplier: float | None = None, max_grad_norm: float | None = None, accountant: str = "rdp",
                  grad_sample_mode: GradSampleMode = GradSampleMode.HOOKS, noise_stream: PrivateStream | None = None) -> TrainingSetup:
    """Wrap `model` and `optimizer` for DP-SGD (Opacus `make_private`) or leave them as they are.

    `loader` must already sample as `plan` says (Poisson, q = 1/len(loader)): it is handed to
    Opacus only so that its accountant and optimizer use the same q and expected batch size.
    With DP, `noise_stream` is the private stream the Gaussian noise is drawn from (required).
    """
    model.train()
    if not dp:
        return TrainingSetup(model=model, optimizer=optimizer, plan=plan, dp=False)
    if len(loader) != plan.steps_per_epoch or len(loader.dataset) != plan.dataset_size:
        raise ValueError("the data loader does not follow the sampling plan")
    if noise_stream is None:
        raise ValueError("DP training needs a private noise stream")
    from opacus import PrivacyEngine

    ids_fix = PerExampleIds(model)
    with warnings.catch_warnings():
        # Opacus' secure_mode needs torchcsprng, which no longer builds against current torch; the
        # noise comes from our own secure stream instead (PrivateNoise), and the ledger says which.
        warnings.filterwarnings("ignore", message="Secure RNG turned off", category=UserWarning)
        engine = PrivacyEngine(accountant=accountant)
    # poisson_sampling=False: `loader` already draws Poisson batches from the private sampling
    # stream; Opacus would otherwise replace it with a DPDataLoader on torch's generator.
    bookkeeping = BookKeeping(model, max_grad_norm) if grad_sample_mode is GradSampleMode.BOOKKEEPING else None
    # Book-keeping takes Opacus' ghost-clipping optimizer (noise on the clipped sum, then scaling) and
    # accountant as they are, and replaces only how the clipped sum is computed (Opacus' hooks removed).
    opacus_mode = GradSampleMode.GHOST if bookkeeping is not None else grad_sample_mode
    wrapped = engine.make_private(module=model, optimizer=optimizer, data_loader=loader, criterion=nn.CrossEntropyLoss(),
                                  noise_multiplier=noise_multiplier, max_grad_norm=max_grad_norm, poisson_sampling=False,
                                  grad_sample_mode=opacus_mode.value, wrap_model=False)
    hooks, dp_optimizer = wrapped[0], wrapped[1]
    private_noise = PrivateNoise(noise_stream)
    private_noise.install(dp_optimizer)
    criterion = wrapped[2] if grad_sample_mode is GradSampleMode.GHOST else None
    if bookkeeping is not None:
        hooks.remove_hooks()  # not merely disabled: idle full-backward hooks still slow the pass by about a fifth
    else:
        hooks.forbid_grad_accumulation()  # what make_private does for Poisson sampling: one forward per backward
    return TrainingSetup(model=model, optimizer=dp_optimizer, plan=plan, dp=True, grad_sample_mode=grad_sample_mode,
                         noise_multiplier=noise_multiplier, max_grad_norm=max_grad_norm, accountant=engine.accountant,
                         noise=private_noise, criterion=criterion, hooks=hooks, bookkeeping=bookkeeping,
                         ids_fix=ids_fix)
