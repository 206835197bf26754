"""Load a Detoxify model offline, through detoxify's own code, and wrap it in the fast scorer.

detoxify's `load_checkpoint` calls `config_class.from_pretrained(model_type)` with the hub name
stored in the checkpoint (e.g. "bert-base-uncased") before it looks at
`huggingface_config_path`, so on a machine without the hub it fails even when the user has the
config files. Here the checkpoint is read once, its `model_type` is replaced in memory by a
local directory (`--hf-config`, a local path already in the checkpoint, or the Hugging Face
cache), and detoxify's `get_model_and_tokenizer` builds the model from that directory. Nothing
is downloaded: a named model type needs its checkpoint in the torch hub cache already.
"""

from __future__ import annotations

import pickle
import re
from importlib import metadata
from pathlib import Path
from typing import Any

from rai.audit.toxicity import packed
from rai.audit.toxicity.base import BackendInfo, BackendOptions, BackendUnavailable, resolve_device
from rai.audit.toxicity.scorer import DetoxifyScorer
from rai.core.errors import InputError
from rai.core.io import sha256_file

NAME = "detoxify"
# detoxify.detoxify.MODEL_URLS' keys, listed here so `rai --help` need not import torch (a test keeps them equal).
MODEL_TYPES = ("original", "unbiased", "multilingual", "original-small", "unbiased-small")
DEFAULT_MODEL_TYPE = "original"
# Toxicity labels, in detoxify's standardised names; other outputs (the unbiased model's
# identity mentions: male, female, ...) are not toxicity and are not reported as labels.
TOXICITY_LABELS = ("toxicity", "severe_toxicity", "obscene", "threat", "insult", "identity_attack", "sexual_explicit")
PRIMARY_LABEL = "toxicity"
# The renaming detoxify's load_checkpoint applies to class names (kept identical; a test checks it).
CLASS_NAME_CHANGES = {"toxic": "toxicity", "identity_hate": "identity_attack", "severe_toxic": "severe_toxicity"}
# Default token budget of a batch, per text of --batch-size: long texts go in smaller batches,
# which bounds memory and, the texts being sorted by length, leaves little padding.
TOKENS_PER_TEXT = 128
# Models whose position ids start after the padding index (RoBERTa family): usable length is smaller.
POSITION_OFFSET = {"roberta": 2, "xlm-roberta": 2, "camembert": 2}
_HUB_HASH = re.compile(r"-([a-f0-9]+)\.")  # torch.hub's file-name hash convention

ERR_NO_WEIGHTS = ("no Detoxify weights for model type {model_type!r}: {path} is absent and rai never downloads. "
                  "Copy that checkpoint file there, or pass --checkpoint FILE.ckpt --hf-config DIR "
                  "(see docs/toxicity.md), or use --backend profanity-check")
ERR_NO_HF_CONFIG = ("the checkpoint needs the Hugging Face config and tokenizer files of {model!r}, which are not "
                    "in the local cache: pass --hf-config DIR (a folder holding config.json and the tokenizer "
                    "files of {model!r}; see docs/toxicity.md)")
ERR_HF_CONFIG_DIR = "not a Hugging Face config directory (expected a folder holding config.json and tokenizer files)"
ERR_NO_CHECKPOINT = "checkpoint file not found"
ERR_BOTH = "give --model-type or --checkpoint, not both"
ERR_MODEL_TYPE = "unknown Detoxify model type {model_type!r} (choose from {choices})"
ERR_NOT_DETOXIFY = ("not a Detoxify checkpoint: expected a dict with 'state_dict' and 'config' holding "
                    "arch.args (model_type, model_name, tokenizer_name, num_classes) and dataset.args.classes")
ERR_UNREADABLE = "cannot read the checkpoint: {reason}"
ERR_NOT_TORCH = "not a PyTorch checkpoint file, or a corrupt one"
ERR_UNSAFE = ("the checkpoint holds Python objects besides tensors and plain data, and loading it would run code "
              "from the file; if you trust the file, pass --trust-checkpoint")
ERR_HASH = "the file does not match the hash in its name ({expected}); it is not the published Detoxify checkpoint"
ERR_CLASSES = "the checkpoint names {n_names} classes but its model has {n_classes} outputs"
ERR_ARCH = "unknown transformers class {name!r} in the checkpoint's arch.args"
ERR_BUILD = "cannot build the model from the checkpoint: {reason}"
ERR_MISSING_WEIGHTS = ("the checkpoint has no weights for {n} tensor(s) of {model_name} (e.g. {example}); "
                       "they would be random: the checkpoint does not match its config")
ERR_MAX_LENGTH = "the tokenizer and the model config declare no maximum input length: pass --max-length"
ERR_MAX_LENGTH_LARGE = "--max-length {value} exceeds the model's {limit} positions"


def hub_checkpoint_path(model_type: str) -> Path:
    """Where torch.hub keeps the release file of `model_type` once downloaded."""
    import torch
    from detoxify.detoxify import MODEL_URLS

    if model_type not in MODEL_URLS:
        raise InputError(ERR_MODEL_TYPE.format(model_type=model_type, choices=", ".join(MODEL_URLS)), where="--model-type")
    return Path(torch.hub.get_dir()) / "checkpoints" / MODEL_URLS[model_type].rsplit("/", 1)[-1]


def _read_checkpoint(path: Path, device, *, may_unpickle: bool) -> dict[str, Any]:
    """torch.load with weights_only=True; full unpickling only for trusted files."""
    import torch

    try:
        try:
            return torch.load(path, map_location=device, weights_only=True)
        except pickle.UnpicklingError as exc:
            if "Unsupported global" not in str(exc):
                raise InputError(ERR_UNREADABLE.format(reason=ERR_NOT_TORCH), where=str(path)) from None
            if not may_unpickle:
                raise InputError(ERR_UNSAFE, where=str(path)) from None
            return torch.load(path, map_location=device, weights_only=False)
    except (RuntimeError, EOFError, OSError, ValueError, pickle.UnpicklingError) as exc:
        raise InputError(ERR_UNREADABLE.format(reason=_first_line(exc)), where=str(path)) from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _checkpoint_source(options: BackendOptions, device) -> tuple[dict[str, Any], str, Path, str]:
    """(checkpoint dict, model description, file, its SHA-256) from --checkpoint or the torch hub cache."""
    if options.checkpoint is not None:
        if options.model_type is not None:
            raise InputError(ERR_BOTH, where="--checkpoint")
        path = Path(options.checkpoint)
        if not path.is_file():
            raise InputError(ERR_NO_CHECKPOINT, where=str(path))
        return _read_checkpoint(path, device, may_unpickle=options.trust_checkpoint), str(path), path, sha256_file(path)
    model_type = options.model_type or DEFAULT_MODEL_TYPE
    path = hub_checkpoint_path(model_type)
    if not path.is_file():
        raise BackendUnavailable(ERR_NO_WEIGHTS.format(model_type=model_type, path=path))
    expected, digest = _HUB_HASH.search(path.name), sha256_file(path)
    # The published file is as trusted as detoxify's own download once its name's hash prefix matches.
    if expected and not digest.startswith(expected.group(1)):
        raise InputError(ERR_HASH.format(expected=expected.group(1)), where=str(path))
    return _read_checkpoint(path, device, may_unpickle=expected is not None), model_type, path, digest


def _arch(loaded: Any, where: str) -> tuple[dict[str, Any], list[str]]:
    """The checkpoint's arch args and standardised class names, validated."""
    try:
        args = dict(loaded["config"]["arch"]["args"])
        classes = list(loaded["config"]["dataset"]["args"]["classes"])
        num_classes = int(args["num_classes"])
        missing = {"model_type", "model_name", "tokenizer_name"} - set(args)
    except (KeyError, TypeError, ValueError):
        raise InputError(ERR_NOT_DETOXIFY, where=where) from None
    if missing or not isinstance(loaded.get("state_dict"), dict):
        raise InputError(ERR_NOT_DETOXIFY, where=where)
    if len(classes) != num_classes:
        raise InputError(ERR_CLASSES.format(n_names=len(classes), n_classes=args["num_classes"]), where=where)
    import transformers

    for key in ("model_name", "tokenizer_name"):
        if not isinstance(args[key], str) or not hasattr(transformers, args[key]):
            raise InputError(ERR_ARCH.format(name=args[key]), where=where)
    return args, [CLASS_NAME_CHANGES.get(c, c) for c in classes]


def _hf_dir(model: str, hf_config: Path | None, *, explicit: bool) -> Path:
    """A local folder with the config and tokenizer of `model`; never the network."""
    if hf_config is not None:
        p = Path(hf_config)
        if not (p / "config.json").is_file():
            raise InputError(ERR_HF_CONFIG_DIR, where=str(hf_config))
        return p
    if (Path(model) / "config.json").is_file():
        return Path(model)
    from huggingface_hub import try_to_load_from_cache

    try:
        cached = try_to_load_from_cache(model, "config.json")
    except ValueError:  # not a hub name at all (e.g. a path from the machine that trained it)
        cached = None
    if isinstance(cached, str):
        return Path(cached).parent
    error = InputError if explicit else BackendUnavailable  # an explicit --checkpoint never falls back
    raise error(ERR_NO_HF_CONFIG.format(model=model))


def _build(args: dict[str, Any], state_dict: dict[str, Any], where: str):
    """detoxify's get_model_and_tokenizer on a local model_type, quietly, with every weight checked."""
    from detoxify.detoxify import get_model_and_tokenizer
    from transformers.utils import logging as hf_logging

    from rai.core.progress import enabled

    bar_was_on = hf_logging.is_progress_bar_enabled()
    if not enabled():
        hf_logging.disable_progress_bar()
    try:
        # huggingface_config_path=None: the config then comes from model_type (now local) with
        # num_labels = num_classes; a config.json made for another head size cannot break the load.
        model, tokenizer = get_model_and_tokenizer(**args, state_dict=state_dict, huggingface_config_path=None)
    except (OSError, ValueError, RuntimeError, KeyError, TypeError) as exc:
        raise InputError(ERR_BUILD.format(reason=_first_line(exc)), where=where) from None
    finally:
        if bar_was_on:
            hf_logging.enable_progress_bar()
    absent = sorted(set(model.state_dict()) - set(state_dict))
    if absent:
        raise InputError(ERR_MISSING_WEIGHTS.format(n=len(absent), model_name=args["model_name"], example=absent[0]), where=where)
    return model, tokenizer


def _max_length(tokenizer, config, requested: int | None) -> int:
    """The tokenizer's limit (what Detoxify.predict truncates to), bounded by the model's positions."""
    positions = getattr(config, "max_position_embeddings", None)
    limit = positions - POSITION_OFFSET.get(config.model_type, 0) if positions else None
    if requested is not None:
        if limit is not None and requested > limit:
            raise InputError(ERR_MAX_LENGTH_LARGE.format(value=requested, limit=limit), where="--max-length")
        return requested
    declared = tokenizer.model_max_length if tokenizer.model_max_length < 10**6 else None
    candidates = [v for v in (declared, limit) if v is not None]
    if not candidates:
        raise InputError(ERR_MAX_LENGTH)
    return min(candidates)


def load_detoxify(options: BackendOptions) -> DetoxifyScorer:
    """The Detoxify backend: a named model from the torch hub cache, or --checkpoint (+ --hf-config)."""
    device = resolve_device(options.device)
    loaded, described, path, digest = _checkpoint_source(options, device)
    args, class_names = _arch(loaded, str(path))
    hf_dir = _hf_dir(str(args["model_type"]), options.hf_config, explicit=options.checkpoint is not None)
    model, tokenizer = _build({**args, "model_type": str(hf_dir)}, loaded["state_dict"], str(path))
    model.to(device)
    labels = tuple(c for c in class_names if c in TOXICITY_LABELS) or tuple(class_names)
    info = BackendInfo(
        name=NAME, version=metadata.version("detoxify"), model=described, labels=labels,
        primary_label=PRIMARY_LABEL if PRIMARY_LABEL in labels else labels[0], device=str(device),
        max_length=_max_length(tokenizer, model.config, options.max_length),
        details={"architecture": args["model_name"], "base_model": str(args["model_type"]),
                 "checkpoint_sha256": digest, "forward": "padding-free" if packed.supports(model) else "padded",
                 "other_outputs": [c for c in class_names if c not in labels]},
    )
    budget = options.max_batch_tokens or TOKENS_PER_TEXT * options.batch_size
    return DetoxifyScorer(model, tokenizer, class_names, info, batch_size=options.batch_size, max_batch_tokens=budget)
