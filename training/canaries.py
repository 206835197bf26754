"""Canaries: synthetic records carrying a random secret, inserted into training data to measure memorisation.

Carlini et al. (2019), "The Secret Sharer": insert a sentence such as "my account number is
4831 2297 5520" into the training set, then ask how much better the trained model scores that
secret than other secrets from the same space (the *exposure*, computed by
`rai.audit.privacy.exposure`). `rai train --canaries N` calls `make_canaries`, writes
`canaries.json = cs.to_json()` in the run directory and appends the canaries to the training
data only; `rai audit privacy` reads the file back with `CanarySet.from_json` and scores
candidates drawn by `sample_candidates` from the same secret space.

A secret format is a string in which every `#` is one random decimal digit and every other
character is literal, so the space R of possible secrets has 10 ** (number of `#`) elements.
Everything is drawn from `random.Random(seed)`, whose sequence Python keeps stable across
versions: the same seed gives the same canaries everywhere.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rai.core.errors import InputError

SCHEMA = "rai.canaries/1"
DEFAULT_TEMPLATE = "my account number is {secret}"
DEFAULT_SECRET_FORMAT = "#### #### ####"
DIGIT = "#"

ERR_N = "the number of canaries must be a positive integer, got {n}"
ERR_LABELS = "canaries need at least one label to choose from"
ERR_TEMPLATE = "the canary template must contain {{secret}} exactly once, got {template!r}"
ERR_FORMAT = "the secret format must contain at least one '#' (a random digit), got {fmt!r}"
ERR_SPACE = "cannot draw {n} distinct secrets from a space of {size} (use a longer secret format)"
ERR_JSON = "not a valid canaries file: {why}"


@dataclass(frozen=True)
class Canary:
    """One inserted record: `text` is the template filled with `secret`; `label` is its training label."""

    id: str
    text: str
    secret: str
    label: Any


@dataclass
class CanarySet:
    """The canaries of one training run, with what is needed to draw candidates from the same space."""

    seed: int
    template: str = DEFAULT_TEMPLATE
    secret_format: str = DEFAULT_SECRET_FORMAT
    canaries: list[Canary] = field(default_factory=list)

    @property
    def space_size(self) -> int:
        """|R|: how many secrets the format admits."""
        return secret_space_size(self.secret_format)

    @property
    def space_bits(self) -> float:
        """log2 |R|: the largest exposure any canary can have."""
        return math.log2(self.space_size)

    def fill(self, secret: str) -> str:
        return self.template.replace("{secret}", secret)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "seed": self.seed,
            "template": self.template,
            "secret_format": self.secret_format,
            "space_size": self.space_size,
            "canaries": [{"id": c.id, "text": c.text, "secret": c.secret, "label": c.label} for c in self.canaries],
        }

    @classmethod
    def from_json(cls, d: Any, *, where: str = "canaries.json") -> "CanarySet":
        """Parse and check a `to_json` document; every problem is a one-line InputError."""
        if not isinstance(d, dict):
            raise InputError(ERR_JSON.format(why="expected a JSON object"), where=where)
        if d.get("schema", SCHEMA) != SCHEMA:
            raise InputError(ERR_JSON.format(why=f"unknown schema {d.get('schema')!r} (expected {SCHEMA})"), where=where)
        missing = [k for k in ("seed", "template", "secret_format", "canaries") if k not in d]
        if missing:
            raise InputError(ERR_JSON.format(why=f"missing key(s) {', '.join(missing)}"), where=where)
        if not isinstance(d["canaries"], list) or not d["canaries"]:
            raise InputError(ERR_JSON.format(why="'canaries' must be a non-empty list"), where=where)
        _check_template(d["template"], where)
        _check_format(d["secret_format"], where)
        canaries = []
        for i, c in enumerate(d["canaries"]):
            if not isinstance(c, dict) or any(k not in c for k in ("id", "text", "secret", "label")):
                raise InputError(ERR_JSON.format(why=f"canary {i} needs id, text, secret and label"), where=where)
            if not matches_format(str(c["secret"]), d["secret_format"]):
                raise InputError(ERR_JSON.format(why=f"canary {c['id']} has a secret that does not match the format"), where=where)
            canaries.append(Canary(id=str(c["id"]), text=str(c["text"]), secret=str(c["secret"]), label=c["label"]))
        return cls(seed=int(d["seed"]), template=d["template"], secret_format=d["secret_format"], canaries=canaries)


def _check_template(template: Any, where: str | None = None) -> None:
    if not isinstance(template, str) or template.count("{secret}") != 1:
        raise InputError(ERR_TEMPLATE.format(template=template), where=where)


def _check_format(fmt: Any, where: str | None = None) -> None:
    if not isinstance(fmt, str) or DIGIT not in fmt:
        raise InputError(ERR_FORMAT.format(fmt=fmt), where=where)


def secret_space_size(secret_format: str) -> int:
    return 10 ** secret_format.count(DIGIT)


def matches_format(secret: str, secret_format: str) -> bool:
    return len(secret) == len(secret_format) and all(
        (f == DIGIT and s.isdigit() and s.isascii()) or (f != DIGIT and s == f) for s, f in zip(secret, secret_format))


def secret_from_index(index: int, secret_format: str) -> str:
    """The `index`-th secret of the space (0 <= index < |R|), digits filled most significant first."""
    k = secret_format.count(DIGIT)
    digits = iter(str(index).zfill(k))
    return "".join(next(digits) if f == DIGIT else f for f in secret_format)


def make_canaries(n: int, seed: int, labels: Sequence[Any], *, template: str = DEFAULT_TEMPLATE,
                  secret_format: str = DEFAULT_SECRET_FORMAT) -> CanarySet:
    """`n` canaries with distinct random secrets and labels spread evenly over `labels` in a seeded order.

    Even spread matters for a classifier: if every canary had the same label, the model could
    learn "template -> label" and give every candidate secret the same low loss, hiding
    memorisation; with mixed labels a low loss on a canary needs its secret.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
        raise InputError(ERR_N.format(n=n))
    labels = list(labels)
    if not labels:
        raise InputError(ERR_LABELS)
    _check_template(template)
    _check_format(secret_format)
    size = secret_space_size(secret_format)
    if n > size:
        raise InputError(ERR_SPACE.format(n=n, size=size))
    rng = random.Random(seed)
    indices = rng.sample(range(size), n)  # distinct secrets
    pool = rng.sample(labels, len(labels))  # which labels get the extra canaries when n is not a multiple
    assigned = [pool[i % len(pool)] for i in range(n)]
    rng.shuffle(assigned)  # balanced: the template alone cannot predict a canary's label
    width = max(4, len(str(n - 1)))
    cs = CanarySet(seed=seed, template=template, secret_format=secret_format)
    for i, (index, label) in enumerate(zip(indices, assigned)):
        secret = secret_from_index(index, secret_format)
        cs.canaries.append(Canary(id=f"canary-{i:0{width}d}", text=cs.fill(secret), secret=secret, label=label))
    return cs


@dataclass(frozen=True)
class Candidates:
    """Texts with other secrets from the canary's space, for estimating its rank.

    `exhaustive` is True when `texts` holds every other secret of the space, so the rank
    computed from them is exact rather than estimated.
    """

    texts: list[str]
    exhaustive: bool


def sample_candidates(cs: CanarySet, canary: Canary, m: int, seed: int) -> Candidates:
    """Up to `m` texts from the same template with secrets other than `canary.secret`.

    Drawn without replacement. When `m` covers the whole space (|R| - 1 <= m), every other
    secret is returned in order and the result is exhaustive.
    """
    if m <= 0:
        raise InputError(ERR_N.format(n=m))
    size = cs.space_size
    own = canary.secret
    if m >= size - 1:
        secrets = [secret_from_index(i, cs.secret_format) for i in range(size)]
        return Candidates(texts=[cs.fill(s) for s in secrets if s != own], exhaustive=True)
    rng = random.Random(f"{seed}:{canary.id}:{own}")
    chosen: list[str] = []
    seen = {own}
    while len(chosen) < m:
        idx = rng.sample(range(size), min(size, m - len(chosen) + 1))
        for i in idx:
            s = secret_from_index(i, cs.secret_format)
            if s not in seen and len(chosen) < m:
                seen.add(s)
                chosen.append(s)
    return Candidates(texts=[cs.fill(s) for s in chosen], exhaustive=False)
