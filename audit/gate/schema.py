"""The JSON Schema of a policy file (`rai.policy/1`), built from the enums so choices live in one place.

The loader validates the YAML against it and turns each schema error into a message with file:line.
`python -m rai.audit.gate.schema` prints it (for editors with YAML schema support).
"""

from __future__ import annotations

import json
from typing import Any

from rai.audit.gate.policy import Bound, Interval, Severity

SCHEMA_ID = "rai.policy/1"
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"

_FILTER = {"type": "object", "minProperties": 1, "additionalProperties": {"type": ["string", "number", "boolean"]}}
_TEXT = {"type": "string", "minLength": 1}


def policy_schema() -> dict[str, Any]:
    rule = {
        "type": "object",
        "additionalProperties": False,
        "required": ["metric"],
        "properties": {
            "metric": _TEXT,
            "name": _TEXT,
            "description": {"type": "string"},
            "min": {"type": "number"},
            "max": {"type": "number"},
            "bound": {"enum": [b.value for b in Bound]},
            "severity": {"enum": [s.value for s in Severity]},
            "required": {"type": "boolean"},
            "max_regression": {"type": "number", "minimum": 0},
            "min_n": {"type": "integer", "minimum": 1},
            "details": _FILTER,
        },
        "anyOf": [{"required": ["min"]}, {"required": ["max"]}, {"required": ["max_regression"]}],
    }
    waiver = {
        "type": "object",
        "additionalProperties": False,
        "required": ["metric", "reason", "approved_by", "expires"],
        "properties": {
            "metric": _TEXT,
            "reason": _TEXT,
            "approved_by": _TEXT,
            "expires": {"type": "string", "pattern": DATE_PATTERN},
            "details": _FILTER,
        },
    }
    monitor_rule = {
        "type": "object",
        "additionalProperties": False,
        "required": ["metric"],
        "properties": {k: rule["properties"][k] for k in ("metric", "name", "description", "min", "max", "bound", "severity")},
        "anyOf": [{"required": ["min"]}, {"required": ["max"]}],
    }
    monitoring = {
        "type": "object",
        "additionalProperties": False,
        "required": ["rules"],
        "properties": {
            "window": {"type": "integer", "minimum": 1},
            "window_seconds": {"type": "number", "exclusiveMinimum": 0},
            "interval": {"enum": [i.value for i in Interval]},
            "confidence": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
            "toxicity_threshold": {"type": "number", "minimum": 0, "maximum": 1},
            "rules": {"type": "array", "minItems": 1, "items": monitor_rule},
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "rai-suite release policy",
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "rules"],
        "properties": {
            "name": _TEXT,
            "description": {"type": "string"},
            "rules": {"type": "array", "minItems": 1, "items": rule},
            "waivers": {"type": "array", "items": waiver},
            "monitoring": monitoring,
        },
    }


if __name__ == "__main__":
    print(json.dumps(policy_schema(), indent=2))
