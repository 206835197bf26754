"""The toxicity backend interface: what a scorer is, what it returns, how it is configured.

A backend turns texts into per-label probabilities. Backends are plugged in through the
registry in `rai.audit.toxicity.backends`; audits receive a loaded backend (dependencies passed in).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from rai.core.errors import InputError

ERR_DEVICE = "unknown device {device!r} (use cpu, cuda, cuda:N or mps)"
ERR_DEVICE_MISSING = "device {device!r} is not available on this machine"


class BackendUnavailable(InputError):
    """This backend cannot load on this machine (no weights, not installed); `--backend auto` tries the next."""


@dataclass(frozen=True)
class BackendInfo:
    """What scored the texts; written into the audit so nobody mistakes one backend for another."""

    name: str
    version: str | None
    model: str
    labels: tuple[str, ...]
    primary_label: str
    device: str = "cpu"
    max_length: int | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "model": self.model, "labels": list(self.labels),
                "primary_label": self.primary_label, "device": self.device, "max_length": self.max_length, **self.details}


@dataclass(frozen=True)
class TextScores:
    """Scores of n texts: `values[i, j]` is the probability of `labels[j]` for text i."""

    labels: tuple[str, ...]
    values: np.ndarray
    truncated: np.ndarray  # (n,) bool: the text was longer than the model's input and was cut

    def column(self, label: str) -> np.ndarray:
        return self.values[:, self.labels.index(label)]


class ToxicityBackend(Protocol):
    info: BackendInfo

    def score(self, texts: Sequence[str]) -> TextScores: ...


@dataclass(frozen=True)
class BackendOptions:
    """Settings a backend may use; each backend reads the ones that concern it."""

    model_type: str | None = None
    checkpoint: Path | None = None
    hf_config: Path | None = None
    device: str = "cpu"
    batch_size: int = 32
    max_batch_tokens: int | None = None  # tokens computed per batch, padding included (None: 128 x batch_size)
    max_length: int | None = None
    trust_checkpoint: bool = False


def resolve_device(name: str):
    """A torch.device that exists here, or an InputError (never a silent fallback to CPU)."""
    import torch

    try:
        device = torch.device(name)
    except (RuntimeError, ValueError):
        raise InputError(ERR_DEVICE.format(device=name), where="--device") from None
    available = {"cpu": lambda: True, "cuda": torch.cuda.is_available,
                 "mps": lambda: torch.backends.mps.is_available()}.get(device.type)
    if available is None or not available():
        raise InputError(ERR_DEVICE_MISSING.format(device=name), where="--device")
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise InputError(ERR_DEVICE_MISSING.format(device=name), where="--device")
    return device
