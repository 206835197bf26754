"""Audit canaries for the one-run privacy audit (Steinke, Nasr & Jagielski 2023; `rai.audit.privacy.one_run`).

`rai train --audit-canaries M` makes M input-space canaries: short texts of random letters, each
with a random label (balanced over the labels), so nothing but memorising a canary predicts its
label. Each canary joins the training data independently with probability 1/2; the inclusion bits
are the audit's secret and come from the run's private stream (`rai.training.randomness`: a key of OS
entropy with DP, --seed only without DP, where there is nothing to hide), never from --seed under DP: anyone who could
recompute them could read membership off the bits instead of the model. The contents (texts and
labels) come from --seed: they need no secrecy (DP protects records the adversary knows exactly,
and the audit assumes he does), and a fixed seed keeps the canaries of two runs comparable.

Everything, bits included, is written to `private/audit_canaries.json` (never published with the
model); `rai audit privacy` reads it back. `privacy.json` records how many canaries were planted and
included: the count is a function of the coin flips alone, holds no user data and says nothing about
which canaries went in, and `dataset_size` (which counts the included canaries) shows it anyway.
"""

from __future__ import annotations

import json
import random
import secrets
import string
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rai.core.errors import InputError
from rai.core.io import atomic_write_json
from rai.training.config import TrainConfig
from rai.training.data import TrainingData, append_examples

SCHEMA = "rai.audit_canaries/1"
FILE = Path("private") / "audit_canaries.json"
INCLUSION_PROBABILITY = 0.5
AUDIT_CANARY_BITS = "audit-canary-inclusion"  # the purpose of the private stream the coin flips come from
WORDS_PER_TEXT = 5
WORD_LETTERS = (3, 7)  # inclusive range of letters per random word

ERR_JSON = "not a valid audit canaries file: {why}"
ERR_LEDGER = ("does not belong to this run: privacy.json records {ledger} audit canaries (planted/included), "
              "the file holds {file}")
ERR_RESUME_MISSING = ("the unfinished run has no {file} (it was started without --audit-canaries, "
                      "or the file was removed): start a new run")
ERR_RESUME_COUNT = "the unfinished run planted {saved} audit canaries, not --audit-canaries {asked}"


@dataclass(frozen=True)
class AuditCanary:
    id: str
    text: str
    label: Any
    included: bool


@dataclass(frozen=True)
class AuditCanarySet:
    """The canaries of one run and their secret inclusion bits."""

    seed: int
    canaries: tuple[AuditCanary, ...]

    @property
    def included(self) -> list[AuditCanary]:
        return [c for c in self.canaries if c.included]

    def to_json(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "seed": self.seed, "inclusion_probability": INCLUSION_PROBABILITY,
                "inclusion_bits": "OS entropy (secrets), independent of --seed",
                "canaries": [{"id": c.id, "text": c.text, "label": c.label, "included": c.included} for c in self.canaries]}

    @classmethod
    def from_json(cls, doc: Any, *, where: str) -> "AuditCanarySet":
        """Parse and check a `to_json` document; every problem is a one-line InputError."""
        if not isinstance(doc, dict):
            raise InputError(ERR_JSON.format(why="expected a JSON object"), where=where)
        if doc.get("schema") != SCHEMA:
            raise InputError(ERR_JSON.format(why=f"unknown schema {doc.get('schema')!r} (expected {SCHEMA})"), where=where)
        items = doc.get("canaries")
        if not isinstance(items, list) or not items:
            raise InputError(ERR_JSON.format(why="'canaries' must be a non-empty list"), where=where)
        canaries = []
        for i, c in enumerate(items):
            if (not isinstance(c, dict) or any(k not in c for k in ("id", "text", "label", "included"))
                    or not isinstance(c["included"], bool) or not isinstance(c["text"], str)):
                raise InputError(ERR_JSON.format(why=f"canary {i} needs id, text (a string), label and included (true/false)"),
                                 where=where)
            canaries.append(AuditCanary(id=str(c["id"]), text=c["text"], label=c["label"], included=c["included"]))
        seed = doc.get("seed")
        return cls(seed=seed if isinstance(seed, int) else 0, canaries=tuple(canaries))

    def ledger_entry(self) -> dict[str, Any]:
        """What privacy.json says about the audit canaries (no texts, no bits)."""
        return {"planted": len(self.canaries), "included": len(self.included),
                "inclusion_probability": INCLUSION_PROBABILITY, "file": FILE.as_posix(),
                "covered": ("the included audit canaries are training examples like any other: dataset_size counts "
                            "them and the guarantee covers them")}


def _random_text(rng: random.Random) -> str:
    return " ".join("".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(*WORD_LETTERS)))
                    for _ in range(WORDS_PER_TEXT))


def inclusion_bits(m: int, rng: np.random.Generator | None = None) -> np.ndarray:
    """m independent fair coin flips from `rng` (the run's private stream), or keyed by 128 bits of OS entropy."""
    rng = np.random.default_rng(secrets.randbits(128)) if rng is None else rng
    return rng.random(m) < INCLUSION_PROBABILITY


def make_audit_canaries(m: int, seed: int, labels: Sequence[Any], *, included: Sequence[bool] | None = None) -> AuditCanarySet:
    """m canaries with distinct random texts and balanced random labels (from `seed`), and inclusion
    bits (from OS entropy unless `included` is given, which only tests do)."""
    rng = random.Random(f"rai-audit-canaries:{seed}")  # a stream apart from --canaries' and the split's
    texts: list[str] = []
    seen: set[str] = set()
    while len(texts) < m:
        text = _random_text(rng)
        if text not in seen:
            seen.add(text)
            texts.append(text)
    pool = list(labels)
    assigned = [pool[i % len(pool)] for i in range(m)]
    rng.shuffle(assigned)
    bits = inclusion_bits(m) if included is None else np.asarray(included, dtype=bool)
    width = max(4, len(str(m - 1)))
    return AuditCanarySet(seed=seed, canaries=tuple(
        AuditCanary(id=f"audit-{i:0{width}d}", text=t, label=y, included=bool(b))
        for i, (t, y, b) in enumerate(zip(texts, assigned, bits))))


def read_audit_canaries(run_dir: Path) -> AuditCanarySet | None:
    """The run's audit canaries, or None when it has no private/audit_canaries.json."""
    path = Path(run_dir) / FILE
    if not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(ERR_JSON.format(why=exc), where=str(path)) from None
    return AuditCanarySet.from_json(doc, where=str(path))


def check_against_ledger(cs: AuditCanarySet, ledger: dict[str, Any], *, where: str) -> None:
    """A file from another run (or edited by hand) would audit the wrong bits: refuse it."""
    entry = ledger.get("audit_canaries")
    recorded = (entry.get("planted"), entry.get("included")) if isinstance(entry, dict) else None
    actual = (len(cs.canaries), len(cs.included))
    if recorded != actual:
        shown = "none" if recorded is None else f"{recorded[0]}/{recorded[1]}"
        raise InputError(ERR_LEDGER.format(ledger=shown, file=f"{actual[0]}/{actual[1]}"), where=where)


def write_audit_canaries(run_dir: Path, cs: AuditCanarySet | None) -> None:
    if cs is not None:
        atomic_write_json(Path(run_dir) / FILE, cs.to_json())


def plant_audit_canaries(cfg: TrainConfig, data: TrainingData, rng: np.random.Generator) -> AuditCanarySet | None:
    """Draw (or, with --resume, reload) the audit canaries and append the included ones to the training data.

    On --resume the bits must be those of the interrupted run, so they are read back from its
    private/audit_canaries.json rather than drawn again.
    """
    if not cfg.audit_canaries:
        return None
    if cfg.resume:
        cs = read_audit_canaries(Path(cfg.out))
        if cs is None:
            raise InputError(ERR_RESUME_MISSING.format(file=FILE.as_posix()), where=str(cfg.out))
        if len(cs.canaries) != cfg.audit_canaries:
            raise InputError(ERR_RESUME_COUNT.format(saved=len(cs.canaries), asked=cfg.audit_canaries), where="--audit-canaries")
    else:
        cs = make_audit_canaries(cfg.audit_canaries, cfg.seed, list(data.label_map.labels),
                                 included=inclusion_bits(cfg.audit_canaries, rng))
    planted = cs.included
    if planted:
        labels = data.label_map.encode([c.label for c in planted], where=str(FILE))
        data.train = append_examples(data.train, [c.text for c in planted], labels)
    return cs
