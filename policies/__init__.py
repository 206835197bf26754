"""Bundled policy files (YAML). `policies.path(name)` finds one by name; `resolve` also takes a file path."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from rai.errors import InputError

ERR_UNKNOWN_POLICY = "no bundled policy named {name!r} and no such file (bundled: {names})"
SUFFIXES = (".yaml", ".yml")


def _folder() -> Path:
    return Path(str(resources.files("policies")))


def names() -> list[str]:
    """The names of the bundled policies, sorted."""
    return sorted(p.stem for p in _folder().iterdir() if p.suffix == ".yaml")


def path(name: str) -> Path:
    """The file of the bundled policy `name`; an unknown name is an InputError listing the bundled ones."""
    if name not in names():
        raise InputError(ERR_UNKNOWN_POLICY.format(name=name, names=", ".join(names())))
    return _folder() / f"{name}.yaml"


def resolve(name_or_path: str | Path) -> Path:
    """A policy file: an existing path, a path-like name (has a folder or a .yaml suffix), or a bundled name."""
    p = Path(name_or_path)
    if p.is_file() or p.suffix in SUFFIXES or len(p.parts) > 1:
        return p
    return path(str(name_or_path))
