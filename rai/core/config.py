"""`--config FILE.yaml`: the same keys as a command's flags, merged under the command line.

Keys are flag names with or without leading dashes, dashes or underscores (`max-grad-norm`,
`max_grad_norm`). Every value goes through exactly what the flag's own value goes through on the
command line: it is written as the text a user would type (`n-boot: -5` as `-5`) and handed to the
flag's argparse type and choices, so a range, a type or a choice a flag refuses, the file refuses
too. A list is a comma list (`sensitive: [sex, race]` is `--sensitive sex,race`) or the values of a
flag that takes several (`paths: [a.csv, b.csv]`); a nested list or mapping is an error, never a
string. `null` leaves the flag at its default. Unknown keys are errors (fail closed), named in the
file's own spelling. The file is read with `rai.core.documents` (no YAML aliases, unique keys).
Flags given on the command line win over the file.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from rai.core.documents import load_yaml
from rai.core.errors import InputError

# Namespace attributes that describe the invocation rather than the work.
INTERNAL_KEYS = frozenset({"config", "debug", "quiet", "command", "audit_name", "handler", "policy_command", "outputs"})

ERR_NOT_FOUND = "{what} file not found"
ERR_YAML = "invalid YAML: {problem}"
ERR_NOT_MAPPING = "{what} must be a mapping of keys to values"
ERR_UNKNOWN_KEYS = "unknown key(s) {keys} (known: {known})"
ERR_BAD_VALUE = "bad value for {key}: {problem}"
ERR_NOT_PLAIN = "takes text or numbers, not {got}"
ERR_ONE_VALUE = "takes one value, not a list"
ERR_NOT_BOOLEAN = "must be true or false, got {got!r}"
ERR_INVALID = "invalid {type} value: {text!r}"  # argparse's wording, so file and flag read alike
ERR_CHOICE = "{value!r} (choose from {choices})"
ERR_EXCLUSIVE = "keys {keys} cannot be set together (as their flags cannot)"
ERR_SECTION_ONLY = "must be a section of the --config file: a mapping of that audit's flags to values"


def csv_list(value: str) -> list[str]:
    """argparse type for comma-separated lists (`--sensitive sex,race`); a config may write them as YAML lists."""
    items = [v.strip() for v in str(value).split(",")]
    return [v for v in items if v]


def config_section(value: str) -> Any:
    """argparse type of a flag that exists only as a mapping in the --config file (`rai audit run`'s sections)."""
    raise argparse.ArgumentTypeError(ERR_SECTION_ONLY)


def load_yaml_mapping(path: str | Path, *, what: str = "config") -> dict[str, Any]:
    p = Path(path)
    if not p.is_file():
        raise InputError(ERR_NOT_FOUND.format(what=what), where=str(path))
    try:
        data = load_yaml(p.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputError(ERR_YAML.format(problem="not UTF-8 text"), where=str(path)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise InputError(ERR_YAML.format(problem=getattr(exc, "problem", None) or exc), where=where) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(ERR_NOT_MAPPING.format(what=what), where=str(path))
    return data


def _actions_by_key(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {a.dest: a for a in parser._actions if a.dest not in (argparse.SUPPRESS, "help") and a.dest not in INTERNAL_KEYS}


def _typed(action: argparse.Action, text: str) -> Any:
    """What argparse makes of `text` given to this flag: its type, then its choices."""
    convert: Callable[[str], Any] = action.type if callable(action.type) else str
    try:
        value = convert(text)
    except argparse.ArgumentTypeError as exc:
        raise ValueError(str(exc)) from None
    except (TypeError, ValueError):
        raise ValueError(ERR_INVALID.format(type=getattr(convert, "__name__", "value"), text=text)) from None
    if action.choices is not None and value not in action.choices:
        raise ValueError(ERR_CHOICE.format(value=value, choices=", ".join(map(str, action.choices))))
    return value


def _words(value: Any) -> list[str]:
    """A config value as the command-line words it stands for; nested lists and mappings are refused."""
    items = value if isinstance(value, list) else [value]
    bad = next((v for v in items if isinstance(v, (list, dict))), None)
    if bad is not None:
        raise ValueError(ERR_NOT_PLAIN.format(got="a mapping" if isinstance(bad, dict) else "a list inside a list"))
    return [str(v) for v in items]


def config_value(action: argparse.Action, value: Any) -> Any:
    """The value `action` gets from a config entry, validated exactly as the command line would be."""
    if action.type is config_section:
        return value  # the command checks its sections (`rai audit run`: each by that audit's own flags)
    if action.nargs == 0:  # store_true / store_false: the key names the destination, the value is its state
        if not isinstance(value, bool):
            raise ValueError(ERR_NOT_BOOLEAN.format(got=value))
        return value
    words = _words(value)
    if action.nargs not in (None, "?"):
        return [_typed(action, w) for w in words]
    if isinstance(value, list):
        if action.type is not csv_list:
            raise ValueError(ERR_ONE_VALUE)
        return _typed(action, ",".join(words))
    return _typed(action, words[0])


def _spell(key: str, underscores: bool) -> str:
    return key.replace("-", "_") if underscores else key.replace("_", "-")


def apply_config(parser: argparse.ArgumentParser, mapping: dict[str, Any], *, where: str) -> None:
    """Install `mapping` as the parser's defaults, after validating every key and value as the flags would."""
    actions = _actions_by_key(parser)
    defaults: dict[str, Any] = {}
    unknown = []
    for raw_key, value in mapping.items():
        key = str(raw_key).lstrip("-").replace("-", "_")
        action = actions.get(key)
        if action is None:
            unknown.append(str(raw_key))
            continue
        if value is None and action.type is not config_section:
            continue  # null: the flag's default
        try:
            defaults[key] = config_value(action, value)
        except ValueError as exc:
            raise InputError(ERR_BAD_VALUE.format(key=raw_key, problem=exc), where=where) from None
        action.required = False
    if unknown:
        underscores = not any("-" in str(k).lstrip("-") for k in mapping)  # the examples' style, unless the file uses dashes
        known = ", ".join(sorted(_spell(k, underscores) for k in actions))
        raise InputError(ERR_UNKNOWN_KEYS.format(keys=", ".join(unknown), known=known), where=where)
    for group in parser._mutually_exclusive_groups:  # --append/--replace: what argparse refuses on the command line
        given = [a.dest for a in group._group_actions if a.dest in defaults and defaults[a.dest] != a.default]
        if len(given) > 1:
            raise InputError(ERR_EXCLUSIVE.format(keys=" and ".join(given)), where=where)
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
