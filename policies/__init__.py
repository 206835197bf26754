"""Bundled policy files (YAML), and how a `--policy` argument picks one or a file of the user's.

A bare name (`default`, `strict`, `fairness-ci`) is always a bundled policy and never reads a file:
in CI, a pull request that adds a file named `default` must not turn a failing gate into a pass.
A file is given as a path: anything with a folder separator (`./default`, `policies/x.yaml`) or
ending in `.yaml` / `.yml` (`mine.yaml`). The suffix rule cannot shadow a bundled policy, because
no bundled name has a suffix (they are the files' stems).
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from rai.core.errors import InputError

ERR_UNKNOWN_POLICY = ("no bundled policy named {name!r} (bundled: {names}); "
                      "a policy file is given as a path, e.g. ./{name} or {name}.yaml")
SUFFIXES = (".yaml", ".yml")
_SEPARATORS = tuple(s for s in ("/", os.sep, os.altsep) if s)


def _folder() -> Path:
    return Path(str(resources.files("rai.policies")))


def names() -> list[str]:
    """The names of the bundled policies, sorted."""
    return sorted(p.stem for p in _folder().iterdir() if p.suffix == ".yaml")


def path(name: str) -> Path:
    """The file of the bundled policy `name`; an unknown name is an InputError listing the bundled ones."""
    if name not in names():
        raise InputError(ERR_UNKNOWN_POLICY.format(name=name, names=", ".join(names())))
    return _folder() / f"{name}.yaml"


def is_path(name_or_path: str | Path) -> bool:
    """Whether a `--policy` argument names a file (a `Path`, a separator, a YAML suffix) rather than a bundled policy."""
    if isinstance(name_or_path, Path):
        return True
    text = str(name_or_path)
    return any(s in text for s in _SEPARATORS) or text.lower().endswith(SUFFIXES)


def resolve(name_or_path: str | Path) -> Path:
    """The policy file an argument stands for: a path as given, else the bundled policy of that name."""
    return Path(name_or_path) if is_path(name_or_path) else path(str(name_or_path))
