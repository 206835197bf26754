"""Strict readers of the JSON and YAML documents rai takes as input (audits, policies, configs).

A gate must not be talked into a pass, and a small file must not cost gigabytes or a crash:
- JSON: duplicate keys are refused (Python keeps the last one silently), NaN/Infinity (and 1e400) are refused,
  and nesting is bounded *before* `json.loads` runs (its recursion fails at about 1,000 levels).
- YAML: aliases and anchors are refused (a ten-line "billion laughs" expands to gigabytes),
  duplicate keys are refused, and nesting is bounded while composing (the composer recurses).
Every problem is a `yaml.MarkedYAMLError` (YAML, with its line) or an `InputError` (JSON).
"""

from __future__ import annotations

import itertools
import json
import math
import re
from typing import Any

import yaml

from rai.core.errors import InputError

MAX_DEPTH = 64  # rai's own audits nest about 10 levels; 64 leaves room and keeps every recursion shallow

ERR_JSON = "not valid JSON: {error}"
ERR_JSON_DEPTH = f"JSON nested deeper than {MAX_DEPTH} levels"
ERR_DUPLICATE_KEY = "duplicate key {key!r}"
ERR_NON_FINITE = "non-standard JSON number {name} (rai writes undefined values as null)"
ERR_OVERFLOW = "the number {text} is too large for a float (rai writes undefined values as null)"
ERR_YAML_ALIAS = "YAML anchors and aliases (&name, *name, <<: *name) are not allowed: write the values out"
ERR_YAML_DEPTH = f"YAML nested deeper than {MAX_DEPTH} levels"

_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_MERGE_TAG = "tag:yaml.org,2002:merge"
_JSON_BRACKET = re.compile(r"[\[\]{}]")


def json_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in JSON text, found without recursion."""
    brackets = _JSON_BRACKET.findall(_JSON_STRING.sub('""', text))
    return max(itertools.accumulate(1 if b in "[{" else -1 for b in brackets), default=0)


class _DuplicateKey(ValueError):
    pass


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(ERR_DUPLICATE_KEY.format(key=key))
        out[key] = value
    return out


def _reject_constant(name: str) -> Any:
    raise ValueError(ERR_NON_FINITE.format(name=name))


def _finite_float(text: str) -> float:
    x = float(text)
    if not math.isfinite(x):  # 1e400 parses as inf: as undefined as Infinity, and no gate may compare it
        raise ValueError(ERR_OVERFLOW.format(text=text))
    return x


def loads_json(text: str, *, where: str) -> Any:
    """Parse JSON strictly (see the module docstring); every problem is one InputError naming `where`."""
    if json_depth(text) > MAX_DEPTH:
        raise InputError(ERR_JSON_DEPTH, where=where)
    try:
        return json.loads(text, object_pairs_hook=_unique_pairs, parse_constant=_reject_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        raise InputError(ERR_JSON.format(error=exc), where=where) from None
    except ValueError as exc:  # a duplicate key, NaN, Infinity, 1e400, an integer of more than 4,300 digits
        raise InputError(str(exc), where=where) from None


class StrictYamlLoader(yaml.SafeLoader):
    """`yaml.SafeLoader` without aliases or anchors, with unique keys and a bounded depth."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:  # noqa: D102 - PyYAML hook
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise yaml.composer.ComposerError(None, None, ERR_YAML_ALIAS, event.start_mark)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(None, None, ERR_YAML_DEPTH, event.start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:  # noqa: D102
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _MERGE_TAG:
                continue
            key = self.construct_object(key_node)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, ERR_DUPLICATE_KEY.format(key=key), key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_yaml(text: str) -> Any:
    """`yaml.safe_load` with the strict loader; raises `yaml.YAMLError` (marked with the line)."""
    return yaml.load(text, Loader=StrictYamlLoader)  # noqa: S506 - a SafeLoader subclass


def compose_yaml(text: str) -> yaml.Node | None:
    """`yaml.compose` with the strict loader (for readers that need each node's line)."""
    return yaml.compose(text, Loader=StrictYamlLoader)
