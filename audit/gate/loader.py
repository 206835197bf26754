"""Read a policy from YAML, validate it against the schema, and report every problem with file:line.

Like Opacus' `ModuleValidator`, `validate_policy_text` returns the list of problems (strict=False)
and `parse_policy_text` raises them all at once as one `InputError` line
("policy.yaml:4: ...; policy.yaml:9: ..."), so a user fixes every typo in one round trip.
Line numbers come from the YAML node marks (`yaml.compose`), not from re-parsing.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from rai.audit.gate.policy import Bound, Interval, Monitoring, Policy, Rule, Severity, Waiver
from rai.audit.gate.schema import DATE_PATTERN, policy_schema
from rai.audit.metric_ids import lookup
from rai.core.documents import compose_yaml
from rai.core.errors import InputError

ERR_NOT_FOUND = "policy file not found"
ERR_NOT_UTF8 = "policy file is not UTF-8 text"
ERR_YAML = "invalid YAML: {problem}"
ERR_NOT_MAPPING = "a policy must be a mapping with the keys name and rules (and optionally description, waivers, monitoring)"
ERR_KEY_NOT_TEXT = "{where}: keys must be plain names"
ERR_DUPLICATE_KEY = "{where}: duplicate key {key!r}"
ERR_BAD_SCALAR = "{where}: cannot read the value {value!r} ({error})"
ERR_UNKNOWN_KEY = "{where}: unknown key {key!r} (allowed: {allowed})"
ERR_REQUIRED = "{where}: missing required key {key!r}"
ERR_TYPE = "{where} must be {expected}, got {got}"
ERR_CHOICE = "{where} must be one of {choices}, got {got!r}"
ERR_MINIMUM = "{where} must be >= {minimum}, got {got}"
ERR_EMPTY = "{where} must not be empty"
ERR_NO_THRESHOLD = "{where} needs at least one of min, max or max_regression"
ERR_NO_LIMIT = "{where} needs at least one of min or max"
ERR_NOT_MONITOR_METRIC = "{where}: monitoring rules judge monitor.* metric ids, got {metric!r}"
MONITOR_PREFIX = "monitor."
ERR_DATE = "{where} must be a date written YYYY-MM-DD, got {got!r}"
ERR_NOT_FINITE = "{where} must be a finite number, got {got}"
ERR_UNKNOWN_METRIC = "{where}: unknown metric id {metric!r} (the documented ids are listed in docs/metrics.md)"
ERR_MIN_GT_MAX = "{where}: min {min} is greater than max {max}"
ERR_NO_DIRECTION = "{where}: max_regression needs a metric with a direction, but {metric} has better=none"
ERR_UNUSED_WAIVER = "{where}: waiver for {metric!r} matches no rule of this policy"
ERR_INVALID = "{where}: {message}"
HINT_EXPONENT = " (YAML reads an exponent without a dot as text: write 1.0e-5, not 1e-5)"

_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_EXPECTED = {"number": "a number", "string": "a string", "boolean": "true or false", "object": "a mapping",
             "array": "a list", "integer": "an integer", "null": "null"}

Path_ = tuple[Any, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a policy, with the line it is on (None when the policy came from a dict)."""

    source: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.message}" if self.line is not None else f"{self.source}: {self.message}"


@dataclass
class _Lines:
    """Where each value (and each mapping key) sits in the file, by its path in the document."""

    values: dict[Path_, int]
    keys: dict[Path_, int]

    def of(self, path: Path_, *, key: bool = False) -> int | None:
        table = self.keys if key else self.values
        p = tuple(path)
        while p:
            if p in table:
                return table[p]
            p, table = p[:-1], self.values
        return self.values.get((), None)


def label(path: Path_) -> str:
    """`rules[2].min` style name of a place in the policy."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "the policy"


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    for kind, name in ((bool, "boolean"), (dict, "mapping"), (list, "list"), (str, "string"), ((int, float), "number")):
        if isinstance(value, kind):
            return name
    return type(value).__name__


def _describe(value: Any) -> str:
    if isinstance(value, (dict, list)) or value is None:
        return _type_name(value)
    return f"{_type_name(value)} {value!r}"


# --- YAML nodes to data, remembering lines ------------------------------------------------------
def _to_data(node: yaml.Node, path: Path_, lines: _Lines, problems: list[tuple[int | None, str]], constructor: yaml.SafeLoader) -> Any:
    lines.values[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                problems.append((line, ERR_KEY_NOT_TEXT.format(where=label(path))))
                continue
            key = str(key_node.value)
            if key in out:
                problems.append((line, ERR_DUPLICATE_KEY.format(where=label(path), key=key)))
                continue
            lines.keys[path + (key,)] = line
            out[key] = _to_data(value_node, path + (key,), lines, problems, constructor)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_to_data(item, path + (i,), lines, problems, constructor) for i, item in enumerate(node.value)]
    if node.tag == _TIMESTAMP_TAG:
        return node.value  # dates stay text; the schema and the date check read them
    try:
        return constructor.construct_object(node, deep=True)
    except (ValueError, yaml.YAMLError) as exc:
        problems.append((node.start_mark.line + 1, ERR_BAD_SCALAR.format(where=label(path), value=node.value, error=exc)))
        return node.value


def _compose(text: str) -> tuple[Any, _Lines, list[tuple[int | None, str]]]:
    lines = _Lines({}, {})
    problems: list[tuple[int | None, str]] = []
    try:
        root = compose_yaml(text)  # no aliases (a ten-line alias bomb expands to gigabytes), bounded depth
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problems.append((mark.line + 1 if mark else None, ERR_YAML.format(problem=exc.problem or exc.context)))
        return None, lines, problems
    except yaml.YAMLError as exc:
        problems.append((None, ERR_YAML.format(problem=exc)))
        return None, lines, problems
    if root is None:
        return None, lines, problems
    return _to_data(root, (), lines, problems, yaml.SafeLoader("")), lines, problems


# --- schema errors as messages ----------------------------------------------------------------
def _schema_problems(data: Any, lines: _Lines) -> list[tuple[int | None, str]]:
    out: list[tuple[int | None, str]] = []
    validator = jsonschema.Draft202012Validator(policy_schema())
    for e in validator.iter_errors(data):
        path = tuple(e.absolute_path)
        where, inst, kind = label(path), e.instance, e.validator
        if kind == "additionalProperties":
            allowed = ", ".join(e.schema.get("properties", {}))
            for key in (k for k in inst if k not in e.schema.get("properties", {})):
                out.append((lines.of(path + (key,), key=True), ERR_UNKNOWN_KEY.format(where=where, key=key, allowed=allowed)))
        elif kind == "required":
            for key in (k for k in e.validator_value if k not in inst):
                out.append((lines.of(path), ERR_REQUIRED.format(where=where, key=key)))
        elif kind == "type":
            wanted = e.validator_value if isinstance(e.validator_value, list) else [e.validator_value]
            expected = " or ".join(_EXPECTED.get(t, t) for t in wanted)
            message = ERR_TYPE.format(where=where, expected=expected, got=_describe(inst))
            if "number" in wanted and isinstance(inst, str) and _looks_like_exponent(inst):
                message += HINT_EXPONENT
            out.append((lines.of(path), message))
        elif kind == "enum":
            out.append((lines.of(path), ERR_CHOICE.format(where=where, choices=", ".join(map(str, e.validator_value)), got=inst)))
        elif kind == "minimum":
            out.append((lines.of(path), ERR_MINIMUM.format(where=where, minimum=e.validator_value, got=inst)))
        elif kind in ("minItems", "minLength", "minProperties"):
            out.append((lines.of(path), ERR_EMPTY.format(where=where)))
        elif kind == "anyOf":
            message = ERR_NO_LIMIT if path[:1] == ("monitoring",) else ERR_NO_THRESHOLD
            out.append((lines.of(path), message.format(where=where)))
        elif kind == "pattern":
            out.append((lines.of(path), ERR_DATE.format(where=where, got=inst)))
        else:  # any other schema keyword: still an error, in jsonschema's words
            out.append((lines.of(path), ERR_INVALID.format(where=where, message=e.message)))
    return out


def _looks_like_exponent(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return "e" in text.lower()


# --- checks the schema cannot express ----------------------------------------------------------
def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _limit_problems(rule: dict[str, Any], path: Path_, lines: _Lines, keys: tuple[str, ...]) -> list[tuple[int | None, str]]:
    """A rule's limits (release and monitoring rules alike): finite, and min <= max."""
    out = []
    for key in keys:
        value = rule.get(key)
        if _is_number(value) and not math.isfinite(value):
            out.append((lines.of(path + (key,)), ERR_NOT_FINITE.format(where=label(path + (key,)), got=value)))
    lo, hi = rule.get("min"), rule.get("max")
    if _is_number(lo) and _is_number(hi) and lo > hi:
        out.append((lines.of(path + ("max",)), ERR_MIN_GT_MAX.format(where=label(path), min=lo, max=hi)))
    return out


def _semantic_problems(data: dict[str, Any], lines: _Lines) -> list[tuple[int | None, str]]:
    out: list[tuple[int | None, str]] = []
    rules = data.get("rules") if isinstance(data.get("rules"), list) else []
    gated: set[str] = set()
    for i, rule in enumerate(rules):
        if not isinstance(rule, dict):
            continue
        path = ("rules", i)
        metric = rule.get("metric")
        spec = lookup(metric) if isinstance(metric, str) else None
        if isinstance(metric, str) and metric:
            gated.add(metric)
            if spec is None:
                out.append((lines.of(path + ("metric",)), ERR_UNKNOWN_METRIC.format(where=label(path + ("metric",)), metric=metric)))
        out += _limit_problems(rule, path, lines, ("min", "max", "max_regression"))
        if "max_regression" in rule and spec is not None and spec.better == "none":
            out.append((lines.of(path + ("max_regression",)), ERR_NO_DIRECTION.format(where=label(path), metric=metric)))
    out += _monitoring_problems(data.get("monitoring"), lines)
    waivers = data.get("waivers") if isinstance(data.get("waivers"), list) else []
    for j, waiver in enumerate(waivers):
        if not isinstance(waiver, dict):
            continue
        path = ("waivers", j)
        metric = waiver.get("metric")
        if isinstance(metric, str) and metric:
            if lookup(metric) is None:
                out.append((lines.of(path + ("metric",)), ERR_UNKNOWN_METRIC.format(where=label(path + ("metric",)), metric=metric)))
            elif metric not in gated:
                out.append((lines.of(path + ("metric",)), ERR_UNUSED_WAIVER.format(where=label(path), metric=metric)))
        expires = waiver.get("expires")
        if isinstance(expires, str) and re.match(DATE_PATTERN, expires) and _parse_date(expires) is None:
            out.append((lines.of(path + ("expires",)), ERR_DATE.format(where=label(path + ("expires",)), got=expires)))
    return out


def _monitoring_problems(monitoring: Any, lines: _Lines) -> list[tuple[int | None, str]]:
    """Monitoring rules name documented `monitor.*` ids, with finite limits and min <= max."""
    out: list[tuple[int | None, str]] = []
    rules = monitoring.get("rules") if isinstance(monitoring, dict) and isinstance(monitoring.get("rules"), list) else []
    for i, rule in enumerate(rules):
        if not isinstance(rule, dict):
            continue
        path = ("monitoring", "rules", i)
        metric = rule.get("metric")
        if isinstance(metric, str) and metric:
            where = label(path + ("metric",))
            if not metric.startswith(MONITOR_PREFIX):
                out.append((lines.of(path + ("metric",)), ERR_NOT_MONITOR_METRIC.format(where=where, metric=metric)))
            elif lookup(metric) is None:
                out.append((lines.of(path + ("metric",)), ERR_UNKNOWN_METRIC.format(where=where, metric=metric)))
        out += _limit_problems(rule, path, lines, ("min", "max"))
    return out


def _parse_date(text: str) -> _dt.date | None:
    try:
        return _dt.date.fromisoformat(text)
    except ValueError:
        return None


# --- building --------------------------------------------------------------------------------
def _build(data: dict[str, Any], source: str, lines: _Lines, sha256: str | None) -> Policy:
    rules = tuple(
        Rule(metric=r["metric"], min=r.get("min"), max=r.get("max"), bound=Bound(r.get("bound", Bound.VALUE.value)),
             severity=Severity(r.get("severity", Severity.BLOCK.value)), required=r.get("required", True),
             max_regression=r.get("max_regression"), min_n=r.get("min_n"), details=dict(r.get("details", {})), name=r.get("name"),
             description=r.get("description"), line=lines.values.get(("rules", i)))
        for i, r in enumerate(data["rules"])
    )
    waivers = tuple(
        Waiver(metric=w["metric"], reason=w["reason"], approved_by=w["approved_by"], expires=_dt.date.fromisoformat(w["expires"]),
               details=dict(w.get("details", {})), line=lines.values.get(("waivers", j)))
        for j, w in enumerate(data.get("waivers", []))
    )
    return Policy(name=data["name"], rules=rules, waivers=waivers, description=data.get("description", ""), source=source,
                  sha256=sha256, monitoring=_build_monitoring(data.get("monitoring"), lines))


def _build_monitoring(m: dict[str, Any] | None, lines: _Lines) -> Monitoring | None:
    if m is None:
        return None
    rules = tuple(
        Rule(metric=r["metric"], min=r.get("min"), max=r.get("max"), bound=Bound(r.get("bound", Bound.VALUE.value)),
             severity=Severity(r.get("severity", Severity.BLOCK.value)), name=r.get("name"),
             description=r.get("description"), line=lines.values.get(("monitoring", "rules", i)))
        for i, r in enumerate(m["rules"])
    )
    defaults = Monitoring(rules=())
    seconds = m.get("window_seconds")
    return Monitoring(rules=rules, window=int(m.get("window", defaults.window)),
                      window_seconds=None if seconds is None else float(seconds),
                      interval=Interval(m.get("interval", defaults.interval.value)),
                      confidence=float(m.get("confidence", defaults.confidence)),
                      toxicity_threshold=float(m.get("toxicity_threshold", defaults.toxicity_threshold)))


def _check(data: Any, lines: _Lines, early: list[tuple[int | None, str]]) -> list[tuple[int | None, str]]:
    if early and data is None:
        return early
    if not isinstance(data, dict):
        return early + [(lines.of(()), ERR_NOT_MAPPING)]
    return early + _schema_problems(data, lines) + _semantic_problems(data, lines)


def _as_problems(found: list[tuple[int | None, str]], source: str) -> list[Problem]:
    return [Problem(source, line, msg) for line, msg in sorted(found, key=lambda p: (p[0] is None, p[0] or 0))]


def validate_policy_text(text: str, source: str = "<policy>") -> list[Problem]:
    """Every problem of a policy document (empty when it is valid)."""
    data, lines, early = _compose(text)
    return _as_problems(_check(data, lines, early), source)


def _raise(problems: list[Problem]) -> None:
    raise InputError("; ".join(str(p) for p in problems))


def parse_policy_text(text: str, source: str = "<policy>", *, sha256: str | None = None) -> Policy:
    """A valid `Policy`, or one `InputError` naming every problem with file:line. `sha256`: of the file read."""
    data, lines, early = _compose(text)
    problems = _as_problems(_check(data, lines, early), source)
    if problems:
        _raise(problems)
    return _build(data, source, lines, sha256)


def policy_from_dict(data: dict[str, Any], source: str = "<dict>") -> Policy:
    """The same validation for a policy built in Python (a notebook); problems carry no line."""
    lines = _Lines({}, {})
    problems = _as_problems(_check(data, lines, []), source)
    if problems:
        _raise(problems)
    return _build(data, source, lines, None)


@dataclass(frozen=True)
class PolicyFile:
    """A policy file as read: its text, the name to report it by, and the SHA-256 of its bytes (named in the verdict)."""

    text: str
    source: str
    sha256: str


def read_policy_file(path: str | Path) -> PolicyFile:
    """Read a policy file once: the text that is judged is the text that is hashed."""
    p = Path(path)
    if not p.is_file():
        raise InputError(ERR_NOT_FOUND, where=str(path))
    raw = p.read_bytes()
    try:
        return PolicyFile(raw.decode("utf-8"), str(path), hashlib.sha256(raw).hexdigest())
    except UnicodeDecodeError:
        raise InputError(ERR_NOT_UTF8, where=str(path)) from None


def load_policy(name_or_path: str | Path) -> Policy:
    """A bundled policy by bare name (`default`, `strict`, `fairness-ci`) or a policy file by path (`policies.resolve`)."""
    from rai import policies

    f = read_policy_file(policies.resolve(name_or_path))
    return parse_policy_text(f.text, f.source, sha256=f.sha256)
