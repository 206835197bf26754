"""`--config FILE.yaml`: the same keys as a command's flags, merged under the command line.

Keys are flag names with or without leading dashes, dashes or underscores (`max-grad-norm`,
`max_grad_norm`). Unknown keys and values outside a flag's choices are errors (fail closed).
Flags given on the command line win over the file.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import yaml

from rai.errors import InputError

# Namespace attributes that describe the invocation rather than the work.
INTERNAL_KEYS = frozenset({"config", "debug", "quiet", "command", "audit_name", "handler", "policy_command", "outputs"})


def load_yaml_mapping(path: str | Path, *, what: str = "config") -> dict[str, Any]:
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{what} file not found", where=str(path))
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise InputError(f"invalid YAML: {getattr(exc, 'problem', exc)}", where=where) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(f"{what} must be a mapping of keys to values", where=str(path))
    return data


def _actions_by_key(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {a.dest: a for a in parser._actions if a.dest not in (argparse.SUPPRESS, "help") and a.dest not in INTERNAL_KEYS}


def apply_config(parser: argparse.ArgumentParser, mapping: dict[str, Any], *, where: str) -> None:
    """Install `mapping` as the parser's defaults, after checking every key and choice."""
    actions = _actions_by_key(parser)
    defaults: dict[str, Any] = {}
    unknown = []
    for raw_key, value in mapping.items():
        key = str(raw_key).lstrip("-").replace("-", "_")
        action = actions.get(key)
        if action is None:
            unknown.append(str(raw_key))
            continue
        if isinstance(value, list) and action.nargs in (None, "?"):
            value = ",".join(str(v) for v in value)  # comma-list flags such as --sensitive
        if isinstance(value, str) and action.type is not None and action.nargs in (None, "?"):
            try:
                value = action.type(value)
            except (TypeError, ValueError, argparse.ArgumentTypeError) as exc:
                raise InputError(f"bad value for {raw_key}: {exc}", where=where) from None
        if action.choices is not None:
            values = value if isinstance(value, list) else [value]
            bad = [v for v in values if v not in action.choices]
            if bad:
                raise InputError(f"bad value for {raw_key}: {bad[0]!r} (choose from {', '.join(map(str, action.choices))})", where=where)
        defaults[key] = value
        action.required = False
    if unknown:
        known = ", ".join(sorted(k.replace("_", "-") for k in actions))
        raise InputError(f"unknown key(s) {', '.join(unknown)} (known: {known})", where=where)
    parser.set_defaults(**defaults)


def resolved_config(args: argparse.Namespace) -> dict[str, Any]:
    """The settings a command actually ran with, for saving next to its outputs."""
    out = {}
    for key, value in sorted(vars(args).items()):
        if key in INTERNAL_KEYS or callable(value):
            continue
        out[key] = str(value) if isinstance(value, Path) else value
    return out


def dump_yaml(mapping: dict[str, Any]) -> str:
    return yaml.safe_dump(mapping, sort_keys=True, allow_unicode=True)
